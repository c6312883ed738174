"""Accepting or refusing an order waiting for the seller: accepted when every SKU exists at VTEX and the simulation
has stock for it; refused otherwise, with the reason in the Bridge."""
from saas import bridge
from saas.connectors.base import IntegrationError
from saas.extensions import db
from saas.orders import checks
from saas.orders.importer import check_skus_exist
from saas.vtex.client import VtexClient


def decide(tenant, row, connector, order, data) -> bool:
    """Check and answer the marketplace; returns whether the order was accepted."""
    try:
        reason = _refusal_reason(tenant, row, data)
    except IntegrationError as exc:
        bridge.record(tenant.id, "order", order.marketplace_order_id, "warning",
                      f"VTEX could not be read to decide on this order ({exc.message}); the next poll tries again.",
                      commit=False)
        return False
    return answer(tenant, connector, order, data, accept=reason is None, reason=reason)


def answer(tenant, connector, order, data, *, accept: bool, reason: str | None = None, by: str = "") -> bool:
    try:
        connector.accept_order(data, accept)
    except IntegrationError as exc:
        bridge.record(tenant.id, "order", order.marketplace_order_id, "error",
                      f"{connector.name} did not take the {'acceptance' if accept else 'refusal'}: {exc.message}",
                      commit=False)
        db.session.commit()
        return False
    order.status = "accepted" if accept else "refused"
    who = f" by {by}" if by else ""
    message = (f"Accepted at {connector.name}{who}: every SKU exists at VTEX with stock." if accept else
               f"The store refused this order at {connector.name}{who}: {reason or 'the merchant decided so.'} "
               f"A refused order cannot be reprocessed: {connector.name} cancels it.")
    bridge.record(tenant.id, "order", order.marketplace_order_id, "success" if accept else "warning", message,
                  commit=False)
    db.session.commit()
    return accept


def _refusal_reason(tenant, row, data) -> str | None:
    vtex = VtexClient.for_tenant(tenant)
    trade_policy = str(row.settings.get("trade_policy") or "1")
    simulation = vtex.simulate([(line.sku_id, line.quantity) for line in data.lines], trade_policy=trade_policy,
                               affiliate_id=row.settings.get("affiliate_id") or "CRF")
    try:
        check_skus_exist(vtex, data, trade_policy, simulation)
        checks.check_stock(data, simulation)
    except checks.CheckFailed as failure:
        return failure.problem  # the fix is for orders that can be reprocessed; a refused one cannot
    return None
