"""Notifications are hints, not truth: SKUs are read again from VTEX and sent again when what the marketplace holds
differs from what the sync would send now.

- After a notification, its SKU is read again every ``REREAD_EVERY`` seconds for ``REREAD_DELAY`` seconds (longer
  than VTEX's two minutes in which changes of one SKU merge into one notification, and than its caches answer the
  previous value): a change merged into the notification is caught within ``REREAD_EVERY`` of it.
- The rolling re-read (a periodic kind, every ``ROLLING_REREAD_INTERVAL``) verifies a slice of the store's offers a
  run, so that every offer is verified once per ``ROLLING_REREAD_PERIOD`` (6 h by default); its simulations go
  through the same pacing as every VTEX read.
Each counts what it checked and found in ``drift``.
"""
import logging
import time
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from saas.catalog import changes as sku_changes
from saas.catalog import drift, safety, sync
from saas.catalog.models import SkuBinding
from saas.catalog.pricing import Pricing
from saas.catalog.vtex_reads import VtexReader
from saas.connectors.base import CatalogItem
from saas.extensions import db, redis_connection
from saas.jobs.context import Integration
from saas.jobs.queues import enqueue, job
from saas.jobs.schedule import periodic, run_soon
from saas.tenants.scoping import scoped
from saas.tenants.settings import affiliate_of, trade_policy_of
from saas.vtex.client import VtexClient

log = logging.getLogger(__name__)
CHUNK = 1000
OFFERED = ("live", "sent")


def _pending_key(tenant_id: int, connector_key: str) -> str:
    return f"saas:reread:{tenant_id}:{connector_key}"


def after_notification(tenant_id: int, sku_ids: list[str], connectors: list[str]) -> None:
    """Read these SKUs again every ``REREAD_EVERY`` seconds until ``REREAD_DELAY`` after their last notification,
    for each marketplace: a sorted set of SKUs by their last notification, and one job per store and marketplace at
    a time, however many notifications come meanwhile. Losing this to a Redis outage costs only the early checks:
    the rolling re-read and the reconciliation still come."""
    config = current_app.config
    if not config["VTEX_RECHECKS"]:
        return
    try:
        redis, now = redis_connection(), time.time()
        for key in connectors:
            pending = _pending_key(tenant_id, key)
            with redis.pipeline() as pipe:
                pipe.zadd(pending, {sku: now for sku in sku_ids})
                pipe.expire(pending, config["REREAD_DELAY"] * 10)
                pipe.set(pending + ":queued", "1", nx=True, ex=config["REREAD_EVERY"] * 4)
                queued_now = pipe.execute()[2]
            if queued_now:
                enqueue(reread_notified, tenant_id, key, delay=timedelta(seconds=config["REREAD_EVERY"]))
    except RedisError as exc:
        log.warning("tenant %s: the read-again after a notification is skipped (Redis: %s)", tenant_id,
                    type(exc).__name__)


@job("sync", 600, Retry(max=2, interval=[60, 300]), integration=True)
def reread_notified(integration) -> dict:
    """Read again every SKU notified less than ``REREAD_DELAY`` ago; those older leave the set, and while any is
    left the job comes back in ``REREAD_EVERY`` seconds."""
    config = current_app.config
    tenant, key = integration.tenant, integration.row.connector_key
    redis, now = redis_connection(), time.time()
    pending = _pending_key(tenant.id, key)
    members = redis.zrange(pending, 0, -1)
    redis.zremrangebyscore(pending, "-inf", now - config["REREAD_DELAY"])
    sku_ids = sorted(m.decode() if isinstance(m, bytes) else m for m in members)
    result = check(integration, sku_ids, "reread")
    if redis.zcard(pending):
        redis.set(pending + ":queued", "1", ex=config["REREAD_EVERY"] * 4)
        enqueue(reread_notified, tenant.id, key, delay=timedelta(seconds=config["REREAD_EVERY"]))
    else:
        redis.delete(pending + ":queued")
    return result


@periodic("reread", "ROLLING_REREAD_INTERVAL", "sync", waits_first=True)
def rolling_reread(tenant, row) -> dict:
    """The periodic run: the next slice of the marketplace's offers, in SKU order, so every offer is verified once
    per ``ROLLING_REREAD_PERIOD``."""
    config = current_app.config
    if not config["VTEX_RECHECKS"]:
        return {"off": True}
    offered = scoped(SkuBinding, tenant, row.connector_key).filter(SkuBinding.offer_state.in_(OFFERED))
    total = offered.count()
    if not total:
        return {"checked": 0}
    size = max(1, -(-total * config["ROLLING_REREAD_INTERVAL"] // config["ROLLING_REREAD_PERIOD"]))
    cursor_key = f"saas:rolling:{tenant.id}:{row.connector_key}"
    after = (redis_connection().get(cursor_key) or b"").decode()
    slice_ = [s for s, in offered.filter(SkuBinding.sku_id > after).order_by(SkuBinding.sku_id)
              .with_entities(SkuBinding.sku_id).limit(size)]
    if len(slice_) < size:  # the end of the catalog: start again from the first
        slice_ += [s for s, in offered.order_by(SkuBinding.sku_id).with_entities(SkuBinding.sku_id)
                   .limit(size - len(slice_)) if s not in slice_]
    result = check(Integration(tenant, row), slice_, "rolling")
    redis_connection().set(cursor_key, slice_[-1] if slice_ else "", ex=config["ROLLING_REREAD_PERIOD"] * 2)
    return result


def check(integration, sku_ids: list[str], path: str) -> dict:
    """Compare what the marketplace was sent for these SKUs with what the sync would send now; queue again those
    that differ (price, stock, or VTEX no longer selling them)."""
    tenant, connector, settings = integration.tenant, integration.connector, integration.settings
    reader = VtexReader(VtexClient.for_tenant(tenant), account=tenant.vtex_account,
                        trade_policy=trade_policy_of(settings),
                        affiliate_id=affiliate_of(connector.key, settings))
    pricing = Pricing(settings, safety.for_store(tenant, connector, settings))
    checked = found = 0
    for start in range(0, len(sku_ids), CHUNK):
        bindings = {s: b for s, b in sync.bindings_of(tenant, connector.key, sku_ids[start:start + CHUNK]).items()
                    if b.offer_state in OFFERED}
        if not bindings:
            continue
        prices, unread = reader.prices_and_stock(sorted(bindings))
        expected = expected_offers(reader, pricing, prices, bindings)
        differing = []
        for sku, binding in bindings.items():
            if sku in unread:
                continue
            checked += 1
            if sku not in prices:
                differing.append(sku_changes.Change(sku, is_active=False))
            elif sku in expected and _differs(binding, expected[sku], connector):
                differing.append(sku_changes.Change(sku, price_modified=True, stock_modified=True))
        sku_changes.record(tenant.id, differing, connectors=[connector.key], commit=False)
        found += len(differing)
    drift.tally(tenant.id, connector.key, path, checked=checked, found=found)
    db.session.commit()
    if found:
        run_soon("sync", tenant.id, connector.key)
    return {"checked": checked, "found": found}


def _differs(binding, item: CatalogItem, connector) -> bool:
    price_moved = item.price_cents != binding.price_cents and item.price_cents != binding.held_price_cents
    return price_moved or connector.offered_quantity(item.quantity) != binding.quantity


def expected_offers(reader, pricing: Pricing, prices: dict, bindings: dict) -> dict[str, CatalogItem]:
    """What the sync would send for these SKUs now: VTEX's price and stock with the store's rules applied (a price
    the drop guard holds is left out: it is the merchant's to approve)."""
    items = [CatalogItem(sku, price_cents=price, quantity=stock, list_price_cents=list_price)
             for sku, (price, stock, list_price) in prices.items()]
    nothing_read = sync.ProductReads(reader, [])
    taxonomy, costs = sync.what_rules_need(reader, pricing, items, bindings, nothing_read)
    return {i.sku_id: i for i in pricing.apply(items, bindings, taxonomy, costs).items}
