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
import importlib
import logging
from datetime import timedelta

from rq import Retry
from rq.registry import StartedJobRegistry
from sqlalchemy import or_, select

from saas.catalog.models import ImportBatch, Reconciliation
from saas.extensions import db
from saas.jobs import locks
from saas.jobs.queues import QUEUES, enqueue, job, redis_connection
from saas.orders import importer
from saas.orders.models import MarketplaceOrder, OrderEvent
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
STALL = timedelta(seconds=120)
SWEEP_LIMIT = 1000


@job("orders", 120, Retry(max=1, interval=[5]))
def recover() -> dict[str, int]:
    """What was resumed, by kind (nothing: an empty dict)."""
    counts = {"abandoned jobs": requeue_abandoned(), "orders": resume_orders(), "reports": resume_reports(),
              "events": resume_events(), "reconciliations": resume_reconciliations()}
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


def _overdue(column):
    return or_(column < utcnow() - STALL, column.is_(None))


def resume_orders() -> int:
    orders = db.session.scalars(select(MarketplaceOrder).where(
        MarketplaceOrder.status == "importing", _overdue(MarketplaceOrder.next_attempt_at)).limit(SWEEP_LIMIT)).all()
    free = [o for o, busy in zip(orders, locks.held([importer.lock_name(o) for o in orders]), strict=True) if not busy]
    importer.enqueue(free)
    return len(free)


def resume_reports() -> int:
    return _hand_back(ImportBatch, ImportBatch.status == "sent", "next_check_at", "saas.catalog.reports.check_import")


def resume_reconciliations() -> int:
    return _hand_back(Reconciliation, Reconciliation.status == "exporting", "next_check_at",
                      "saas.catalog.reconcile.check_reconciliation")


def resume_events() -> int:
    return _hand_back(OrderEvent, OrderEvent.status.in_(("pending", "waiting")), "next_attempt_at",
                      "saas.orders.events.forward")


def _hand_back(model, waiting, due_column: str, job: str) -> int:
    """Rows still waiting whose ``due_column`` is overdue: due now, and their job (named by its dotted path: those
    modules import this one's) queued again."""
    rows = db.session.scalars(select(model).where(waiting, _overdue(getattr(model, due_column)))
                              .limit(SWEEP_LIMIT)).all()
    now = utcnow()
    for row in rows:
        setattr(row, due_column, now)
    db.session.commit()
    module, _, name = job.rpartition(".")
    func = getattr(importlib.import_module(module), name)
    for row in rows:
        enqueue(func, row.id)
    return len(rows)
