"""Abandoned work is resumed at once, not after a timer.

Run at every tick by the scheduler (on the urgent queue) and once by every worker as it starts:

1. **Jobs of a dead worker.** A worker sends a heartbeat for the job it runs every few seconds (``saas.jobs.worker``);
   a job whose heartbeat is older than 45 seconds was abandoned. RQ's registry cleanup finds those and, since every job
   has retries (its ``@job`` policy), queues each one again.
2. **Work whose job was lost** (Redis restarted empty, or flushed): the rows say what is due. An order importing
   whose attempt is overdue, a batch whose report was not read, an event not forwarded: each is handed back to its
   job once it is ``STALL`` late and nobody holds its lock. The jobs are idempotent and check that their row is due,
   so a duplicate of a job still queued does nothing.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from rq import Retry
from rq.registry import StartedJobRegistry
from sqlalchemy import or_, select

from saas.extensions import db, redis_connection
from saas.jobs.queues import QUEUES, enqueue, every_tick, job
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
STALL = timedelta(seconds=120)
SWEEP_LIMIT = 1000


@dataclass(frozen=True)
class HandBack:
    """Rows of ``model`` that wait (``waiting``) for ``job(row.id)``, due at ``due_column``."""

    name: str
    model: type
    waiting: Any
    due_column: str
    job: Callable


# What the sweep resumes besides RQ's abandoned jobs: name → a function answering how many it resumed, declared
# with ``@sweep`` (or ``@hands_back``) where the work is written; the app imports those modules as it starts.
SWEEPS: dict[str, Callable[[], int]] = {}


def sweep(name: str):
    """Declare ``func()`` a part of the sweep: it resumes what is overdue and answers how many."""
    def declare(func):
        SWEEPS[name] = func
        return func
    return declare


def hands_back(name: str, model, waiting, due_column: str):
    """Declare that the sweep hands the job its rows that still wait once they are ``STALL`` overdue."""
    def declare(func):
        hand_back = HandBack(name, model, waiting, due_column, func)
        SWEEPS[name] = lambda: resume(hand_back)
        return func
    return declare


@every_tick("recover", "orders")
@job("orders", 120, Retry(max=1, interval=[5]))
def recover() -> dict[str, int]:
    """What was resumed, by kind (nothing: an empty dict)."""
    counts = {"abandoned jobs": requeue_abandoned(), **{name: resume_some() for name, resume_some in SWEEPS.items()}}
    resumed = {kind: n for kind, n in counts.items() if n}
    if resumed:
        log.warning("resumed abandoned work: %s", ", ".join(f"{n} {kind}" for kind, n in resumed.items()))
    return resumed


def requeue_abandoned() -> int:
    count = 0
    for name in QUEUES:
        registry = StartedJobRegistry(name, connection=redis_connection())
        count += len(registry.get_expired_job_ids())
        registry.cleanup()  # retried when it has retries left, which every job of ours has
    return count


def overdue(column):
    return or_(column < utcnow() - STALL, column.is_(None))


def resume(hand_back: HandBack) -> int:
    """Rows still waiting whose due moment is overdue: due now, and their job queued again."""
    due = getattr(hand_back.model, hand_back.due_column)
    rows = db.session.scalars(select(hand_back.model).where(hand_back.waiting, overdue(due))
                              .limit(SWEEP_LIMIT)).all()
    now = utcnow()
    for row in rows:
        setattr(row, hand_back.due_column, now)
    db.session.commit()
    for row in rows:
        enqueue(hand_back.job, row.id)
    return len(rows)
