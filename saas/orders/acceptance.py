"""Accepting or refusing an order waiting for the seller: accepted when every SKU exists at VTEX and the simulation
has stock for it; refused otherwise, with the reason in the Bridge."""
from saas import bridge
from saas.extensions import db
from saas.i18n import Text, msg, stored
from saas.integration_errors import IntegrationError
from saas.orders import checks
from saas.orders.importer import check_skus_exist
from saas.tenants.settings import affiliate_of, trade_policy_of
from saas.vtex.client import VtexClient


def decide(tenant, row, connector, order, data) -> bool:
    """Check and answer the marketplace; returns whether the order was accepted."""
    try:
        refusal = _refusal(tenant, row, data)
    except IntegrationError as exc:
        bridge.record(tenant.id, "order", order.marketplace_order_id, "warning",
                      msg("VTEX could not be read to decide on this order (%(detail)s); the next poll tries again.",
                          detail=exc.said),
                      commit=False, connector_key=order.connector_key)
        return False
    if refusal is None:
        return answer(tenant, connector, order, data, accept=True)
    return answer(tenant, connector, order, data, accept=False, reason=refusal.problem, cause=refusal.cause)


def answer(tenant, connector, order, data, *, accept: bool, reason: Text | None = None, cause: str | None = None,
           by: str = "") -> bool:
    try:
        connector.accept_order(data, accept)
    except IntegrationError as exc:
        bridge.record(tenant.id, "order", order.marketplace_order_id, "error",
                      (msg("%(marketplace)s did not take the acceptance: %(detail)s", marketplace=connector.name,
                           detail=exc.said) if accept else
                       msg("%(marketplace)s did not take the refusal: %(detail)s", marketplace=connector.name,
                           detail=exc.said)),
                      commit=False, connector_key=order.connector_key)
        db.session.commit()
        return False
    order.status = "accepted" if accept else "refused"
    names = {"marketplace": connector.name, "who": by}
    if accept:
        message = msg("Accepted at %(marketplace)s by %(who)s.", **names) if by else \
            msg("Accepted at %(marketplace)s: every SKU exists at VTEX with stock.", **names)
    else:
        reason = reason or msg("%(who)s decided so.", **names)
        message = msg("The store refused this order at %(marketplace)s: %(reason)s A refused order cannot be "
                      "reprocessed: %(marketplace)s cancels it.", reason=reason, **names)
        order.cause, (order.message, order.message_params) = cause, stored(reason)  # the list says why
    bridge.record(tenant.id, "order", order.marketplace_order_id, "success" if accept else "warning", message,
                  commit=False, connector_key=order.connector_key)
    db.session.commit()
    return accept


def _refusal(tenant, row, data) -> checks.CheckFailed | None:
    """Why the order is to be refused (its cause and the problem in words), or None to accept it."""
    vtex = VtexClient.for_tenant(tenant)
    trade_policy = trade_policy_of(row.settings)
    simulation = vtex.simulate([(line.sku_id, line.quantity) for line in data.lines], trade_policy=trade_policy,
                               affiliate_id=affiliate_of(row.connector_key, row.settings))
    try:
        check_skus_exist(vtex, data, trade_policy, simulation)
        checks.check_stock(data, simulation)
    except checks.CheckFailed as failure:
        return failure  # its fix is for orders that can be reprocessed; a refused one cannot
    return None
