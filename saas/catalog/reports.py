"""Import reports, ``REPORT_DELAY`` after each batch: the marketplace's verdict on every SKU, into the Bridge."""
import logging
from datetime import timedelta

from rq import Retry

from saas import bridge, metrics
from saas.catalog.models import ImportBatch, SkuBinding
from saas.connectors.base import Batch, LineResult
from saas.extensions import db
from saas.i18n import msg, stored
from saas.integration_errors import IntegrationError
from saas.jobs import locks
from saas.jobs.queues import enqueue, job
from saas.jobs.recovery import hands_back
from saas.tenants.models import ConnectorSettings, Tenant
from saas.tenants.scoping import scoped, scoped_among
from saas.tenants.settings import build_connector
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
RECHECK_SECONDS = 60  # marketplaces ask that an import's status be read at most once a minute
MAX_CHECKS = 30
DUE_TOLERANCE = timedelta(seconds=5)
OFFER_STATES = {"success": "live", "pending": "pending", "error": "error"}
PRODUCT_STATES = {"success": "listed", "pending": "pending", "error": "error"}
AWAITING_APPROVAL = ("sent", "pending")  # product states of a SKU the marketplace has not listed yet


def schedule_check(batch: ImportBatch, delay: timedelta) -> None:
    """Read the batch's report after ``delay``; the row says when, so a lost job is found by the recovery sweep."""
    batch.next_check_at = utcnow() + delay
    db.session.commit()
    enqueue(check_import, batch.id, delay=delay)


@hands_back("reports", ImportBatch, ImportBatch.status == "sent", "next_check_at")
@job("sync", 600, Retry(max=2, interval=[0, 60]))
@locks.on_row(ImportBatch, waiting=lambda batch: _due(batch),
              lock_name=lambda batch: f"saas:lock:import-report:{batch.id}", busy="another worker is reading it")
def check_import(batch: ImportBatch) -> str:
    return _check(batch)


def _due(batch: ImportBatch) -> bool:
    """Not read yet, and not a duplicate of a later check."""
    return batch.status == "sent" and not (batch.next_check_at and batch.next_check_at > utcnow() + DUE_TOLERANCE)


def _check(batch: ImportBatch) -> str:
    tenant = db.session.get(Tenant, batch.tenant_id)
    row = scoped(ConnectorSettings, tenant).filter(ConnectorSettings.connector_key == batch.connector_key
                                                   ).one_or_none()
    if row is None or not row.active:
        return "integration inactive"
    connector = build_connector(tenant, row.connector_key, row)
    batch.checks += 1
    batch.checked_at = utcnow()
    try:
        report = connector.check_batch(Batch(batch.kind, batch.import_id, tuple(batch.sku_ids)))
    except IntegrationError as exc:
        log.warning("tenant %s batch %s: report not readable: %s", tenant.id, batch.import_id, exc)
        report = None
    if report is None or not report.final:
        return _check_again(tenant, batch, report.status if report else "unreadable", connector.name)
    _apply(tenant, batch, report, connector.name)
    return report.status


def _check_again(tenant, batch, status, connector_name: str) -> str:
    if batch.checks >= MAX_CHECKS:
        batch.status, batch.next_check_at = "failed", None
        bridge.record(tenant.id, "integration", f"import {batch.import_id}", "warning",
                      msg("%(marketplace)s's report of the import %(import_id)s was not ready after %(checks)d checks "
                          "(last status: %(status)s). Its SKUs are sent again with their next change.",
                          marketplace=connector_name, import_id=batch.import_id, checks=batch.checks, status=status),
                      commit=False, connector_key=batch.connector_key)
        db.session.commit()
        return "gave up"
    schedule_check(batch, timedelta(seconds=RECHECK_SECONDS))
    return "later"


def _apply(tenant, batch, report, connector_name: str) -> None:
    bindings = {b.sku_id: b for b in scoped_among(SkuBinding, SkuBinding.sku_id, batch.sku_ids, tenant,
                                                  batch.connector_key)}
    entries = []
    for sku, line in report.results.items():
        binding = bindings.get(sku)
        if batch.kind == "product":
            if binding and binding.product_state != "listed":
                binding.product_state = PRODUCT_STATES[line.status]
            entries.append(dict(entity="product", entity_id=sku, status=line.status, message=line.message,
                                details={"import_id": batch.import_id, "title": binding.title if binding else ""}))
        else:
            if line.status == "error" and binding and binding.product_state in AWAITING_APPROVAL:
                # The marketplace discards an offer whose product it has not approved yet; the offer goes again
                # once the product is listed (sync._promote_approved), so this is a wait, not an error.
                line = LineResult("pending", msg("Awaiting the approval of the product by %(marketplace)s; the offer "
                                                 "goes again as soon as it is approved. (%(detail)s)",
                                                 marketplace=connector_name, detail=line.message))
            withdrawn = binding is not None and binding.offer_state == "withdrawing" and line.status == "success"
            if binding:
                binding.offer_state = "withdrawn" if withdrawn else OFFER_STATES[line.status]
            details = {"import_id": batch.import_id,
                       "price": binding.price_cents / 100 if binding and binding.price_cents else None,
                       "quantity": binding.quantity if binding else None}
            message = msg("Offer withdrawn from %(marketplace)s.", marketplace=connector_name) if withdrawn \
                else line.message
            entries.append(dict(entity="price", entity_id=sku, status=line.status, message=message, details=details))
            entries.append(dict(entity="inventory", entity_id=sku, status=line.status, message=message,
                                details=details))
        if binding:
            binding.last_error, binding.last_error_params = stored(line.message if line.status == "error" else None)
    bridge.record_many(tenant.id, entries, commit=False, connector_key=batch.connector_key)
    batch.status = "complete" if report.ok else "failed"
    batch.next_check_at = None
    batch.summary = report.summary
    db.session.commit()
    if batch.kind == "offer" and report.ok and batch.changed_at:
        metrics.observe("saas_change_to_offer_seconds", (utcnow() - batch.changed_at).total_seconds(),
                        marketplace=batch.connector_key)
