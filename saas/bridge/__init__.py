"""The Bridge: every job records what it did to each product, price, stock, order and event here."""
import logging

from saas.bridge.models import ENTITIES, STATUSES, BridgeEntry
from saas.extensions import db
from saas.i18n import Text, stored
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
# The details of an integration entry that says the marketplace refused the store's key, or took it again: the
# Pendências page tells from the last of them whether a new key is needed.
KEY_REFUSED, KEY_ACCEPTED = {"key": "refused"}, {"key": "accepted"}


def record(tenant_id: int, entity: str, entity_id, status: str, message: Text | str = "", *,
           connector_key: str | None = None, details: dict | None = None, attempt: int | None = None,
           commit: bool = True) -> BridgeEntry:
    """``message``: ours as a :class:`~saas.i18n.Text`, read in the reader's language; a marketplace's as it came.
    ``connector_key``: the marketplace the entry is about (None for the store's own, e.g. VTEX's order hook)."""
    if entity not in ENTITIES or status not in STATUSES:
        raise ValueError(f"unknown Bridge entity/status: {entity}/{status}")
    key, params = stored(message)
    entry = BridgeEntry(tenant_id=tenant_id, connector_key=connector_key, entity=entity, entity_id=str(entity_id),
                        status=status, message=key, message_params=params, details=details or {}, attempt=attempt)
    db.session.add(entry)
    if commit:
        db.session.commit()
    log.info("bridge tenant=%s %s %s %s: %s", tenant_id, entity, entity_id, status, key)
    return entry


def record_many(tenant_id: int, entries: list[dict], *, connector_key: str | None = None, commit: bool = True) -> int:
    """Many entries about one marketplace in one statement (a batch report writes one per SKU): each a dict of
    ``entity``, ``entity_id``, ``status``, ``message`` and optionally ``details`` and ``attempt``."""
    if not entries:
        return 0
    now = utcnow()
    rows = []
    for entry in entries:
        if entry["entity"] not in ENTITIES or entry["status"] not in STATUSES:
            raise ValueError(f"unknown Bridge entity/status: {entry['entity']}/{entry['status']}")
        key, params = stored(entry.get("message") or "")
        rows.append({"tenant_id": tenant_id, "connector_key": connector_key, "entity": entry["entity"],
                     "entity_id": str(entry["entity_id"]), "status": entry["status"], "message": key,
                     "message_params": params,
                     "details": entry.get("details") or {}, "attempt": entry.get("attempt"), "created_at": now})
    db.session.execute(BridgeEntry.__table__.insert(), rows)
    if commit:
        db.session.commit()
    log.info("bridge tenant=%s: %d entries", tenant_id, len(rows))
    return len(rows)
