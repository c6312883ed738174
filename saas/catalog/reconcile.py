"""The daily reconciliation of one store's marketplace: what the marketplace shows is compared with what VTEX says now,
and every difference goes back through the normal sync, never through an import that replaces the catalog.

1. ``start`` (the periodic job, once a day per store): the sweep of the last 5 days of paid orders, which imports any
   the 5-minute poll missed; then a full export of the marketplace's offers is asked for (at most one a day).
2. ``check_reconciliation`` looks at the export every minute (the pace marketplaces recommend) until it is ready,
   then reads one of its files a run (the job queues itself again for the next) and compares each chunk of offers
   with VTEX's simulation of the same SKUs, the store's price and stock rules applied:

   - a price or a quantity that differs: the SKU's change is recorded, so the next sync sends its offer;
   - an offer of a SKU that VTEX no longer sells in the trade policy: withdrawn by the next sync;
   - an offer the store sent and the marketplace accepted, missing from the export: sent again;
   - an offer whose SKU is not a VTEX SKU id (made by hand at the marketplace) is counted and left alone, and SKUs
     whose simulation failed are left for the next day.

   Each correction is a Bridge entry with the marketplace's value and VTEX's; the row keeps the counts for Catálogo.
A lost job is found again by the recovery sweep (``next_check_at``); an export not ready within 3 hours fails.
"""
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from rq import Retry

from saas import bridge, vtex
from saas.catalog import changes as sku_changes
from saas.catalog import drift, rereads, safety, sync
from saas.catalog.models import Reconciliation, SkuBinding
from saas.catalog.pricing import Pricing
from saas.catalog.vtex_reads import VtexReader
from saas.connectors.base import MarketplaceOffer, NotSupported
from saas.extensions import db
from saas.i18n import Text, msg
from saas.integration_errors import IntegrationError
from saas.jobs import locks
from saas.jobs.context import Integration
from saas.jobs.queues import enqueue, job
from saas.jobs.recovery import hands_back
from saas.jobs.schedule import periodic
from saas.tenants.scoping import scoped
from saas.tenants.settings import affiliate_of, build_connector, trade_policy_of
from saas.timeutil import utcnow
from saas.vtex.client import VtexClient

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(seconds=60)
EXPORT_WAIT = timedelta(hours=3)
CHUNK = 1000            # offers compared with VTEX at once
KEPT_CORRECTIONS = 100  # in the row's summary; the Bridge has every one
COUNTS = ("offers", "price_fixed", "stock_fixed", "withdrawn", "missing_resent", "foreign", "unread")


# The other features' parts of the daily reconciliation, declared with ``@also`` where they are written (the
# orders' sweep of the paid orders the poll missed: ``saas.orders.sweep``): name → ``step(tenant, row, connector)``,
# whose count goes into the reconciliation's summary under that name. The catalog never imports the orders.
ALSO: dict = {}


def also(name: str):
    def declare(step):
        ALSO[name] = step
        return step
    return declare


def lock_name(tenant_id: int, connector_key: str) -> str:
    return f"saas:lock:reconcile:{tenant_id}:{connector_key}"


@periodic("reconcile", "RECONCILE_INTERVAL", "sync", waits_first=True)
def start(tenant, row) -> dict:
    """The periodic job (under ``run_periodic``'s lock of the pair): orders now, offers once their export is ready."""
    connector = build_connector(tenant, row.connector_key, row)
    running = scoped(Reconciliation, tenant, connector.key).filter(Reconciliation.status == "exporting").first()
    if running is not None and running.started_at > utcnow() - EXPORT_WAIT:
        return {"running": running.id}
    if running is not None:
        _fail(running, connector, *_export_late(connector))
    reconciliation = Reconciliation(tenant_id=tenant.id, connector_key=connector.key, summary={})
    db.session.add(reconciliation)
    reconciliation.summary = {name: step(tenant, row, connector) for name, step in ALSO.items()}
    try:
        reconciliation.handle = connector.start_offer_export()
    except NotSupported:
        reconciliation.status, reconciliation.finished_at = "done", utcnow()
    except IntegrationError as exc:
        _fail(reconciliation, connector, exc.message, exc.said)
        return {"failed": exc.message}
    else:
        reconciliation.next_check_at = utcnow() + CHECK_EVERY
    db.session.commit()
    if reconciliation.status == "exporting":
        enqueue(check_reconciliation, reconciliation.id, delay=CHECK_EVERY)
    return {"reconciliation": reconciliation.id, **reconciliation.summary}


@hands_back("reconciliations", Reconciliation, Reconciliation.status == "exporting", "next_check_at")
@job("sync", 1800, Retry(max=2, interval=[0, 60]))
@locks.on_row(Reconciliation, waiting=lambda reconciliation: reconciliation.status == "exporting",
              lock_name=lambda reconciliation: lock_name(reconciliation.tenant_id, reconciliation.connector_key),
              busy="another worker is reconciling")
def check_reconciliation(reconciliation: Reconciliation) -> str:
    integration = Integration.active(reconciliation.tenant_id, reconciliation.connector_key)
    if integration is None:
        reconciliation.status, reconciliation.error = "failed", "the integration was turned off"
        db.session.commit()
        return "integration off"
    return _check(reconciliation, integration)


def _check(reconciliation, integration) -> str:
    """One part of the export a run, then the job queues itself for the next (a big catalog never holds a worker
    for long, and the other stores' jobs queued meanwhile go first); after the last, the offers missing from every
    part are sent again."""
    connector = integration.connector
    summary = reconciliation.summary
    try:
        parts = connector.offer_export(reconciliation.handle)
        if parts is None:
            return _wait(reconciliation, connector)
        comparison = Comparison(integration, reconciliation.started_at, Counter(summary.get("counts") or {}),
                                list(summary.get("corrections") or []))
        done = summary.get("parts_done", 0)
        if done < len(parts):
            offers = connector.offer_export_part(parts[done])
            for start in range(0, len(offers), CHUNK):
                comparison.compare(offers[start:start + CHUNK])
            reconciliation.summary = {**summary, "parts": len(parts), "parts_done": done + 1,
                                      "counts": dict(comparison.counts), "corrections": comparison.corrections}
            if done + 1 < len(parts):
                reconciliation.next_check_at = utcnow()
                db.session.commit()
                enqueue(check_reconciliation, reconciliation.id)
                return f"part {done + 1} of {len(parts)}"
        for part in parts:  # only their SKUs, to know which accepted offers the marketplace no longer has
            comparison.seen.update(offer.sku_id for offer in connector.offer_export_part(part))
        comparison.resend_missing()
    except IntegrationError as exc:
        _fail(reconciliation, connector, exc.message, exc.said)
        return "failed"
    _finish(reconciliation, connector, comparison)
    return "done"


def _finish(reconciliation, connector, comparison) -> None:
    summary = {k: v for k, v in reconciliation.summary.items() if k != "counts"}
    reconciliation.status, reconciliation.finished_at = "done", utcnow()
    reconciliation.summary = {**summary, **{k: comparison.counts[k] for k in COUNTS},
                              "corrections": comparison.corrections[:KEPT_CORRECTIONS]}
    fixed = comparison.fixed
    bridge.record(reconciliation.tenant_id, "integration", "reconciliation", "warning" if fixed else "success",
                  msg("Reconciliation with %(marketplace)s: offers compared: %(offers)d; differences corrected: "
                      "%(fixed)d; missed orders imported: %(orders)d.", marketplace=connector.name,
                      offers=comparison.counts.get("offers", 0), fixed=fixed,
                      orders=reconciliation.summary.get("orders_recovered", 0)),
                  details=reconciliation.summary, connector_key=connector.key, commit=False)
    db.session.commit()


def _wait(reconciliation, connector) -> str:
    if reconciliation.started_at < utcnow() - EXPORT_WAIT:
        _fail(reconciliation, connector, *_export_late(connector))
        return "failed"
    reconciliation.next_check_at = utcnow() + CHECK_EVERY
    db.session.commit()
    enqueue(check_reconciliation, reconciliation.id, delay=CHECK_EVERY)
    return "waiting for the export"


def _export_late(connector) -> tuple[str, Text]:
    return (f"{connector.name} did not have the export ready within 3 hours",
            msg("%(marketplace)s did not have the export ready within 3 hours", marketplace=connector.name))


def _fail(reconciliation, connector, error: str, said: Text | str) -> None:
    """``error`` in English for the row (the operators' view), ``said`` for the merchant in the Bridge."""
    reconciliation.status, reconciliation.error, reconciliation.finished_at = "failed", error, utcnow()
    bridge.record(reconciliation.tenant_id, "integration", "reconciliation", "warning",
                  msg("The reconciliation with %(marketplace)s could not be done (%(detail)s); it runs again "
                      "tomorrow.", marketplace=connector.name, detail=said),
                  connector_key=connector.key, commit=False)
    db.session.commit()


@dataclass
class Comparison:
    """The export compared chunk by chunk: what the marketplace shows against what the sync would send now."""

    integration: Integration
    started_at: object
    counts: Counter = field(default_factory=Counter)      # so far, the earlier parts' included
    corrections: list[dict] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def __post_init__(self):
        tenant, settings = self.integration.tenant, self.integration.settings
        self.connector = self.integration.connector
        self.reader = VtexReader(VtexClient.for_tenant(tenant), account=tenant.vtex_account,
                                 trade_policy=trade_policy_of(settings),
                                 affiliate_id=affiliate_of(self.integration.row.connector_key, settings))
        self.pricing = Pricing(settings, safety.for_store(tenant, self.connector, settings))

    @property
    def fixed(self) -> int:
        return sum(self.counts[k] for k in ("price_fixed", "stock_fixed", "withdrawn", "missing_resent"))

    def compare(self, offers: list[MarketplaceOffer]) -> None:
        tenant, key = self.integration.tenant, self.connector.key
        self.counts["offers"] += len(offers)
        ours = [o for o in offers if vtex.is_sku_id(o.sku_id)]
        self.counts["foreign"] += len(offers) - len(ours)
        bindings = sync.bindings_of(tenant, key, [o.sku_id for o in ours])
        prices, unread = self.reader.prices_and_stock([o.sku_id for o in ours])
        self.counts["unread"] += len(unread)
        expected = rereads.expected_offers(self.reader, self.pricing, prices, bindings)
        changes, entries = [], []
        for offer in ours:
            if offer.sku_id in unread:
                continue
            if offer.sku_id not in prices:
                changes.append(sku_changes.Change(offer.sku_id, is_active=False))
                entries.append(self._withdrawn(offer, bindings))
                continue
            item = expected.get(offer.sku_id)
            if item is None:  # held by the drop guard: the difference is the merchant's to approve
                continue
            entry = self._difference(offer, item.price_cents, self.connector.offered_quantity(item.quantity))
            if entry:
                changes.append(sku_changes.Change(offer.sku_id, price_modified=True, stock_modified=True))
                entries.append(entry)
        self._correct(changes, entries)
        drift.tally(tenant.id, key, "reconcile", checked=len(ours) - len(unread), found=len(changes), commit=True)

    def _difference(self, offer, price_cents, quantity) -> dict | None:
        price_differs, quantity_differs = offer.price_cents != price_cents, offer.quantity != quantity
        if not (price_differs or quantity_differs):
            return None
        self.counts["price_fixed"] += price_differs
        self.counts["stock_fixed"] += quantity_differs
        before, after = {"price": _reais(offer.price_cents), "quantity": offer.quantity}, \
            {"price": _reais(price_cents), "quantity": quantity}
        self._keep(offer.sku_id, "price" if price_differs else "stock", before, after)
        if price_differs:
            message = msg("Corrected in the reconciliation: %(marketplace)s showed %(shown_cents)s, quantity "
                          "%(shown)d; VTEX says %(price_cents)s, quantity %(quantity)d. Sent again.",
                          marketplace=self.connector.name, shown_cents=offer.price_cents or 0, shown=offer.quantity,
                          price_cents=price_cents or 0, quantity=quantity)
        else:
            message = msg("Corrected in the reconciliation: %(marketplace)s showed quantity %(shown)d; VTEX says "
                          "%(quantity)d. Sent again.", marketplace=self.connector.name, shown=offer.quantity,
                          quantity=quantity)
        return dict(entity="price" if price_differs else "inventory", entity_id=offer.sku_id, status="warning",
                    message=message, details={"before": before, "after": after})

    def _withdrawn(self, offer, bindings) -> dict:
        if offer.sku_id not in bindings:  # an offer the store sent before (another tool, an old migration)
            db.session.add(SkuBinding(tenant_id=self.integration.tenant.id, connector_key=self.connector.key,
                                      sku_id=offer.sku_id, product_state="listed", offer_state="live",
                                      price_cents=offer.price_cents, quantity=offer.quantity))
        self.counts["withdrawn"] += 1
        before = {"price": _reais(offer.price_cents), "quantity": offer.quantity}
        self._keep(offer.sku_id, "withdrawn", before, None)
        return dict(entity="inventory", entity_id=offer.sku_id, status="warning",
                    message=msg("Corrected in the reconciliation: VTEX no longer sells this SKU in the trade policy, "
                                "so its offer at %(marketplace)s (%(shown_cents)s, quantity %(shown)d) is withdrawn.",
                                marketplace=self.connector.name, shown_cents=offer.price_cents or 0,
                                shown=offer.quantity),
                    details={"before": before, "after": None})

    def resend_missing(self) -> None:
        """Offers the marketplace accepted before the export began, and that it no longer shows."""
        tenant, key = self.integration.tenant, self.connector.key
        live = scoped(SkuBinding, tenant, key).filter(
            SkuBinding.product_state == "listed", SkuBinding.offer_state == "live",
            SkuBinding.updated_at < self.started_at).with_entities(SkuBinding.sku_id)
        missing = [sku for sku, in live if sku not in self.seen]
        self.counts["missing_resent"] += len(missing)
        for sku in missing[:KEPT_CORRECTIONS]:
            self._keep(sku, "missing", None, None)
        for start in range(0, len(missing), CHUNK):
            part = missing[start:start + CHUNK]
            self._correct([sku_changes.Change(sku, price_modified=True, stock_modified=True) for sku in part],
                          [dict(entity="price", entity_id=sku, status="warning",
                                message=msg("Corrected in the reconciliation: the offer was missing at "
                                            "%(marketplace)s; sent again.", marketplace=self.connector.name))
                           for sku in part])

    def _keep(self, sku, kind, before, after) -> None:
        if len(self.corrections) < KEPT_CORRECTIONS:
            self.corrections.append({"sku": sku, "kind": kind, "before": before, "after": after})

    def _correct(self, changes, entries) -> None:
        tenant_id, key = self.integration.tenant.id, self.connector.key
        sku_changes.record(tenant_id, changes, connectors=[key], commit=False)
        bridge.record_many(tenant_id, entries, connector_key=key, commit=False)
        db.session.commit()


def _reais(cents: int | None) -> float | None:
    return None if cents is None else cents / 100
