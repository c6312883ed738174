"""Order events from VTEX (invoice, tracking, delivery, cancellation): read from the callbacks or derived from an OMS
order, stored once, forwarded to the marketplace by a job with retries."""
import contextlib
import logging
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from saas import bridge
from saas.connectors import get_connector_class
from saas.connectors.base import ORDER_STATES
from saas.extensions import db
from saas.i18n import Text, msg
from saas.integration_errors import IntegrationError, RetryableError
from saas.jobs import locks
from saas.jobs.queues import enqueue, job
from saas.jobs.recovery import hands_back
from saas.orders.models import EVENT_NAMES, MarketplaceOrder, OrderEvent
from saas.tenants.models import Tenant
from saas.tenants.scoping import scoped
from saas.tenants.settings import build_connector, load_settings
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
# Past the last of the job's own retries: the recovery sweep forwards a pending event again.
FORWARD_RETRY = Retry(max=5, interval=[30, 60, 120, 300, 600])
RETRIES_OVER = timedelta(seconds=sum(FORWARD_RETRY.intervals) + 120)
WAIT_FOR_STATE = timedelta(minutes=5)
MAX_WAITS = 48  # four hours of waiting for the marketplace to reach the state a call needs
WAITING_STATES = ("new", "waiting_acceptance", "waiting_payment")  # an order that may still become paid


class EventError(ValueError):
    """The callback's body cannot be read; the message says what is wrong."""


# What a marketplace accepts as an invoice or tracking number: letters, digits and a few separators, bounded.
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
INVOICE_NUMBER_MAX, TRACKING_NUMBER_MAX, TEXT_MAX, URL_MAX = 50, 64, 200, 1000
MAX_INVOICE_CENTS = 10**11


def _object(body) -> dict:
    if not isinstance(body, dict):
        raise EventError("The body must be a JSON object.")
    return body


def _require(body, *names):
    missing = [n for n in names if _object(body).get(n) in (None, "")]
    if missing:
        raise EventError(f"Missing fields: {', '.join(missing)}.")


def code(value, name: str, limit: int) -> str:
    """An invoice or tracking number: 1 to ``limit`` letters, digits, ``.``, ``_``, ``/`` or ``-``."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) and value >= 0 else None
    if text is None or len(text) > limit or not _CODE.match(text):
        raise EventError(f"{name} must be 1 to {limit} letters, digits, '.', '_', '/' or '-'.")
    return text


def _text(body, name: str, limit: int = TEXT_MAX) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise EventError(f"{name} must be text of at most {limit} printable characters.")
    return value.strip()


def _url(body, name: str) -> str:
    value = _text(body, name, URL_MAX)
    try:
        scheme = urlsplit(value).scheme if value else "http"
    except ValueError:  # an address that does not parse ("http://[", a bracketed host that is no IP)
        scheme = ""
    if scheme not in ("http", "https"):
        raise EventError(f"{name} must be an http:// or https:// address.")
    return value


def _date(body, name: str, required: bool = False) -> str:
    value = body.get(name)
    if value in (None, "") and not required:
        return ""
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise EventError(f"{name} must be an ISO 8601 date, e.g. 2026-11-27T10:50:00Z.") from None
    return value


def read_invoice(body) -> dict:
    """VTEX's invoice notification; ``courier`` and ``carrier`` both name the carrier. The spec does not require
    ``issuanceDate``: without it, the invoice is dated by the call."""
    _require(body, "invoiceNumber")
    if body.get("type", "Output") not in ("Output", "Input"):
        raise EventError("type must be Output (sale) or Input (return).")
    value = body.get("invoiceValue") or 0
    as_text = isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12
    if isinstance(value, bool) or not (isinstance(value, int) or as_text):
        raise EventError("invoiceValue must be a whole number of cents.")
    if not 0 <= int(value) <= MAX_INVOICE_CENTS:
        raise EventError("invoiceValue must be between 0 and 1,000,000,000 reais, in cents.")
    key = _text(body, "invoiceKey")
    if key and not (len(key) == 44 and key.isdigit()):
        raise EventError("invoiceKey must be the NF-e access key: 44 digits.")
    embedded = body.get("embeddedInvoice") or ""
    if not isinstance(embedded, str) or "\x00" in embedded:
        raise EventError("embeddedInvoice must be the NF-e XML, as text.")
    return {"type": body.get("type", "Output"),
            "invoiceNumber": code(body["invoiceNumber"], "invoiceNumber", INVOICE_NUMBER_MAX),
            "invoiceKey": key, "invoiceValue": int(value), "issuanceDate": _date(body, "issuanceDate") or _now_iso(),
            "invoiceUrl": _url(body, "invoiceUrl"), "embeddedInvoice": embedded,
            **read_tracking(body, required=False)}


def read_tracking(body, required: bool = True) -> dict:
    if required:
        _require(body, "trackingNumber")
    number = _object(body).get("trackingNumber")
    return {"trackingNumber": code(number, "trackingNumber", TRACKING_NUMBER_MAX) if number not in (None, "") else "",
            "trackingUrl": _url(body, "trackingUrl"),
            "courier": _text(body, "courier") or _text(body, "carrier")}


def read_tracking_status(body) -> dict:
    body = _object(body if body is not None else {})
    delivered = body.get("isDelivered", False)
    if not isinstance(delivered, bool):
        raise EventError("isDelivered must be true or false.")
    events = body.get("events") or []
    if not isinstance(events, list) or len(events) > 200 or not all(isinstance(e, dict) for e in events):
        raise EventError("events must be a list of at most 200 objects.")
    return {"isDelivered": delivered, "deliveredDate": _delivered_date(body, events) if delivered else "",
            "events": events}


def _delivered_date(body: dict, events: list[dict]) -> str:
    """VTEX's spec requires only ``isDelivered`` and has no ``deliveredDate``: the date is the one given (an older
    client's field), else the latest event's, else the time of the call."""
    if body.get("deliveredDate") not in (None, ""):
        return _date(body, "deliveredDate")
    dated = []
    for event in events:
        with contextlib.suppress(TypeError, ValueError):
            dated.append((datetime.fromisoformat(event.get("date")).replace(tzinfo=None), event["date"]))
    return max(dated)[1] if dated else _now_iso()


def _now_iso() -> str:
    return utcnow().isoformat(timespec="seconds") + "Z"


def read_cancellation(body) -> str:
    """The reason of a cancellation at the store (the body is optional)."""
    return _text(_object(body if body is not None else {}), "reason", 500) or "Cancelado na loja"


def record(order: MarketplaceOrder, kind: str, key: str, payload: dict, source: str = "callback") -> OrderEvent | None:
    """Store the event and queue its forwarding; None when the same event was already stored (a repeated call).

    Once stored, the event is not lost with its job: if Redis cannot take the job now, the recovery sweep forwards
    the event when Redis is back."""
    event = OrderEvent(tenant_id=order.tenant_id, order_id=order.id, kind=kind, key=key[:120], payload=payload,
                       source=source, next_attempt_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        return None
    db.session.commit()
    try:
        enqueue(forward, event.id)
    except RedisError as exc:
        log.warning("event %s stored; its forwarding waits for Redis (%s)", event.id, type(exc).__name__)
    return event


def record_invoice(order, invoice: dict, source="callback") -> list[OrderEvent]:
    """An invoice, and, when it carries a tracking number, that tracking too (VTEX sends both on /invoice)."""
    recorded = [record(order, "invoice", f"{invoice['type']}:{invoice['invoiceNumber']}", invoice, source)]
    if invoice["type"] == "Output" and invoice.get("trackingNumber"):
        recorded.append(record(order, "tracking", invoice["trackingNumber"],
                               {**{k: invoice[k] for k in ("trackingNumber", "trackingUrl", "courier")},
                                "invoiceNumber": invoice["invoiceNumber"]}, source))
    return [e for e in recorded if e]


def events_from_oms(order, oms: dict, source="hook") -> list[OrderEvent]:
    """What an OMS order says, as events: each package's invoice and tracking, delivery, cancellation."""
    recorded = []
    for package in (oms.get("packageAttachment") or {}).get("packages") or []:
        if package.get("invoiceNumber") and package.get("issuanceDate"):
            try:
                recorded += record_invoice(order, read_invoice(package), source)
            except EventError as exc:
                bridge.record(order.tenant_id, "tracking", order.marketplace_order_id, "error",
                              msg("VTEX's invoice %(invoice)s cannot be sent: %(detail)s",
                                  invoice=str(package["invoiceNumber"])[:60], detail=str(exc)),
                              connector_key=order.connector_key)
                continue
        courier = package.get("courierStatus") or {}
        if courier.get("finished"):
            event = record(order, "delivered", str(package.get("invoiceNumber") or "package"),
                           {"isDelivered": True, "deliveredDate": courier.get("deliveredDate") or "",
                            "invoiceNumber": package.get("invoiceNumber")}, source)
            recorded += [event] if event else []
    if oms.get("status") in ("canceled", "cancel", "cancellation-requested"):
        event = record(order, "cancel", "store", {"reason": oms.get("cancelReason") or "Cancelado na loja"}, source)
        recorded += [event] if event else []
    return recorded


@job("orders", 120, FORWARD_RETRY, tenant_arg=0)
def from_hook(tenant_id: int, vtex_order_id: str) -> int:
    """Read the order from OMS and record what it says that the callbacks may have missed."""
    from saas.vtex.client import VtexClient
    tenant = db.session.get(Tenant, tenant_id)
    order = scoped(MarketplaceOrder, tenant).filter(MarketplaceOrder.vtex_order_id == vtex_order_id).first() \
        or _order_of_a_sibling_store(tenant, vtex_order_id)
    if order is None:
        return 0  # not an order this integration placed
    oms = VtexClient.for_tenant(tenant).get_order(vtex_order_id)
    order.vtex_status = oms.get("status") or order.vtex_status
    db.session.commit()
    return len(events_from_oms(order, oms))


def _order_of_a_sibling_store(tenant, vtex_order_id: str) -> MarketplaceOrder | None:
    """VTEX keeps one order hook per account: the last store of a multistore to register it hears about the orders
    of every store of the account, each routed here to the store that placed it (the same VTEX account's data)."""
    return db.session.scalars(
        select(MarketplaceOrder).join(Tenant, Tenant.id == MarketplaceOrder.tenant_id).where(
            func.lower(Tenant.vtex_account) == tenant.vtex_account.lower(),
            MarketplaceOrder.vtex_order_id == vtex_order_id)).first()


@hands_back("events", OrderEvent, OrderEvent.status.in_(("pending", "waiting")), "next_attempt_at")
@job("orders", 120, FORWARD_RETRY)
@locks.on_row(OrderEvent, waiting=lambda event: event.status not in ("sent", "failed"),
              lock_name=lambda event: f"saas:lock:event:{event.id}", busy="another worker is forwarding it")
def forward(event: OrderEvent) -> str:
    order = event.order
    tenant = db.session.get(Tenant, event.tenant_id)
    row = load_settings(tenant, order.connector_key)
    if row is None or not row.active:
        return "integration inactive"
    connector = build_connector(tenant, order.connector_key, row)
    event.attempts += 1
    event.next_attempt_at = utcnow() + RETRIES_OVER
    try:
        outcome = _forward(connector, row.settings, order, event)
    except RetryableError as exc:
        event.last_error = exc.message
        db.session.commit()
        raise
    except IntegrationError as exc:
        event.status, event.last_error, event.next_attempt_at = "failed", exc.message, None
        bridge.record(tenant.id, "tracking", order.marketplace_order_id, "error",
                      msg("%(marketplace)s refused the %(event)s: %(detail)s", marketplace=connector.name,
                          event=EVENT_NAMES.text(event.kind), detail=exc.said), details={"event": event.kind},
                      connector_key=order.connector_key)
        return "failed"
    if outcome == "wait":
        return _wait(tenant, order, event)
    event.status, event.forwarded_at, event.last_error, event.next_attempt_at = "sent", utcnow(), None, None
    bridge.record(tenant.id, "tracking", order.marketplace_order_id,
                  "warning" if event.kind == "cancel" else "success", outcome,
                  details={"event": event.kind, **event.payload}, connector_key=order.connector_key)
    return "sent"


def _forward(connector, settings, order, event) -> Text | str:
    """What was done, for the Bridge; "wait" when the marketplace's order is not ready for it yet."""
    mkt_id, payload, names = order.marketplace_order_id, event.payload, {"marketplace": connector.name}
    if event.kind == "invoice":
        connector.send_invoice(mkt_id, payload)
        return msg("Invoice %(invoice)s sent to %(marketplace)s.", invoice=payload["invoiceNumber"], **names)
    if event.kind == "tracking":
        if event.status != "waiting":  # a waiting event's tracking is at the marketplace already: only look again
            connector.send_tracking(mkt_id, payload)
        state = connector.order_state(mkt_id)
        if state == "paid":
            connector.mark_shipped(mkt_id)
            return msg("Tracking %(tracking)s sent and the order marked shipped at %(marketplace)s.",
                       tracking=payload["trackingNumber"], **names)
        if state in WAITING_STATES:
            return "wait"
        return msg("Tracking %(tracking)s sent to %(marketplace)s (order %(state)s).",
                   tracking=payload["trackingNumber"], state=ORDER_STATES.text(state), **names)
    if event.kind == "delivered":
        connector.mark_delivered(mkt_id, payload.get("deliveredDate") or "")
        return msg("Delivery recorded at %(marketplace)s.", **names)
    connector.request_cancellation(mkt_id, payload.get("reason") or "")
    return msg("Cancellation at the store told to %(marketplace)s: the order is cancelled only when %(marketplace)s "
               "confirms it; contact %(marketplace)s if it does not.", **names)


def _wait(tenant, order, event) -> str:
    """Marking shipped an order not yet paid would be refused: look again later instead of failing."""
    if event.attempts >= MAX_WAITS:
        event.status, event.next_attempt_at = "failed", None
        bridge.record(tenant.id, "tracking", order.marketplace_order_id, "error",
                      msg("The tracking was sent but %(marketplace)s never reached the state that lets the order be "
                          "shipped.", marketplace=get_connector_class(order.connector_key).name),
                      connector_key=order.connector_key)
        return "gave up waiting"
    event.status, event.next_attempt_at = "waiting", utcnow() + WAIT_FOR_STATE
    db.session.commit()
    enqueue(forward, event.id, delay=WAIT_FOR_STATE)
    return "waiting for the order to be paid"
