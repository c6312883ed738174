"""The Bridge keeps BRIDGE_RETENTION_DAYS of history, pruned at most hourly by one process."""
from datetime import timedelta

from saas.bridge import record
from saas.bridge.models import BridgeEntry
from saas.bridge.retention import LOCK_KEY, prune
from saas.extensions import redis_connection
from saas.jobs.clock import ticks
from saas.timeutil import utcnow
from tests.conftest import make_tenant, make_user


def test_history_older_than_the_retention_is_deleted_and_the_rest_kept(app, db, monkeypatch):
    tenant = make_tenant(make_user("dona@loja.example"), "loja-a")
    monkeypatch.setitem(app.config, "BRIDGE_RETENTION_DAYS", 90)
    for age_days in (200, 91, 89, 0):
        entry = record(tenant.id, "product", f"{age_days}", "success", "")
        entry.created_at = utcnow() - timedelta(days=age_days)
    db.session.commit()
    redis_connection().delete(LOCK_KEY)
    assert prune() == 2
    assert sorted(e.entity_id for e in db.session.query(BridgeEntry)) == ["0", "89"]
    old = record(tenant.id, "product", "old", "success", "")
    old.created_at = utcnow() - timedelta(days=120)
    db.session.commit()
    assert prune() == 0  # pruned less than an hour ago, by this or another process
    assert prune(force=True) == 1
    assert "tick-prune" in ticks()  # the scheduler fires it every tick
