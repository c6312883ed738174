"""The Bridge keeps ``BRIDGE_RETENTION_DAYS`` of history: older entries are deleted in batches, at most once an hour
whatever the tick (the tick is a minute; the lock is Redis's, so one process prunes while the others skip)."""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from saas.bridge.models import BridgeEntry
from saas.extensions import db, redis_connection
from saas.jobs.context import with_app_context
from saas.jobs.queues import every_tick
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 5000
MAX_BATCHES = 40  # one pass deletes at most 200,000 rows; the next hour goes on
ONCE_PER = timedelta(hours=1)
LOCK_KEY = "bridge:prune"


@every_tick("prune")
@with_app_context
def prune(force: bool = False) -> int:
    """Delete the entries older than the retention, oldest first; how many were deleted."""
    if not force and not redis_connection().set(LOCK_KEY, 1, nx=True, ex=int(ONCE_PER.total_seconds())):
        return 0
    cutoff = utcnow() - timedelta(days=current_app.config["BRIDGE_RETENTION_DAYS"])
    deleted = 0
    for _ in range(MAX_BATCHES):
        ids = db.session.scalars(select(BridgeEntry.id).where(BridgeEntry.created_at < cutoff)
                                 .order_by(BridgeEntry.created_at).limit(BATCH)).all()
        if not ids:
            break
        db.session.execute(delete(BridgeEntry).where(BridgeEntry.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
    if deleted:
        log.info("bridge retention: %d entries older than %s deleted", deleted, cutoff.date())
    return deleted
