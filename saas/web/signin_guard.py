"""Sign-in back-off that a stranger cannot turn into a lock-out.

Wrong passwords are counted per (account, client address) and per client address, in Redis: past FREE_ATTEMPTS in a
row for a pair (or ADDRESS_ATTEMPTS for an address, whatever the accounts), each attempt from that address waits twice
as long as the last, from 30 s up to 15 min. The account itself is never shut: the right password from an address
that is not failing always signs in, so an attacker's guesses keep only the attacker out. Unknown e-mails are
counted exactly as known ones (by the e-mail as typed, normalised), so every step answers the same for both. The
owner is mailed once per streak of wrong passwords on the account, from whatever addresses, and a successful sign-in
ends the streak.

While Redis is unreachable the counts are kept in the process (each web process then counts on its own), as the
rate limits are.
"""
import hashlib
import logging
import math
import threading
import time

from cachetools import TTLCache
from redis.exceptions import RedisError

from saas.extensions import redis_connection

log = logging.getLogger(__name__)
FREE_ATTEMPTS = 5  # per account and address
ADDRESS_ATTEMPTS = 20  # per address, whatever the accounts (one address trying many e-mails)
FIRST_WAIT, LONGEST_WAIT = 30, 15 * 60  # seconds
STREAK_SECONDS = 24 * 3600  # a run of failures is forgotten a day after its last one
_PREFIX = "saas:signin"
UNREACHABLE = object()
_now = time.time


def _digest(text: str) -> str:
    """Keys name no e-mail and no address in clear (Redis is read by operators and tools)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _keys(email: str, address: str) -> dict[str, str]:
    account, client = _digest(email.strip().lower()), _digest(address or "unknown")
    return {"pair": f"{_PREFIX}:pair:{account}:{client}", "address": f"{_PREFIX}:addr:{client}",
            "account": f"{_PREFIX}:acct:{account}", "mailed": f"{_PREFIX}:mailed:{account}"}


def _wait_after(failures: int, free: int) -> int:
    over = failures - free
    return 0 if over < 0 else min(FIRST_WAIT * 2 ** over, LONGEST_WAIT)


class _Store:
    """Counters with a time to live: Redis, or this process's memory while Redis is unreachable."""

    def __init__(self):
        self._local = TTLCache(maxsize=100_000, ttl=STREAK_SECONDS)
        self._lock = threading.Lock()
        self._degraded = False

    def _redis(self, action):
        """``action``'s result, or UNREACHABLE while Redis is."""
        try:
            result = action(redis_connection())
        except RedisError as exc:
            if not self._degraded:
                log.warning("sign-in back-off counted per process: Redis is unreachable (%s)", type(exc).__name__)
                self._degraded = True
            return UNREACHABLE
        if self._degraded:
            log.warning("sign-in back-off counted in Redis again")
            self._degraded = False
        return result

    def read(self, *keys: str) -> list[str | None]:
        values = self._redis(lambda r: r.mget(keys))
        if values is UNREACHABLE:
            with self._lock:
                return [self._local.get(k) for k in keys]
        return [v.decode() if isinstance(v, bytes) else v for v in values]

    def add(self, key: str) -> int:
        def incr(r):
            with r.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, STREAK_SECONDS)
                return pipe.execute()[0]
        count = self._redis(incr)
        if count is UNREACHABLE:
            with self._lock:
                count = self._local[key] = int(self._local.get(key) or 0) + 1
        return count

    def put(self, key: str, value: str, seconds: int, only_new: bool = False) -> bool:
        done = self._redis(lambda r: r.set(key, value, ex=max(1, seconds), nx=only_new))
        if done is UNREACHABLE:
            with self._lock:
                if only_new and key in self._local:
                    return False
                self._local[key] = value
            return True
        return bool(done)

    def forget(self, *keys: str) -> None:
        if self._redis(lambda r: r.delete(*keys)) is UNREACHABLE:
            with self._lock:
                for key in keys:
                    self._local.pop(key, None)


_store = _Store()


def seconds_to_wait(email: str, address: str) -> int:
    """How long this address must still wait before trying this account (0: it may try now)."""
    keys = _keys(email, address)
    until = [float(v) for v in _store.read(keys["pair"] + ":until", keys["address"] + ":until") if v]
    return max([0, *(math.ceil(u - _now()) for u in until if u > _now())])


def count_failure(email: str, address: str) -> bool:
    """Count one wrong password; True when this failure starts the account's streak (time to tell the owner)."""
    keys = _keys(email, address)
    for key, free in (("pair", FREE_ATTEMPTS), ("address", ADDRESS_ATTEMPTS)):
        wait = _wait_after(_store.add(keys[key]), free)
        if wait:
            _store.put(keys[key] + ":until", str(_now() + wait), wait)
    if _store.add(keys["account"]) < FREE_ATTEMPTS:
        return False
    return _store.put(keys["mailed"], "1", STREAK_SECONDS, only_new=True)


def signed_in(email: str, address: str) -> None:
    """The right password: this pair's count and the account's streak end (other addresses keep theirs)."""
    keys = _keys(email, address)
    _store.forget(keys["pair"], keys["pair"] + ":until", keys["account"], keys["mailed"])
