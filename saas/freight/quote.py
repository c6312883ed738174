"""Quoting freight for a store and a marketplace: the store's settings (cached in the process, so a quote reads the
database at most once), one VTEX simulation with the CEP, and the options of the marketplace's mapped shipping
types."""
import contextlib
import hashlib
import json
import re
import threading
from dataclasses import dataclass

from cachetools import TTLCache, cached, keys
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from saas.connectors import get_connector_class
from saas.connectors.base import FreightOption, FreightRequest
from saas.extensions import db, redis_connection
from saas.tenants.models import ConnectorSettings, Tenant
from saas.tenants.settings import affiliate_of, trade_policy_of
from saas.vtex import slas as vtex_slas
from saas.vtex.client import VtexClient
from saas.vtex.simulation import Simulation

_stores = TTLCache(maxsize=4096, ttl=30)
_ESTIMATE = re.compile(r"^(\d+)")


@dataclass(frozen=True)
class Store:
    tenant_id: int
    connector_key: str
    vtex_url: str
    app_key: str
    app_token: str
    trade_policy: str
    affiliate_id: str
    carriers: tuple[tuple[str, str], ...]  # (the marketplace's shipping type, VTEX carrier), mapped ones only


@cached(_stores, lock=threading.Lock())
def store(slug: str, connector_key: str) -> Store | None:
    """The store behind ``slug`` with the marketplace active, from a short in-process cache; None for an unknown or
    inactive store, or a marketplace that quotes no freight."""
    cls = get_connector_class(connector_key)
    if cls is None or cls.freight_wire is None:
        return None
    found = db.session.execute(
        select(Tenant, ConnectorSettings).join(ConnectorSettings, ConnectorSettings.tenant_id == Tenant.id)
        .where(Tenant.slug == slug, ConnectorSettings.connector_key == connector_key,
               ConnectorSettings.active.is_(True))).first()
    result = None
    if found:
        tenant, row = found
        settings = row.settings
        result = Store(tenant.id, connector_key, tenant.vtex_url, tenant.vtex_app_key, tenant.vtex_app_token,
                       trade_policy_of(settings), affiliate_of(connector_key, settings),
                       tuple((label, settings[name].strip()) for name, label in cls.shipping_types_for(settings)
                             if (settings.get(name) or "").strip()))
    return result


def known(slug: str, connector_key: str) -> Store | None:
    """The store behind ``slug`` if the process has it cached already, without reading the database: what a request
    that cannot be read may be counted against (anyone can send those, to any name)."""
    return _stores.get(keys.hashkey(slug, connector_key))


def quote(shop: Store, request: FreightRequest, *, fresh: bool = False) -> tuple[list[FreightOption], bool]:
    """The options, and whether they came from the cache (which a Redis outage only bypasses, and ``fresh``
    skips)."""
    cache = redis_connection()
    cart = json.dumps([shop.tenant_id, shop.connector_key, request.postal_code, request.items])
    key = "freight:q:" + hashlib.sha1(cart.encode()).hexdigest()
    with contextlib.suppress(RedisError):
        cached = None if fresh else cache.get(key)
        if cached is not None:
            return [FreightOption(**o) for o in json.loads(cached)], True
    client = VtexClient(shop.vtex_url, shop.app_key, shop.app_token,
                        timeout=current_app.config["FREIGHT_VTEX_TIMEOUT"])
    simulation = client.simulate(list(request.items), trade_policy=shop.trade_policy, affiliate_id=shop.affiliate_id,
                                 postal_code=request.postal_code)
    options = options_from_simulation(simulation, shop.carriers, len(request.items))
    with contextlib.suppress(RedisError):
        cache.set(key, json.dumps([o.__dict__ for o in options]), ex=current_app.config["FREIGHT_CACHE_SECONDS"])
    return options, False


def options_from_simulation(simulation: Simulation, carriers, item_count: int) -> list[FreightOption]:
    """For each mapped shipping type whose carrier serves every item: the summed price and the longest delay."""
    options = []
    for shipping_type, carrier in carriers:
        chosen = []
        for index in range(item_count):
            sla = vtex_slas.chosen(simulation.slas(index), carrier)
            if sla is None:
                break
            chosen.append(sla)
        if len(chosen) == item_count:
            options.append(FreightOption(shipping_type, carrier, sum(int(s.get("price") or 0) for s in chosen),
                                         max(_days(s.get("shippingEstimate")) for s in chosen)))
    return options


def _days(estimate) -> int:
    match = _ESTIMATE.match(str(estimate or ""))
    return int(match.group(1)) if match else 0
