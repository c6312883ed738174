"""What the marketplace sold lately, read from its orders: the sales speed the catalog's stock safety holds units
back for (``saas.catalog.safety``, which declares the seam)."""
from collections import defaultdict

from saas.catalog.safety import NOT_SOLD, SALES_WINDOW, sales_source
from saas.orders.models import MarketplaceOrder
from saas.tenants.scoping import scoped


@sales_source
def sales_per_hour(tenant, connector, now) -> dict[str, float]:
    """Units sold per hour per SKU in the marketplace's orders of the sales window (refused and cancelled left out)."""
    sold = defaultdict(int)
    raws = scoped(MarketplaceOrder, tenant, connector.key).filter(
        MarketplaceOrder.created_at >= now - SALES_WINDOW, MarketplaceOrder.status.notin_(NOT_SOLD)) \
        .with_entities(MarketplaceOrder.raw)
    for raw, in raws:
        for line in connector.order_data(raw).lines:
            sold[line.sku_id] += line.quantity
    hours = SALES_WINDOW.total_seconds() / 3600
    return {sku: quantity / hours for sku, quantity in sold.items()}
