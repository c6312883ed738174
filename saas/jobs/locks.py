"""Locks that die with their holder: every lock of the product (a tenant's periodic job, an order's import, a batch's
report check, an event's forwarding) is a Redis lock with a short TTL, renewed while its holder lives.

One daemon thread per process renews every lock the process holds, every ``TTL / 4`` seconds. A holder killed with
``kill -9`` takes that thread with it, so its locks expire at most ``TTL`` (30) seconds later and the work is free to be
taken again; a live holder never loses its lock however long the job runs. A renewal that finds the lock gone (Redis
was down longer than the TTL, or flushed) is logged: the job goes on, and exactly-once is kept where it matters by the
data (an order's VTEX id is looked up before any repeated placement).
"""
import contextlib
import functools
import logging
import threading

from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from saas.extensions import db, redis_connection

log = logging.getLogger(__name__)
TTL = 30


class _Keeper:
    """The renewing thread, started with the first lock a process takes."""

    def __init__(self):
        self.held: set[Lock] = set()
        self.guard = threading.Lock()
        self.wake = threading.Event()
        self.period = TTL / 4
        self.thread: threading.Thread | None = None
        self.outage_logged = False

    def add(self, lock: Lock) -> None:
        with self.guard:
            self.held.add(lock)
            if lock.timeout / 4 < self.period:  # a shorter lock than any so far: the keeper's sleep is too long
                self.period = lock.timeout / 4
                self.wake.set()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="lock-keeper", daemon=True)
                self.thread.start()

    def discard(self, lock: Lock) -> None:
        with self.guard:
            self.held.discard(lock)
            if not self.held:
                self.period = TTL / 4

    def _run(self) -> None:
        while True:
            self.wake.wait(self.period)
            self.wake.clear()
            with self.guard:
                locks = list(self.held)
            for lock in locks:
                self._renew(lock)

    def _renew(self, lock: Lock) -> None:
        try:
            lock.reacquire()
            self.outage_logged = False
        except LockError:
            with self.guard:
                still_held = lock in self.held
            if still_held:  # not one its holder released meanwhile
                log.warning("lock %s was lost before its holder finished (Redis lost it); the work goes on",
                            lock.name)
                self.discard(lock)
        except RedisError as exc:
            if not self.outage_logged:
                log.warning("locks cannot be renewed, Redis is unreachable (%s); retrying", type(exc).__name__)
                self.outage_logged = True


_keeper = _Keeper()


@contextlib.contextmanager
def hold(name: str):
    """Try to take the lock ``name`` without waiting; yields whether it was taken, and keeps it until the block ends."""
    # Not thread-local: the keeper thread renews it on the holder's behalf.
    lock = redis_connection().lock(name, timeout=TTL, blocking=False, thread_local=False)
    if not lock.acquire():
        yield False
        return
    _keeper.add(lock)
    try:
        yield True
    finally:
        _keeper.discard(lock)
        with contextlib.suppress(LockError, RedisError):  # expired or unreachable: nothing left to release
            lock.release()


def held(names: list[str]) -> list[bool]:
    """For each lock name, whether someone holds it now (one round trip)."""
    pipe = redis_connection().pipeline(transaction=False)
    for name in names:
        pipe.exists(name)
    return [bool(found) for found in pipe.execute()]


def on_row(model, *, waiting, lock_name, busy: str):
    """Declare a job of one row of ``model``, called with the row's id and run with the row itself: it does nothing
    unless the row still waits (``waiting(row)``), runs under the row's lock (``lock_name(row)``; answering ``busy``
    when another worker holds it), and reads the row again once it holds the lock, since a worker that held the lock
    until then may have done the work."""
    def declare(func):
        @functools.wraps(func)
        def run(row_id, *args):
            row = db.session.get(model, row_id)
            if row is None or not waiting(row):
                return "nothing to do"
            with hold(lock_name(row)) as held:
                if not held:
                    return busy
                db.session.refresh(row)
                if not waiting(row):
                    return "nothing to do"  # done meanwhile, or a duplicate of a later job
                return func(row, *args)
        return run
    return declare
