"""Mirakl's hourly limits, kept by every process together (in Redis).

Mirakl answers 429 for "too many requests in the last hour", with ``Retry-After`` in seconds: a burst can shut a
shop out for many minutes. So, per shop (its API URL and key):
- each operation that Mirakl gives a maximum frequency is counted over a sliding hour, and a call beyond it is not
  made (RetryableError, with the seconds until the window allows it): we never burst past what the operator allows;
- after a 429, no call of that shop is made until its ``Retry-After`` has passed, whichever process asks.
While Redis is unreachable, calls go ahead (Mirakl's own 429 still stops them): a limit must never stop the work.
"""
import hashlib
import logging
import re
import time

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from redis.exceptions import RedisError

from saas.integration_errors import RetryableError

log = logging.getLogger(__name__)
# Mirakl's published maximum call frequencies (its seller API, per operation) for the calls made on a schedule.
# OR11's "once a minute" is a poll's, and a poll pages 100 orders a call: its pages are allowed ten to the minute.
LIMITS = (
    ("OR11", "GET", re.compile(r"^/api/orders$"), "600 per hour"),
    ("OF01", "POST", re.compile(r"^/api/offers/imports$"), "60 per hour"),
    ("P41", "POST", re.compile(r"^/api/products/imports$"), "4 per hour"),
)
_PREFIX = "saas:mirakl"


def shop_of(base_url: str, api_key: str) -> str:
    """A shop's name in Redis: its URL and key, digested (the key is a secret)."""
    return hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()[:24]


def operation_of(method: str, path: str) -> tuple[str, str] | None:
    """(operation, its hourly limit) for a call Mirakl limits, or None."""
    return next(((name, rate) for name, verb, pattern, rate in LIMITS if verb == method and pattern.match(path)),
                None)


class Budget:
    def __init__(self, redis_url: str):
        self.redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=1)
        self.window = MovingWindowRateLimiter(storage_from_string(redis_url, socket_timeout=2,
                                                                  socket_connect_timeout=1))
        self._degraded = False

    def take(self, shop: str, method: str, path: str) -> None:
        """Count this call, or raise RetryableError when the shop must wait or the operation's hour is spent."""
        try:
            wait = self.waiting(shop)
            if wait:
                raise RetryableError(f"Mirakl asked this shop to wait ({wait} s more)", status=429, retry_after=wait)
            limited = operation_of(method, path)
            if limited and not self.window.hit(parse(limited[1]), "mirakl", shop, limited[0]):
                reset, _remaining = self.window.get_window_stats(parse(limited[1]), "mirakl", shop, limited[0])
                seconds = max(1, int(reset - time.time()) + 1)
                raise RetryableError(f"Mirakl allows {limited[1]} for {limited[0]}: next call in {seconds} s",
                                     retry_after=seconds)
        except RedisError as exc:
            self._unreachable(exc)
        else:
            self._degraded = False

    def refused(self, shop: str, retry_after: float | None) -> None:
        """A 429: the whole shop waits ``Retry-After`` seconds (60 when Mirakl did not say)."""
        seconds = max(1, int(retry_after if retry_after is not None else 60))
        try:
            self.redis.set(f"{_PREFIX}:wait:{shop}", str(time.time() + seconds), ex=seconds)
        except RedisError as exc:
            self._unreachable(exc)

    def waiting(self, shop: str) -> int:
        """Seconds this shop must still wait after a 429 (0: none)."""
        until = self.redis.get(f"{_PREFIX}:wait:{shop}")
        return max(0, int(float(until) - time.time()) + 1) if until else 0

    def _unreachable(self, exc) -> None:
        if not self._degraded:
            log.warning("Mirakl's hourly budgets are not kept: Redis is unreachable (%s)", type(exc).__name__)
            self._degraded = True


def budget() -> Budget:
    app = current_app._get_current_object()
    if "mirakl_budget" not in app.extensions:
        app.extensions["mirakl_budget"] = Budget(app.config["REDIS_URL"])
    return app.extensions["mirakl_budget"]
