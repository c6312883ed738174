"""Public routes called by VTEX. They authenticate by the tenant's secret in the path and answer the
same 404 for an unknown store and a wrong secret, so neither can be probed."""
import hmac
import json
import secrets as token_source
import uuid

from flask import Blueprint, abort, current_app, jsonify, make_response
from sqlalchemy import or_, select

from saas.catalog import changes as sku_changes
from saas.catalog import rereads
from saas.connectors import get_connector_class
from saas.crypto import decrypt, encrypt
from saas.extensions import csrf, db
from saas.jobs import schedule
from saas.jobs.queues import enqueue
from saas.orders import events
from saas.orders.models import MarketplaceOrder, OrderEvent
from saas.tenants.models import Tenant
from saas.tenants.scoping import scoped
from saas.tenants.settings import active_connectors
from saas.timeutil import utcnow
from saas.web.inputs import json_body

bp = Blueprint("public", __name__, url_prefix="/api")
csrf.exempt(bp)
_decoys: dict[str, str] = {}


def tenant_by_secret_or_404(slug: str, secret: str) -> Tenant:
    """An unknown store does the same work as a known one (a decryption and a comparison): the time taken does not
    tell which stores exist."""
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    expected = ((tenant.secrets or {}) if tenant else _decoy_secrets()).get("webhook_secret") or ""
    matches = hmac.compare_digest(expected.encode(), secret.encode())
    if not (tenant and expected and matches):
        abort(404)
    return tenant


def _decoy_secrets() -> dict:
    """A stored value as long as a real one, decrypted like one."""
    keys = current_app.config["ENCRYPTION_KEY"]
    if keys not in _decoys:
        _decoys[keys] = encrypt(json.dumps({"app_key": token_source.token_hex(16),
                                            "app_token": token_source.token_urlsafe(75),
                                            "webhook_secret": token_source.token_urlsafe(24)}))
    return json.loads(decrypt(_decoys[keys]))


def bad_request(reason: str):
    return jsonify(error=reason), 400


@bp.post("/vtex/<slug>/<secret>/notification")
def sku_notification(slug, secret):
    """VTEX's SKU change notification: stored (merged with the SKU's pending change) and answered at once; the
    store's sync becomes due now (the sync itself waits for what the marketplace's limits allow)."""
    tenant = tenant_by_secret_or_404(slug, secret)
    try:
        change = sku_changes.parse_notification(json_body())
    except sku_changes.NotificationError as exc:
        return bad_request(str(exc))
    connectors = active_connectors(tenant.id)
    # The change and its store's sync made due in one commit: whoever sees the change sees the sync due.
    sku_changes.record(tenant.id, [change], connectors=connectors, commit=False)
    if current_app.config["SYNC_ON_NOTIFICATION"]:
        schedule.hurry("sync", tenant.id, utcnow())
    db.session.commit()
    rereads.after_notification(tenant.id, [change.sku_id], connectors)
    return jsonify(received=change.sku_id), 200


# -- the order's marketplaceServicesEndpoint: VTEX's callbacks (under /pvt/ and /pub/, either order id) -------------
# The services endpoint of the orders placed today names their marketplace (``public_urls.services_endpoint``), so
# that two marketplaces of one store numbering orders alike are told apart; orders placed before it call back
# without it.
CALLBACKS = ("/vtex/<slug>/<secret>/oms/<marketplace>/<any(pvt, pub):scope>/orders/<order_ref>",
             "/vtex/<slug>/<secret>/oms/<any(pvt, pub):scope>/orders/<order_ref>")


def callbacks(path: str):
    """The view at ``path`` under both callback addresses."""
    def register(view):
        for base in CALLBACKS:
            bp.post(base + path)(view)
        return view
    return register


ORDER_REF_MAX = 100


def _order_or_404(tenant, order_ref, marketplace: str | None) -> MarketplaceOrder:
    """The tenant's order that this integration placed at VTEX; VTEX has no business calling back about another.
    VTEX's own order id names one order; a marketplace's number may name one per marketplace, and without the
    marketplace in the address two of them are a conflict, not a guess."""
    if len(order_ref) > ORDER_REF_MAX or (marketplace is not None and get_connector_class(marketplace) is None):
        abort(404)
    found = scoped(MarketplaceOrder, tenant, marketplace).filter(
        MarketplaceOrder.vtex_order_id.is_not(None),
        or_(MarketplaceOrder.marketplace_order_id == order_ref, MarketplaceOrder.vtex_order_id == order_ref)
    ).limit(3).all()
    by_vtex_id = [order for order in found if order.vtex_order_id == order_ref]
    if len(by_vtex_id) == 1 or len(found) == 1:
        return (by_vtex_id or found)[0]
    if not found:
        abort(404)
    abort(make_response(jsonify(error="Two marketplaces of this store have an order of this number: call back at "
                                      "the marketplaceServicesEndpoint of the order, which names its marketplace."),
                        409))


def _event_callback(slug, secret, order_ref, read, store, marketplace):
    tenant = tenant_by_secret_or_404(slug, secret)
    order = _order_or_404(tenant, order_ref, marketplace)
    try:
        payload = read(json_body())
    except events.EventError as exc:
        return bad_request(str(exc))
    stored = store(order, payload)
    return jsonify(orderId=order.vtex_order_id or order.marketplace_order_id, received=bool(stored),
                   date=utcnow().isoformat() + "Z"), 200


@callbacks("/invoice")
def invoice_callback(slug, secret, scope, order_ref, marketplace=None):
    """The invoice, and on a second call of the same route the tracking (VTEX's classic protocol)."""
    return _event_callback(slug, secret, order_ref, events.read_invoice, events.record_invoice, marketplace)


def _of_invoice(read, invoice_number):
    """``read``, plus the invoice number of the route's address, checked like the body's fields."""
    def read_with_invoice(body) -> dict:
        number = events.code(invoice_number, "The invoice number in the address", events.INVOICE_NUMBER_MAX)
        return {**read(body), "invoiceNumber": number}
    return read_with_invoice


@callbacks("/invoice/<invoice_number>")
def tracking_callback(slug, secret, scope, order_ref, invoice_number, marketplace=None):
    def store(order, tracking):
        return events.record(order, "tracking", tracking["trackingNumber"], tracking)
    return _event_callback(slug, secret, order_ref, _of_invoice(events.read_tracking, invoice_number), store,
                           marketplace)


@callbacks("/invoice/<invoice_number>/tracking")
def tracking_status_callback(slug, secret, scope, order_ref, invoice_number, marketplace=None):
    def store(order, status):
        if not status["isDelivered"]:
            return None  # courier events on the way change nothing at the marketplace
        return events.record(order, "delivered", status["invoiceNumber"], status)
    return _event_callback(slug, secret, order_ref, _of_invoice(events.read_tracking_status, invoice_number), store,
                           marketplace)


@callbacks("/cancel")
def cancel_callback(slug, secret, scope, order_ref, marketplace=None):
    """Answers VTEX with {orderId, receipt, date}; a repeated call gets the same receipt and changes nothing."""
    tenant = tenant_by_secret_or_404(slug, secret)
    order = _order_or_404(tenant, order_ref, marketplace)
    try:
        reason = events.read_cancellation(json_body())
    except events.EventError as exc:
        return bad_request(str(exc))
    events.record(order, "cancel", "store", {"reason": reason, "receipt": uuid.uuid4().hex,
                                             "date": utcnow().isoformat() + "Z"})
    event = scoped(OrderEvent, tenant).filter(OrderEvent.order_id == order.id, OrderEvent.kind == "cancel").first()
    return jsonify(orderId=order.vtex_order_id or order.marketplace_order_id, receipt=event.payload["receipt"],
                   date=event.payload["date"]), 200


@bp.post("/vtex/<slug>/<secret>/hook")
def oms_hook(slug, secret):
    """VTEX's OMS hook, the safety net: its ping is answered; a change makes a job read the order from OMS."""
    tenant = tenant_by_secret_or_404(slug, secret)
    body = json_body()
    if isinstance(body, dict) and body.get("hookConfig") == "ping":
        return jsonify(pong=True), 200
    order_id = body.get("OrderId") if isinstance(body, dict) else None
    if not isinstance(order_id, str) or not 0 < len(order_id) <= ORDER_REF_MAX or not order_id.isprintable():
        return bad_request(f"The hook body must be a JSON object with OrderId (text of 1 to {ORDER_REF_MAX} "
                           "characters).")
    enqueue(events.from_hook, tenant.id, order_id)
    return jsonify(received=order_id), 200
