"""Public routes called by VTEX and Carrefour. They authenticate by the tenant's secret in the path and answer the
same 404 for an unknown store and a wrong secret, so neither can be probed."""
import hmac
import uuid

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import or_

from saas.catalog import changes as sku_changes
from saas.extensions import csrf, db
from saas.jobs.queues import enqueue
from saas.orders import events
from saas.orders.models import MarketplaceOrder, OrderEvent
from saas.tenants.models import Tenant
from saas.tenants.scoping import scoped
from saas.timeutil import utcnow

bp = Blueprint("public", __name__, url_prefix="/api")
csrf.exempt(bp)


def tenant_by_secret_or_404(slug: str, secret: str) -> Tenant:
    tenant = db.session.query(Tenant).filter(Tenant.slug == slug).one_or_none()
    if tenant is None or not tenant.webhook_secret or not hmac.compare_digest(tenant.webhook_secret, secret):
        abort(404)
    return tenant


def bad_request(reason: str):
    return jsonify(error=reason), 400


@bp.post("/vtex/<slug>/<secret>/notification")
def sku_notification(slug, secret):
    """VTEX's SKU change notification: stored (merged with the SKU's pending change) and answered at once."""
    tenant = tenant_by_secret_or_404(slug, secret)
    try:
        change = sku_changes.parse_notification(request.get_json(silent=True))
    except sku_changes.NotificationError as exc:
        return bad_request(str(exc))
    sku_changes.record(tenant.id, [change])
    return jsonify(received=change.sku_id), 200


# -- the order's marketplaceServicesEndpoint: VTEX's callbacks (under /pvt/ and /pub/, either order id) -------------
CALLBACKS = "/vtex/<slug>/<secret>/oms/<any(pvt, pub):scope>/orders/<order_ref>"


def _order_or_404(tenant, order_ref) -> MarketplaceOrder:
    order = scoped(MarketplaceOrder, tenant).filter(or_(MarketplaceOrder.marketplace_order_id == order_ref,
                                                        MarketplaceOrder.vtex_order_id == order_ref)).first()
    if order is None:
        abort(404)
    return order


def _event_callback(slug, secret, order_ref, read, store):
    tenant = tenant_by_secret_or_404(slug, secret)
    order = _order_or_404(tenant, order_ref)
    try:
        payload = read(request.get_json(silent=True))
    except events.EventError as exc:
        return bad_request(str(exc))
    stored = store(order, payload)
    return jsonify(orderId=order.vtex_order_id or order.marketplace_order_id, received=bool(stored),
                   date=utcnow().isoformat() + "Z"), 200


@bp.post(CALLBACKS + "/invoice")
def invoice_callback(slug, secret, scope, order_ref):
    """The invoice, and on a second call of the same route the tracking (VTEX's classic protocol)."""
    return _event_callback(slug, secret, order_ref, events.read_invoice, events.record_invoice)


@bp.post(CALLBACKS + "/invoice/<invoice_number>")
def tracking_callback(slug, secret, scope, order_ref, invoice_number):
    def store(order, tracking):
        return events.record(order, "tracking", tracking["trackingNumber"],
                             {**tracking, "invoiceNumber": invoice_number})
    return _event_callback(slug, secret, order_ref, events.read_tracking, store)


@bp.post(CALLBACKS + "/invoice/<invoice_number>/tracking")
def tracking_status_callback(slug, secret, scope, order_ref, invoice_number):
    def store(order, status):
        if not status["isDelivered"]:
            return None  # courier events on the way change nothing at Carrefour
        return events.record(order, "delivered", invoice_number, {**status, "invoiceNumber": invoice_number})
    return _event_callback(slug, secret, order_ref, events.read_tracking_status, store)


@bp.post(CALLBACKS + "/cancel")
def cancel_callback(slug, secret, scope, order_ref):
    """Answers VTEX with {orderId, receipt, date}; a repeated call gets the same receipt and changes nothing."""
    tenant = tenant_by_secret_or_404(slug, secret)
    order = _order_or_404(tenant, order_ref)
    body = request.get_json(silent=True)
    if body is not None and not isinstance(body, dict):
        return bad_request("The body must be a JSON object, optionally with a reason.")
    reason = (body or {}).get("reason") or "Cancelado na loja"
    events.record(order, "cancel", "store", {"reason": str(reason), "receipt": uuid.uuid4().hex,
                                             "date": utcnow().isoformat() + "Z"})
    event = scoped(OrderEvent, tenant).filter(OrderEvent.order_id == order.id, OrderEvent.kind == "cancel").first()
    return jsonify(orderId=order.vtex_order_id or order.marketplace_order_id, receipt=event.payload["receipt"],
                   date=event.payload["date"]), 200


@bp.post("/vtex/<slug>/<secret>/hook")
def oms_hook(slug, secret):
    """VTEX's OMS hook, the safety net: its ping is answered; a change makes a job read the order from OMS."""
    tenant = tenant_by_secret_or_404(slug, secret)
    body = request.get_json(silent=True)
    if isinstance(body, dict) and body.get("hookConfig") == "ping":
        return jsonify(pong=True), 200
    if not isinstance(body, dict) or not body.get("OrderId"):
        return bad_request("The hook body must be a JSON object with OrderId.")
    enqueue("saas.orders.events.from_hook", tenant.id, str(body["OrderId"]))
    return jsonify(received=body["OrderId"]), 200
