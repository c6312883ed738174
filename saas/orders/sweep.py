"""The orders' part of the daily reconciliation: every paid order of the last 5 days that the poll missed is found
and imported (``saas.catalog.reconcile`` runs it, as ``orders_recovered`` in its summary)."""
from datetime import timedelta

from saas import bridge
from saas.catalog.reconcile import also
from saas.connectors.base import NotSupported
from saas.i18n import msg
from saas.integration_errors import IntegrationError
from saas.orders import importer, polling
from saas.orders.models import MarketplaceOrder
from saas.tenants.scoping import scoped
from saas.tenants.settings import connected_since
from saas.timeutil import utcnow

ORDER_SWEEP = timedelta(days=5)
HANDLED = ("imported", "importing", "failed", "cancelled")


@also("orders_recovered")
def sweep_orders(tenant, row, connector) -> int:
    """Import every paid order of the last 5 days that the poll has not handled; answers how many."""
    since = (utcnow() - ORDER_SWEEP).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        found = connector.paid_orders_since(since)
    except NotSupported:
        return 0
    except IntegrationError as exc:
        bridge.record(tenant.id, "integration", "reconciliation", "warning",
                      msg("The reconciliation could not read %(marketplace)s's recent orders (%(detail)s); the "
                          "5-minute poll goes on.", marketplace=connector.name, detail=exc.said),
                      connector_key=connector.key)
        return 0
    recovered, connected = [], connected_since(tenant, connector.key)
    for data in found:
        newer = polling.store(tenant, connector.key, data, connected=connected)
        order = newer or scoped(MarketplaceOrder, tenant, connector.key).filter(
            MarketplaceOrder.marketplace_order_id == data.order_id).one()
        if (newer is None and order.status in HANDLED) or not polling.act(tenant, row, connector, order):
            continue
        recovered.append(order)
        bridge.record(tenant.id, "order", order.marketplace_order_id, "warning",
                      msg("Found by the reconciliation: the poll had missed this paid order; it is being imported."),
                      connector_key=connector.key)
    importer.enqueue(recovered)
    return len(recovered)
