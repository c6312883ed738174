"""The order poll of one tenant, every ``ORDERS_INTERVAL``: new and changed marketplace orders since the stored
cursor (with an overlap), each stored once, then acted on by state: accept or refuse, import when paid, cancel at
VTEX when cancelled after import."""
import logging
from datetime import datetime, timedelta, timezone

from flask import current_app

from saas import bridge
from saas.connectors.base import OrderData
from saas.extensions import db
from saas.i18n import msg
from saas.integration_errors import AuthError, IntegrationError
from saas.jobs import schedule
from saas.orders import acceptance, importer
from saas.orders.models import MarketplaceOrder, OrderCursor
from saas.tenants.scoping import scoped
from saas.tenants.settings import build_connector, connected_since
from saas.text import search_text
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=2)
PAYMENT_LOOK = timedelta(seconds=90)
FIRST_LOOK_BACK = timedelta(days=3)


@schedule.periodic("orders", "ORDERS_INTERVAL", "default")  # with the everyday work: the urgent queue is the imports'
def poll_orders(tenant, row) -> dict:
    connector = build_connector(tenant, row.connector_key, row)
    cursor = db.session.get(OrderCursor, (tenant.id, connector.key))
    try:
        page = connector.fetch_orders(_since(cursor))
    except AuthError as exc:
        bridge.record(tenant.id, "integration", connector.key, "error",
                      msg("%(marketplace)s refused the %(key_name)s while reading orders (%(detail)s). "
                          "Save a new key.", marketplace=connector.name, key_name=connector.credentials_label,
                          detail=exc.said), details=bridge.KEY_REFUSED, connector_key=connector.key)
        return {"orders": 0}
    except IntegrationError as exc:
        bridge.record(tenant.id, "integration", "orders", "warning",
                      msg("%(marketplace)s's orders could not be read (%(detail)s); the next poll tries again.",
                          marketplace=connector.name, detail=exc.said), connector_key=connector.key)
        return {"orders": 0}
    since = connected_since(tenant, connector.key)
    changed = [store(tenant, connector.key, order, connected=since) for order in page.orders]
    to_import = [order for order in changed if order is not None and act(tenant, row, connector, order)]
    # The cursor moves only now, with the orders acted on: a poll that dies before this line leaves its page to be
    # read again, and store() answers again an order stored but never acted on.
    if page.cursor:
        if cursor is None:
            db.session.add(OrderCursor(tenant_id=tenant.id, connector_key=connector.key, last_updated=page.cursor))
        else:
            cursor.last_updated = max(cursor.last_updated, page.cursor)
    importer.enqueue(to_import)  # commits the page: orders, their states and the cursor
    if any(order is not None and order.status == "accepted" for order in changed):
        look_for_payment(tenant.id, connector.key)
    return {"orders": len(page.orders), "changed": sum(o is not None for o in changed), "to_import": len(to_import)}


def look_for_payment(tenant_id: int, connector_key: str) -> None:
    """Orders just accepted are usually paid within a minute or two: the next poll comes ``PAYMENT_LOOK`` after the
    acceptance instead of a whole interval later (the time from a customer's purchase to VTEX halves)."""
    interval = timedelta(seconds=current_app.config["ORDERS_INTERVAL"])
    if PAYMENT_LOOK < interval:
        schedule.run_at("orders", tenant_id, connector_key, utcnow() + PAYMENT_LOOK)


def _since(cursor: OrderCursor | None) -> str:
    if cursor is None:
        start = datetime.now(timezone.utc) - FIRST_LOOK_BACK
    else:
        start = datetime.fromisoformat(cursor.last_updated.replace("Z", "+00:00")) - OVERLAP
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def store(tenant, connector_key: str, data: OrderData, connected: datetime | None = None) -> MarketplaceOrder | None:
    """Insert or update the order; None when this version of it was already seen (the polling overlap) and acted
    on. An order first seen here that was accepted before this store ``connected`` the marketplace was accepted by
    someone else (another store that had the shop, or another integrator): it is kept, never imported on its own,
    since that one may have placed it at VTEX already."""
    order = scoped(MarketplaceOrder, tenant, connector_key).filter(
        MarketplaceOrder.marketplace_order_id == data.order_id).one_or_none()
    if order is not None and order.marketplace_updated_at == data.updated_at:
        return order if order.status == "new" else None
    if order is None:
        order = MarketplaceOrder(tenant_id=tenant.id, connector_key=connector_key,
                                 marketplace_order_id=data.order_id, history=[], status="new")
        db.session.add(order)
        if _accepted_before(data, connected):
            order.status = "before_connection"
            bridge.record(tenant.id, "order", data.order_id, "warning",
                          msg("Accepted at the marketplace before this store connected it, by another store or "
                              "integrator: not imported, so that it is never placed at VTEX twice. If it is not at "
                              "VTEX, import it from its page."), commit=False, connector_key=connector_key)
    if order.marketplace_state != data.marketplace_state:
        order.history = [*order.history, {"state": data.marketplace_state, "at": data.updated_at}]
    order.marketplace_state, order.marketplace_updated_at = data.marketplace_state, data.updated_at
    order.total_cents, order.raw = data.total_cents, data.raw
    order.search_text = search_text(data.order_id, data.first_name, data.last_name, data.document,
                                    *(line.sku_id for line in data.lines))
    return order


def _accepted_before(data: OrderData, connected: datetime | None) -> bool:
    if not (data.accepted_at and connected):
        return False
    try:
        accepted = datetime.fromisoformat(data.accepted_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    return accepted.astimezone(timezone.utc).replace(tzinfo=None) < connected


def act(tenant, row, connector, order: MarketplaceOrder) -> bool:
    """Do what the order's new state asks; true when it is now to be imported. What it changes is committed by the
    poll, once for the page (a commit an order would cost the whole session's reload each time); an answer given to
    the marketplace is committed at once (``acceptance``)."""
    data = connector.order_data(order.raw)
    if order.status == "before_connection":
        return False
    if data.state == "waiting_acceptance" and order.status in ("new", "awaiting_decision"):
        if row.settings.get("auto_accept", True):
            acceptance.decide(tenant, row, connector, order, data)
        elif order.status != "awaiting_decision":
            order.status = "awaiting_decision"
            bridge.record(tenant.id, "order", order.marketplace_order_id, "pending",
                          msg("Waiting for you to accept or refuse it in the Orders tab (automatic acceptance is "
                              "off)."),
                          commit=False, connector_key=connector.key)
    elif data.state == "waiting_payment" and order.status in ("new", "accepted", "awaiting_decision"):
        order.status = "waiting_payment"
    elif data.state == "paid" and order.status not in ("imported", "importing", "failed", "cancelled"):
        order.status = "importing"
        return True
    elif data.state == "cancelled" and order.status not in ("cancelled", "refused"):  # refused: by us, and said
        if order.vtex_order_id:
            importer.enqueue_cancel(order)
        else:
            order.status = "cancelled"
            bridge.record(tenant.id, "order", order.marketplace_order_id, "warning",
                          msg("%(marketplace)s cancelled this order before it was imported; it is not placed at "
                              "VTEX.", marketplace=connector.name), commit=False, connector_key=connector.key)
    return False
