"""How many SKUs each path found different from VTEX, per store, marketplace and Brasília day (``DriftTally``).

Notifications are hints: a promotion's boundary sends none, two changes within two minutes arrive as one, a cache
can answer the previous value, and a notification can be lost. Each path that checks a SKU against VTEX counts here
what it checked and what it found different (and sent again), so the dashboard and the Catálogo tell which path
caught what."""
from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite

from saas.catalog.models import DriftTally
from saas.extensions import db
from saas.i18n import N_, Words
from saas.tenants.scoping import scoped
from saas.timeutil import local_time, utcnow

PATHS = Words(promotion=N_("promotion boundary"), reread=N_("read again after a notification"),
              rolling=N_("rolling re-read"), reconcile=N_("daily reconciliation"))


def tally(tenant_id: int, connector_key: str, path: str, *, checked: int, found: int, commit: bool = False) -> None:
    """Add to today's count of ``path`` (one statement: runs in parallel each count)."""
    if not checked and not found:
        return
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(DriftTally).values(tenant_id=tenant_id, connector_key=connector_key,
                                          day=local_time(utcnow(), "%Y-%m-%d"), path=path, checked=checked,
                                          found=found)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[DriftTally.tenant_id, DriftTally.connector_key, DriftTally.day, DriftTally.path],
        set_={"checked": DriftTally.checked + statement.excluded.checked,
              "found": DriftTally.found + statement.excluded.found}))
    if commit:
        db.session.commit()


def last_day(connector_key: str | None = None) -> dict[str, dict[str, int]]:
    """The current tenant's counts of today and yesterday (Brasília) by path: {path: {"checked", "found"}}."""
    days = [local_time(utcnow() - timedelta(days=n), "%Y-%m-%d") for n in (0, 1)]
    query = scoped(DriftTally, connector_key=connector_key).filter(DriftTally.day.in_(days))
    counts = {path: {"checked": 0, "found": 0} for path in PATHS}
    for row in query:
        counts.setdefault(row.path, {"checked": 0, "found": 0})
        counts[row.path]["checked"] += row.checked
        counts[row.path]["found"] += row.found
    return counts
