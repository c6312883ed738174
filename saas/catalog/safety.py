"""Stock safety from sales speed: the marketplace does not check stock as it sells, so a SKU selling fast is sold
beyond its stock between the moment VTEX's stock changes and the moment the marketplace takes the new quantity.

Per SKU, the units sold per hour at the marketplace (its orders of the last 72 hours) × that delay (the p95 over the
last 7 days of offer imports, from the oldest change they carried to the report that found them accepted) is the
number of units that may be sold meanwhile; the offer holds that many back, up to the merchant's cap. It applies after
the price and stock rules and before the marketplace's own minimum stock.
"""
import math
from dataclasses import dataclass
from datetime import timedelta

from saas.catalog.models import ImportBatch, SkuBinding
from saas.tenants.scoping import scoped
from saas.timeutil import utcnow
from saas.vtex.simulation import Simulation

SALES_WINDOW = timedelta(hours=72)
LEAD_WINDOW = timedelta(days=7)
DEFAULT_CAP = 5
NOT_SOLD = ("refused", "cancelled")


@dataclass(frozen=True)
class Safety:
    """Units held back and why: the sales per hour and the delay (minutes) they were multiplied by."""

    units: int
    per_hour: float
    lead_minutes: float

    def as_dict(self) -> dict:
        return {"units": self.units, "per_hour": round(self.per_hour, 3), "lead_minutes": round(self.lead_minutes, 1)}


def enabled(settings: dict) -> bool:
    return settings.get("safety_stock", True) is not False and cap(settings) > 0


def cap(settings: dict) -> int:
    try:
        return max(int(settings.get("safety_cap", DEFAULT_CAP)), 0)
    except (TypeError, ValueError):
        return DEFAULT_CAP


def for_store(tenant, connector, settings: dict, now=None) -> dict[str, Safety]:
    """Each SKU sold lately → its safety; empty when the store turned it off or nothing sold."""
    if not enabled(settings):
        return {}
    now = now or utcnow()
    rates = sales_per_hour(tenant, connector, now)
    if not rates:
        return {}
    lead = lead_minutes(tenant, connector.key, now)
    return {sku: units(rate, lead, cap(settings)) for sku, rate in rates.items()}


def units(per_hour: float, lead: float, limit: int) -> Safety:
    """The units expected to sell in ``lead`` minutes at ``per_hour``, to the nearest (a SKU that sells once in days
    keeps its last unit on sale), at most ``limit``."""
    return Safety(min(math.floor(per_hour * lead / 60 + 0.5), limit), per_hour, lead)


def sales_source(func):
    """Declare ``func(tenant, connector, now)`` the reading of the units sold per hour per SKU: the orders' (in
    ``saas.orders.sales``), so that the catalog never imports the orders."""
    global _sales_source
    _sales_source = func
    return func


_sales_source = None


def sales_per_hour(tenant, connector, now) -> dict[str, float]:
    """Units sold per hour per SKU in the marketplace's orders of the sales window (refused and cancelled left out)."""
    if _sales_source is None:
        raise RuntimeError("no sales source is declared: the app imports saas.orders.sales as it starts")
    return _sales_source(tenant, connector, now)


def lead_minutes(tenant, connector_key: str, now) -> float:
    """The p95 of the time from a change to its offer accepted, over the lead window; before any was measured, the
    seed's cycle (a sync every 10 minutes, its report read 3 minutes later)."""
    rows = scoped(ImportBatch, tenant, connector_key).filter(
        ImportBatch.kind == "offer", ImportBatch.status == "complete", ImportBatch.created_at >= now - LEAD_WINDOW,
        ImportBatch.changed_at.isnot(None), ImportBatch.checked_at.isnot(None)) \
        .with_entities(ImportBatch.changed_at, ImportBatch.checked_at).all()
    delays = sorted((checked - changed).total_seconds() / 60 for changed, checked in rows)
    if not delays:
        return 13.0
    return delays[min(len(delays) - 1, math.ceil(0.95 * len(delays)) - 1)]


def covered(tenant, connector_key: str, order, simulation: Simulation) -> bool:
    """Whether, as this order came, VTEX had fewer units of one of its SKUs than the marketplace would have shown
    without the units held back (``order``'s lines against the import's simulation, whose stock is VTEX's now):
    without the safety stock, the marketplace could have sold units the store no longer had."""
    held = {b.sku_id: b for b in scoped(SkuBinding, tenant, connector_key).filter(
        SkuBinding.sku_id.in_([line.sku_id for line in order.lines])).with_entities(
        SkuBinding.sku_id, SkuBinding.quantity, SkuBinding.safety)}
    for index, line in enumerate(order.lines):
        binding, stock = held.get(line.sku_id), simulation.stock(index)
        held_back = (binding.safety or {}).get("units", 0) if binding is not None else 0
        if held_back and stock is not None and stock < (binding.quantity or 0) + held_back:
            return True
    return False
