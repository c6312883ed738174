"""The store's promotions calendar: VTEX sends no notification when a promotion starts or ends (its published known
issue), yet the simulation's price changes then. So each store's marketplace reads VTEX's promotions (a periodic
kind, every ``PROMOTIONS_INTERVAL``), and at every begin and end queues again exactly the SKUs in the promotion's
scope, or every SKU of the marketplace when the scope cannot be narrowed to SKUs; its next run is set to the next
boundary, so the offer changes within a minute of it (the marketplace's own limits permitting).

A boundary missed (the job lost, a worker down) is caught by the next run: each promotion row remembers when its
begin and its end were handled. A promotion created already running, or edited, is handled as a boundary too.
"""
import logging
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, or_

from saas.catalog import changes as sku_changes
from saas.catalog import drift
from saas.catalog.models import Promotion, SkuBinding
from saas.extensions import db
from saas.integration_errors import AuthError, PermanentError
from saas.jobs.schedule import periodic, run_at, run_soon
from saas.tenants.scoping import scoped
from saas.tenants.settings import trade_policy_of
from saas.timeutil import utcnow
from saas.vtex.client import VtexClient

log = logging.getLogger(__name__)
# Lists of a promotion's scope that name SKUs we can find in the store's bindings; the others (products,
# categories with their children, collections) cannot be narrowed, and the whole catalog goes again.
NARROWABLE = ("skus", "brands")
WIDE = ("products", "categories", "collections")
AFTER_BOUNDARY = timedelta(seconds=1)  # VTEX's simulation has the new price from the boundary on


@periodic("promotions", "PROMOTIONS_INTERVAL", "default")
def refresh_promotions(tenant, row) -> dict:
    """The periodic run: read the store's promotions, queue again the SKUs of every boundary passed, and come back
    at the next boundary."""
    if not current_app.config["VTEX_RECHECKS"]:
        return {"off": True}
    now = utcnow()
    client = VtexClient.for_tenant(tenant)
    try:
        promotions = _read(tenant, row.connector_key, client)
    except (AuthError, PermanentError) as exc:  # a key without the promotions' role: the re-reads catch prices
        db.session.rollback()
        log.warning("tenant %s: VTEX's promotions could not be read: %s", tenant.id, exc.message)
        return {"error": exc.message}
    resent = 0
    trade_policy = trade_policy_of(row.settings)
    for promotion in promotions:
        for boundary in _passed(promotion, now):
            resent += _resend(tenant, row.connector_key, promotion, trade_policy)
            setattr(promotion, f"{boundary}_handled_at", now)
    db.session.commit()
    if resent:
        run_soon("sync", tenant.id, row.connector_key)
    following = _next_boundary(promotions, now)
    if following and following - now < timedelta(seconds=current_app.config["PROMOTIONS_INTERVAL"]):
        run_at("promotions", tenant.id, row.connector_key, following + AFTER_BOUNDARY)
    return {"promotions": len(promotions), "resent": resent,
            "next_boundary": following.isoformat() if following else None}


def _read(tenant, connector_key: str, client: VtexClient) -> list[Promotion]:
    """The store's promotions as VTEX has them now; the detail is read again only when VTEX's lastModified moved.
    A promotion VTEX no longer lists is forgotten."""
    stored = {p.vtex_id: p for p in scoped(Promotion, tenant, connector_key)}
    seen = []
    for summary in client.promotions():
        vtex_id = str(summary.get("idCalculatorConfiguration") or "")
        if not vtex_id or summary.get("isArchived") or summary.get("type") not in (None, "regular", "campaign"):
            continue
        promotion = stored.get(vtex_id)
        modified = str(summary.get("lastModifiedUtc") or summary.get("lastModified") or "")
        if promotion is None or promotion.modified != modified or not modified:
            promotion = _update(tenant, connector_key, promotion, client.promotion(vtex_id), modified)
        seen.append(promotion)
    listed = {p.vtex_id for p in seen}
    for vtex_id, promotion in stored.items():
        if vtex_id not in listed:
            db.session.delete(promotion)
    db.session.flush()
    return seen


def _update(tenant, connector_key, promotion, detail: dict, modified: str) -> Promotion:
    """The row of a promotion read whole; an edited promotion's boundaries are handled again (its dates or scope
    may have moved, and VTEX said nothing)."""
    if promotion is None:
        promotion = Promotion(tenant_id=tenant.id, connector_key=connector_key, vtex_id=str(
            detail["idCalculatorConfiguration"]))
        db.session.add(promotion)
    else:
        promotion.begin_handled_at = promotion.end_handled_at = None
    promotion.name = str(detail.get("name") or "")[:200]
    promotion.active = bool(detail.get("isActive"))
    promotion.begins_at, promotion.ends_at = _utc(detail.get("beginDateUtc")), _utc(detail.get("endDateUtc"))
    nominal = detail.get("discountType") == "nominal"
    promotion.discount = {"type": "nominal" if nominal else "percentual",
                          "value": float(detail.get("nominalDiscountValue" if nominal else "percentualDiscountValue")
                                         or 0)}
    promotion.scope = scope_of(detail)
    promotion.modified = modified
    return promotion


def scope_of(detail: dict) -> dict:
    """What a promotion applies to, as the connector can find it: SKU ids and brand names to narrow with, ``all``
    when a list cannot narrow (products, categories, collections, or any list that excludes)."""
    lists = {name: [str(item.get("id")) for item in detail.get(name) or [] if isinstance(item, dict)]
             for name in NARROWABLE + WIDE}
    brand_names = [str(item.get("name") or "").strip() for item in detail.get("brands") or []
                   if isinstance(item, dict)]
    inclusive = {"skus": detail.get("skusAreInclusive", True), "brands": detail.get("brandsAreInclusive", True)}
    wide = any(lists[name] for name in WIDE) or any(lists[name] and not inclusive[name] for name in NARROWABLE)
    return {"all": wide or not any(lists[name] for name in NARROWABLE), "skus": lists["skus"],
            "brands": [b for b in brand_names if b], "trade_policies": [str(t) for t in detail.get("idsSalesChannel")
                                                                        or []],
            "trade_policies_excluded": bool(detail.get("areSalesChannelIdsExclusive"))}


def _utc(text) -> datetime | None:
    """A VTEX UTC time as stored (naive UTC)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _passed(promotion: Promotion, now: datetime) -> list[str]:
    """The boundaries of this promotion that have passed and were not handled yet: each changed VTEX's price."""
    passed = []
    if promotion.begin_handled_at is None and (promotion.begins_at is None or promotion.begins_at <= now) \
            and promotion.active:
        passed.append("begin")
    if promotion.end_handled_at is None and promotion.ends_at is not None and promotion.ends_at <= now:
        passed.append("end")
    return passed


def _next_boundary(promotions: list[Promotion], now: datetime) -> datetime | None:
    future = [moment for p in promotions if p.active for moment in (p.begins_at, p.ends_at)
              if moment is not None and moment > now]
    return min(future, default=None)


def _resend(tenant, connector_key: str, promotion: Promotion, trade_policy: str) -> int:
    """Queue again the SKUs of the promotion's scope (price and stock, as a notification would); how many."""
    scope = promotion.scope or {}
    policies = scope.get("trade_policies") or []
    if policies and (trade_policy in policies) == bool(scope.get("trade_policies_excluded")):
        return 0  # not this marketplace's trade policy: its prices did not move
    skus = skus_in_scope(tenant, connector_key, scope)
    for start in range(0, len(skus), 1000):
        sku_changes.record(tenant.id, [sku_changes.Change(s, price_modified=True, stock_modified=True)
                                       for s in skus[start:start + 1000]], connectors=[connector_key], commit=False)
    drift.tally(tenant.id, connector_key, "promotion", checked=len(skus), found=len(skus))
    log.info("tenant %s: promotion %s %s: %d SKU(s) queued again", tenant.id, promotion.vtex_id,
             promotion.name, len(skus))
    return len(skus)


def skus_in_scope(tenant, connector_key: str, scope: dict) -> list[str]:
    """The marketplace's SKUs the scope may change: those it names, those of its brands, and those whose brand is
    not known yet (a promotion must not be missed for a brand we have not read)."""
    query = scoped(SkuBinding, tenant, connector_key)
    if not scope.get("all"):
        conditions = []
        if scope.get("skus"):
            conditions.append(SkuBinding.sku_id.in_(scope["skus"]))
        if scope.get("brands"):
            names = [b.casefold() for b in scope["brands"]]
            conditions += [func.lower(SkuBinding.brand).in_(names), SkuBinding.brand.is_(None)]
        query = query.filter(or_(*conditions))
    return [sku for sku, in query.with_entities(SkuBinding.sku_id).order_by(SkuBinding.sku_id)]


def for_catalog(tenant, connector_key: str, now: datetime | None = None) -> list[Promotion]:
    """The promotions running or to come, soonest first, for the Catálogo."""
    now = now or utcnow()
    rows = scoped(Promotion, tenant, connector_key).filter(Promotion.active.is_(True)).all()
    return sorted((p for p in rows if p.ends_at is None or p.ends_at > now - timedelta(hours=1)),
                  key=lambda p: p.begins_at or datetime.min)


def applies_to(promotion: Promotion, binding) -> bool:
    scope = promotion.scope or {}
    if scope.get("all"):
        return True
    brand = (binding.brand or "").casefold()
    return binding.sku_id in (scope.get("skus") or []) or bool(
        brand and brand in [b.casefold() for b in scope.get("brands") or []])
