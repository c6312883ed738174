"""Outages of Redis or the database, seen from a long-running process (worker, scheduler): one line when the store
goes away, retries with back-off (tenacity), one line when it is back. Only a configuration error stops a process."""
import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from tenacity import retry, retry_if_exception_type, wait_exponential

log = logging.getLogger(__name__)


class LoopEnded(RuntimeError):
    """A work loop returned without being asked to stop (RQ's worker does so on an unexpected error)."""


STORE_OUTAGES = (RedisConnectionError, RedisTimeoutError, OperationalError, InterfaceError)
OUTAGES = (*STORE_OUTAGES, LoopEnded)
MAX_WAIT = 30


class _Watch:
    """Says once that a process lost its store, and once that it has it again."""

    def __init__(self, process: str):
        self.process, self.down = process, False

    def failed(self, retry_state) -> None:
        if not self.down:
            self.down = True
            error = retry_state.outcome.exception()
            log.error("%s: %s (%s); retrying with back-off up to %s s", self.process, "store unreachable"
                      if not isinstance(error, LoopEnded) else "work loop ended", type(error).__name__, MAX_WAIT)

    def running(self) -> None:
        if self.down:
            self.down = False
            log.warning("%s: running again", self.process)


def supervised(process: str, run) -> None:
    """Run ``run(watch)`` for ever: an outage makes it wait and start again; ``run`` calls ``watch.running()`` once
    it has its stores back. Returns when ``run`` returns (a requested stop)."""
    watch = _Watch(process)
    retry(retry=retry_if_exception_type(OUTAGES), wait=wait_exponential(min=1, max=MAX_WAIT),
          before_sleep=watch.failed, reraise=True)(run)(watch)
