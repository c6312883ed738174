"""The Bridge: every job records what it did to each product, price, stock, order and event here."""
import logging

from saas.bridge.models import ENTITIES, STATUSES, BridgeEntry
from saas.extensions import db

log = logging.getLogger(__name__)


def record(tenant_id: int, entity: str, entity_id, status: str, message: str = "", *,
           details: dict | None = None, attempt: int | None = None, commit: bool = True) -> BridgeEntry:
    if entity not in ENTITIES or status not in STATUSES:
        raise ValueError(f"unknown Bridge entity/status: {entity}/{status}")
    entry = BridgeEntry(tenant_id=tenant_id, entity=entity, entity_id=str(entity_id), status=status,
                        message=message, details=details or {}, attempt=attempt)
    db.session.add(entry)
    if commit:
        db.session.commit()
    log.info("bridge tenant=%s %s %s %s: %s", tenant_id, entity, entity_id, status, message)
    return entry
