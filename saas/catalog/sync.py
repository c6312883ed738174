"""The catalog sync of one tenant, every ``SYNC_INTERVAL``: pending SKU changes → VTEX reads → one product file for
the SKUs the marketplace does not list yet and one offer file for all → import batches, checked ``REPORT_DELAY``
later.

Nothing is lost: a change is deleted only once what it asked for has been handed to the marketplace (or found
impossible and reported); a VTEX or marketplace outage, the marketplace's import frequency limits, or a killed
worker leave it pending for the next cycle. Offers are sent in NORMAL mode, with the current values, so sending one
again changes nothing at the marketplace.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func

from saas import alerts, bridge
from saas.catalog import changes as sku_changes
from saas.catalog import readiness, reports, rules, safety
from saas.catalog.models import ImportBatch, SkuBinding, binding_search_text
from saas.catalog.pricing import Pricing
from saas.catalog.staging import Staging
from saas.catalog.vtex_reads import VtexReader
from saas.connectors.base import CatalogItem, NotSupported, Published
from saas.extensions import LOOKUP, among, db
from saas.i18n import money, msg, stored
from saas.integration_errors import AuthError, IntegrationError
from saas.jobs import schedule
from saas.mail import send_mail
from saas.tenants.scoping import scoped, scoped_among
from saas.tenants.settings import affiliate_of, build_connector, trade_policy_of
from saas.timeutil import utcnow
from saas.vtex.client import VtexClient
from saas.vtex.sku_context import SkuContext

log = logging.getLogger(__name__)
HELD = {"below_cost": lambda **values: msg("Price held: %(price_cents)s is below the SKU's cost, %(cost_cents)s. "
                                           "Approve it in the Catalog or fix the price at VTEX.", **values),
        "zero": lambda **values: msg("Price held: VTEX's price makes %(price_cents)s, which is not sent. Fix the price "
                                     "at VTEX or the price rules.", **values),
        "drop": lambda **values: msg("Price held: %(price_cents)s fell more than the price-drop guard allows from the "
                                     "last price accepted, %(last_cents)s. Approve it in the Catalog or fix the "
                                     "price at VTEX.", **values)}


@dataclass
class Plan:
    """What one cycle does with the pending changes it took."""

    product_wanted: list[str] = field(default_factory=list)  # SKUs whose product must go, now or later
    products: list[str] = field(default_factory=list)   # SKUs whose product goes now
    offers: list[str] = field(default_factory=list)     # SKUs whose offer (price, stock) goes now
    withdraw: list[str] = field(default_factory=list)   # SKUs whose offer is deleted
    deferred: set[str] = field(default_factory=set)     # SKUs that must wait for a later cycle
    not_before: datetime | None = None                  # when the marketplace takes the import that had to wait

    def hold_products(self) -> None:
        """No product goes in this run, nor the offers of their SKUs (``saas.catalog.staging``)."""
        self.deferred.update(self.products)
        self.products = []


@schedule.periodic("sync", "SYNC_INTERVAL", "sync")
def sync_catalog(tenant, row) -> dict:
    """One run, in stages: **plan** what the pending changes ask for and what must wait for the marketplace's limits;
    **read** the products from VTEX while **publishing** their file; **price** the offers (the store's rules, the
    drop guard, stock safety) and **publish** them; **record** what went, what was refused and what waits."""
    run = _plan_run(tenant, row)
    if run is None:
        return {"changes": 0}
    try:
        sent = _read_price_publish(run)
    except AuthError as exc:
        bridge.record(tenant.id, "integration", run.connector.key, "error",
                      msg("%(marketplace)s refused the %(key_name)s (%(detail)s); nothing was sent. Save a new key.",
                          marketplace=run.connector.name, key_name=run.connector.credentials_label, detail=exc.said),
                      details=bridge.KEY_REFUSED, connector_key=run.connector.key)
        return {"changes": len(run.taken), "batches": [], "more": run.more}
    except IntegrationError as exc:
        bridge.record(tenant.id, "integration", "sync", "warning",
                      msg("%(marketplace)s could not take the files (%(detail)s); they go in the next cycle.",
                          marketplace=run.connector.name, detail=exc.said), connector_key=run.connector.key)
        return {"changes": len(run.taken), "batches": [], "more": run.more}
    return _record_run(run, sent)


@dataclass
class Run:
    """One sync run of a store's marketplace, as planned."""

    tenant: object
    connector: object
    settings: dict
    reader: VtexReader
    taken: list          # the pending changes this run took
    bindings: dict       # SKU → its SkuBinding, for the SKUs taken that have one
    plan: Plan
    received: dict       # SKU → when its change reached us
    staging: Staging
    more: bool           # whether the staging has more to read in a later part


@dataclass
class Sent:
    """What a run read, priced and handed to the marketplace."""

    reads: "ProductReads"
    products: Published
    offers: list[CatalogItem]
    offers_sent: Published
    priced: object       # the pricing's result: items, held prices, notes
    taxonomy: dict
    not_sold: set
    unpriced: dict
    started: dict        # each import's own start, from which the marketplace counts its limits


def _plan_run(tenant, row) -> Run | None:
    """The plan: approvals found first (their offers go in this run), then the pending changes taken and sorted
    into products, offers, withdrawals and what must wait; None when nothing is pending."""
    connector = build_connector(tenant, row.connector_key, row)
    settings = row.settings
    reader = VtexReader(VtexClient.for_tenant(tenant), account=tenant.vtex_account,
                        trade_policy=trade_policy_of(settings),
                        affiliate_id=affiliate_of(row.connector_key, settings))
    try:
        _promote_approved(tenant, connector)
    except (IntegrationError, NotSupported) as exc:
        log.warning("tenant %s: approval check skipped: %s", tenant.id, exc)
    taken = sku_changes.pending(tenant.id, connector.key, current_app.config["SYNC_BATCH_LIMIT"])
    if not taken:
        return None
    bindings = bindings_of(tenant, connector.key, [c.sku_id for c in taken])
    plan = _plan(tenant, connector, taken, bindings)
    received = {c.sku_id: c.received_at for c in taken}
    staging = Staging(tenant, connector.key, reader, current_app.config["SYNC_STAGE_CHUNK"], received)
    more = staging.read_ahead(plan)
    return Run(tenant, connector, settings, reader, taken, bindings, plan, received, staging, more)


def _read_price_publish(run: Run) -> Sent:
    """The products' file is written as their contexts are read (a part at a time); then prices and stock are read
    for the offers, priced, and their file sent."""
    plan, connector, bindings = run.plan, run.connector, run.bindings
    pricing = Pricing(run.settings, safety.for_store(run.tenant, connector, run.settings))
    reads = ProductReads(run.staging, plan.products, pricing.cost_spec, _readiness_check(connector, run.settings))
    started = {"product": utcnow()}
    products = connector.publish_products(reads.items()) if plan.products else Published()
    prices, unpriced = run.staging.prices_and_stock(
        [s for s in plan.offers if s not in plan.deferred and not reads.unsendable(s)])
    offers = [i for i in _offer_items(plan, bindings, reads.eans, prices) if not reads.unsendable(i.sku_id)]
    taxonomy, costs = what_rules_need(run.reader, pricing, offers, bindings, reads)
    priced = pricing.apply(offers, bindings, taxonomy, costs)
    not_sold = {i.sku_id for i in priced.items if i.price_cents is None and not i.withdraw}
    started["offer"] = utcnow()
    offers_sent = connector.publish_offers(i for i in priced.items if i.sku_id not in not_sold)
    return Sent(reads, products, offers, offers_sent, priced, taxonomy, not_sold, unpriced, started)


def _record_run(run: Run, sent: Sent) -> dict:
    """The record: bindings, batches and the Bridge; the changes handed over consumed, the others kept for the moment
    the marketplace allows."""
    tenant, connector, plan, reads, priced = run.tenant, run.connector, run.plan, sent.reads, sent.priced
    unreadable = {**reads.unread, **sent.unpriced}
    if unreadable:
        plan.deferred.update(unreadable)
        bridge.record(tenant.id, "integration", "sync", "warning",
                      msg("SKUs VTEX could not read: %(count)d. They wait for the next cycle.",
                          count=len(unreadable)),
                      details={"errors": dict(list(unreadable.items())[:20])}, connector_key=connector.key)
    rejected = {"product": {**{s: msg("VTEX has no such SKU (%(detail)s)", detail=why)
                               for s, why in reads.missing.items()}, **sent.products.rejected},
                "price": {**{s: msg(readiness.NOT_SOLD)
                             for s in sent.not_sold}, **sent.offers_sent.rejected}}
    batches = [b for b in (sent.products.batch, sent.offers_sent.batch) if b]
    learned = {sku: {"brand": brand, "category_id": category} for sku, (brand, category) in sent.taxonomy.items()
               if sku in priced.notes or sku in reads.taxonomy}
    newly_held = {sku: held for sku, held in priced.held.items()
                  if sku not in run.bindings or run.bindings[sku].held_price_cents != held[1]}
    _record(tenant, connector.key, batches, sent.started, rejected, run.bindings, reads,
            {i.sku_id: i for i in priced.items},
            {sku: {**learned.get(sku, {}), **priced.notes.get(sku, {})} for sku in {*learned, *priced.notes}},
            newly_held, run.received)
    if plan.products:
        run.staging.clear()
    if newly_held:
        _tell_held(tenant, connector, run.settings, newly_held)
    sku_changes.consume(tenant.id, connector.key,
                        [(c.id, c.version) for c in run.taken if c.sku_id not in plan.deferred])
    went = set(sent.products.batch.sku_ids) if sent.products.batch else set()
    sku_changes.settle_catalog(tenant.id, connector.key,  # their offer waits, their product must not go again
                               [(c.id, c.version) for c in run.taken if c.sku_id in plan.deferred and c.sku_id in went])
    if plan.not_before:  # what waits goes as soon as the marketplace allows, not a whole cycle later
        schedule.run_at("sync", tenant.id, connector.key, plan.not_before)
    return {"changes": len(run.taken), "products": len(went), "offers": len(sent.offers),
            "rejected": sum(len(m) for m in rejected.values()), "deferred": len(plan.deferred),
            "held": len(priced.held), "not_ready": len(reads.not_ready),
            "batches": [b.import_id for b in batches], "more": run.more}


class ProductReads:
    """SKU contexts read chunk by chunk as the product file is written (from ``reader``, a ``Staging``: what was
    staged ahead, and VTEX for the rest); only what the bindings need (EAN, title) is kept, so a catalog of any size
    fits in memory. With ``check``, a SKU whose context has problems (``saas.catalog.readiness``) is kept out of the
    file, its problems in ``not_ready``."""

    CHUNK = 2000

    def __init__(self, reader, sku_ids: list[str], cost_spec: str = "", check=None):
        self.reader, self.sku_ids, self.cost_spec, self.check = reader, sku_ids, cost_spec, check
        self.eans, self.titles, self.taxonomy, self.costs, self.missing, self.unread = {}, {}, {}, {}, {}, {}
        self.not_ready = {}

    def unsendable(self, sku: str) -> bool:
        """The SKU's product could not be read, does not exist or is not ready: its offer cannot go either."""
        return sku in self.unread or sku in self.missing or sku in self.not_ready

    def items(self):
        for contexts, missing, unread in self.reader.batches(self.sku_ids, self.CHUNK):
            self.missing.update(missing)
            self.unread.update(unread)
            for sku, context in contexts.items():
                self.eans[sku] = SkuContext(context).ean or None
                self.titles[sku] = SkuContext(context).title[:255]
                self.taxonomy[sku] = taxonomy_of(context)
                if self.cost_spec:
                    self.costs[sku] = rules.cost_of(context, self.cost_spec)
                problems = self.check(context) if self.check else []
                if problems:
                    self.not_ready[sku] = problems
                    continue
                yield CatalogItem(sku, context=context)


def bindings_of(tenant, connector_key, sku_ids) -> dict[str, SkuBinding]:
    return {b.sku_id: b for b in scoped_among(SkuBinding, SkuBinding.sku_id, sku_ids, tenant, connector_key)}


def _plan(tenant, connector, taken, bindings) -> Plan:
    plan = Plan()
    products_at = _allowed_at(tenant, connector.key, "product", connector.min_product_import_interval)
    offers_at = _allowed_at(tenant, connector.key, "offer", connector.min_offer_import_interval)
    products_may_go, offers_may_go = products_at is None, offers_at is None
    for change in taken:
        sku, binding = change.sku_id, bindings.get(change.sku_id)
        if not change.is_active or change.removed_from_affiliate:
            if binding and binding.offer_state not in ("none", "withdrawn"):
                plan.withdraw.append(sku)
            if not offers_may_go:
                plan.deferred.add(sku)
            continue
        needs_product = binding is None or binding.product_state in ("none", "error", "not_ready") or (
            change.catalog_modified and binding.product_state != "listed")
        if needs_product:
            plan.product_wanted.append(sku)
            if products_may_go:
                plan.products.append(sku)
            else:
                plan.deferred.add(sku)
        if offers_may_go:
            plan.offers.append(sku)
        else:
            plan.deferred.add(sku)
    if plan.deferred:
        plan.not_before = min(at for at in (products_at, offers_at) if at is not None)
    return plan


def _allowed_at(tenant, connector_key, kind: str, min_interval: int) -> datetime | None:
    """The marketplace's frequency limit: None when an import of ``kind`` may start now, else the moment it may,
    ``min_interval`` after the last one started."""
    last = scoped(ImportBatch, tenant, connector_key).filter(ImportBatch.kind == kind).with_entities(
        func.max(ImportBatch.created_at)).scalar()
    allowed = last + timedelta(seconds=min_interval) if last else None
    return allowed if allowed and allowed > utcnow() else None


def _readiness_check(connector, settings: dict):
    """What the core checks of each product before it goes, as the connector declares it (None: nothing)."""
    requirements = connector.requirements
    if requirements is None:
        return None
    specs = settings.get("certificate_specs") or {}
    return lambda context: readiness.problems(context, requirements, connector.name, specs)


def _offer_items(plan: Plan, bindings, eans, prices) -> list[CatalogItem]:
    items = []
    for sku in plan.offers:
        if sku in plan.deferred:
            continue
        binding = bindings.get(sku)
        ean = (binding.ean if binding else None) or eans.get(sku)
        price, stock, list_price = prices.get(sku, (None, None, None))
        items.append(CatalogItem(sku, price_cents=price, quantity=stock, ean=ean, list_price_cents=list_price))
    for sku in plan.withdraw:
        if sku not in plan.deferred:
            items.append(CatalogItem(sku, ean=bindings[sku].ean, withdraw=True))
    return items


def taxonomy_of(context: dict) -> tuple[str | None, str | None]:
    """The SKU's brand and (deepest) category id, as price and stock rules target them."""
    sku = SkuContext(context)
    return sku.brand[:120] or None, sku.category_id or None


def what_rules_need(reader, pricing, offers, bindings, reads) -> tuple[dict[str, tuple], dict[str, int | None]]:
    """Brand and category of the SKUs offered (from their bindings and this cycle's reads, and from VTEX for those
    not known yet when a rule targets a brand or a category), and their cost when a specification carries it (read
    from VTEX for every SKU offered, since a cost may change without a catalog change)."""
    known = {sku: (b.brand, b.category_id) for sku, b in bindings.items() if b.brand or b.category_id}
    known.update(reads.taxonomy)
    costs = dict(reads.costs)
    offered = [i.sku_id for i in offers if not i.withdraw]
    wanted = [sku for sku in offered if (pricing.needs_taxonomy and sku not in known)
              or (pricing.cost_spec and sku not in costs)]
    for start in range(0, len(wanted), ProductReads.CHUNK):
        contexts, _missing, _unread = reader.sku_contexts(wanted[start:start + ProductReads.CHUNK])
        for sku, context in contexts.items():
            known[sku] = taxonomy_of(context)
            if pricing.cost_spec:
                costs[sku] = rules.cost_of(context, pricing.cost_spec)
    return known, costs


def _tell_held(tenant, connector, settings, held) -> None:
    """The merchant hears of held prices at once, by mail to the notification e-mail and on the alert webhook."""
    subject = ngettext("[%(store)s] %(num)d price held for %(marketplace)s",
                       "[%(store)s] %(num)d prices held for %(marketplace)s", len(held), store=tenant.display_name,
                       marketplace=connector.name)
    alerts.alert(tenant, "price_held", subject, marketplace=connector.key,
                 skus={sku: {"price": price / 100, "last_accepted": last / 100 if last else None, "reason": reason}
                       for sku, (reason, price, last, _cost) in list(held.items())[:100]})
    email = settings.get("notification_email")
    if not email:
        return
    lines = "\n".join(_("SKU %(sku)s: %(price)s (last accepted: %(last)s)", sku=sku, price=money(price),
                          last=money(last) if last else "—")
                       for sku, (_reason, price, last, _cost) in list(held.items())[:20])
    send_mail(email, subject,
              _("These prices were not sent to %(marketplace)s: they are zero, below cost or fell more than the "
                "price-drop guard allows.\n\n%(lines)s\n\nApprove them in the Catalog (filter “price held”) or fix "
                "the price at VTEX.",
                marketplace=connector.name, lines=lines))


def _record(tenant, connector_key, batches, started, rejected: dict[str, dict[str, str]], bindings,
            reads: ProductReads, offers, notes: dict[str, dict], held: dict[str, tuple],
            received: dict[str, datetime]) -> None:
    """Bindings and batches of what went, error entries for what could not; new bindings are inserted in bulk
    (an initial load creates one per SKU of the catalog). A batch keeps when the oldest change it carries reached
    us (``received``: SKU → that moment), from which the delay that safety stock covers is measured."""
    now = utcnow()
    taking: dict[str, dict] = {}  # SKU → the values its binding takes, whether it exists or is new

    def update(sku, **values):
        taking.setdefault(sku, {}).update(values)

    recorded = []
    for batch in batches:
        changed = [received[sku] for sku in batch.sku_ids if sku in received]
        recorded.append(ImportBatch(tenant_id=tenant.id, connector_key=connector_key, kind=batch.kind,
                                    import_id=batch.import_id, sku_ids=list(batch.sku_ids),
                                    created_at=started[batch.kind], changed_at=min(changed, default=None)))
        db.session.add(recorded[-1])
        for sku in batch.sku_ids:
            if batch.kind == "product":
                update(sku, ean=reads.eans.get(sku), title=reads.titles.get(sku), product_state="sent",
                       product_sent_at=now, readiness=None)
            elif offers[sku].withdraw:
                update(sku, offer_state="withdrawing", offer_sent_at=now)
            else:
                update(sku, offer_state="sent", offer_sent_at=now, price_cents=offers[sku].price_cents,
                       quantity=offers[sku].quantity)
    for sku, values in notes.items():
        update(sku, **values)
    entries = [dict(entity="price", entity_id=sku, status="warning",
                    message=HELD[reason](price_cents=price, last_cents=last or 0, cost_cents=cost or 0),
                    details={"held_price": price / 100, "last_accepted": last / 100 if last else None})
               for sku, (reason, price, last, cost) in held.items()]
    for sku, problems in reads.not_ready.items():
        first = stored(problems[0].message)
        update(sku, ean=reads.eans.get(sku), title=reads.titles.get(sku), product_state="not_ready",
               readiness=readiness.stored_problems(problems), last_error=first[0], last_error_params=first[1])
        entries += [dict(entity="product", entity_id=sku, status="error", message=p.message) for p in problems]
    for entity, messages in rejected.items():
        for sku, message in messages.items():
            state = {"product_state": "error"} if entity == "product" else {"offer_state": "error"}
            update(sku, last_error=stored(message)[0], last_error_params=stored(message)[1], **state)
            entries.append(dict(entity=entity, entity_id=sku, status="error", message=message))
    rows = []
    for sku, values in taking.items():
        if sku in bindings:
            for name, value in values.items():
                setattr(bindings[sku], name, value)
        else:
            row = {**_new_binding(tenant.id, connector_key, sku, now), **values}
            rows.append({**row, "search_text": binding_search_text(row)})
    for start in range(0, len(rows), 1000):
        db.session.execute(SkuBinding.__table__.insert(), rows[start:start + 1000])
    bridge.record_many(tenant.id, entries, commit=False, connector_key=connector_key)
    db.session.commit()
    delay = timedelta(seconds=current_app.config["REPORT_DELAY"])
    for batch in recorded:
        reports.schedule_check(batch, delay)


def _new_binding(tenant_id: int, connector_key: str, sku: str, now: datetime) -> dict:
    """A binding's row before anything was sent: new ones are inserted in bulk (an initial load makes one per SKU)."""
    return {"tenant_id": tenant_id, "connector_key": connector_key, "sku_id": sku, "product_state": "none",
            "offer_state": "none", "updated_at": now, "ean": None, "title": None, "price_cents": None,
            "quantity": None, "last_error": None, "last_error_params": None, "product_sent_at": None,
            "offer_sent_at": None, "listed_at": None, "brand": None, "category_id": None, "vtex_price_cents": None,
            "price_rule": None, "held_price_cents": None, "held_reason": None, "approved_price_cents": None,
            "readiness": None, "safety": None}


def _promote_approved(tenant, connector) -> None:
    """Every product the marketplace has approved since it was sent becomes listed, however many, and its offer goes
    in this run's offer file (the marketplace discards price and stock sent before its approval): a hundred thousand
    approved at once cost one offer file, not a hundred runs."""
    pending = scoped(SkuBinding, tenant, connector.key).filter(
        SkuBinding.product_state == "pending", SkuBinding.ean.isnot(None)).with_entities(
        SkuBinding.id, SkuBinding.sku_id, SkuBinding.ean, SkuBinding.offer_state).all()
    if not pending:
        return
    listed = connector.listed([b.ean for b in pending])
    approved = [b for b in pending if b.ean in listed]
    now = utcnow()
    for start in range(0, len(approved), LOOKUP):
        scoped(SkuBinding, tenant, connector.key).filter(
            among(SkuBinding.id, [b.id for b in approved[start:start + LOOKUP]])).update(
            {SkuBinding.product_state: "listed", SkuBinding.listed_at: now}, synchronize_session=False)
    bridge.record_many(tenant.id, [dict(entity="product", entity_id=b.sku_id, status="success",
                                        message=msg("Approved and listed by %(marketplace)s.",
                                                    marketplace=connector.name))
                                   for b in approved], commit=False, connector_key=connector.key)
    sku_changes.record(tenant.id, [sku_changes.Change(b.sku_id, price_modified=True, stock_modified=True)
                                   for b in approved if b.offer_state != "live"], connectors=[connector.key],
                       commit=False)
    db.session.commit()
