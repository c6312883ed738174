"""Importing one paid marketplace order into VTEX, exactly once.

Exactly once: the order row is unique per tenant and marketplace id; one worker at a time holds the order's lock;
and before placing, VTEX is asked for the order (its id is ``{affiliate}-{marketplace id}``), so an attempt that
ended unclearly (a timeout after VTEX had placed it) is never followed by a second order.

Retries: a failed attempt is tried again, at most 5 attempts within 15 minutes (the seed); then the order waits as
failed until the merchant reprocesses it, which starts a new series of up to 5.

Recovery: ``next_attempt_at`` says when the order's next attempt is due (or when the current one began). A job that
runs before that (a duplicate, a requeued abandoned batch) does nothing; an attempt long overdue whose lock nobody holds
(its worker was killed, its job lost with Redis) is handed back to the importer by ``saas.jobs.recovery``.

Throughput: the poll hands the paid orders to ``import_batch`` jobs of up to ``BATCH_SIZE`` orders, each importing
its orders on ``ORDER_IMPORT_CONCURRENCY`` threads (VTEX's latency, not our CPU, is what an import waits on).
"""
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from rq import Retry
from sqlalchemy import select

from saas import alerts, bridge, metrics
from saas.catalog import safety
from saas.connectors import get_connector_class
from saas.extensions import db
from saas.i18n import msg, stored
from saas.integration_errors import IntegrationError, PermanentError
from saas.jobs import locks
from saas.jobs.queues import enqueue as enqueue_job
from saas.jobs.queues import job
from saas.jobs.recovery import SWEEP_LIMIT, overdue, sweep
from saas.mail import send_mail
from saas.orders import checks
from saas.orders.models import MarketplaceOrder, OrderAttempt
from saas.tenants.models import Tenant
from saas.tenants.public_urls import services_endpoint
from saas.tenants.settings import affiliate_of, build_connector, load_settings, trade_policy_of
from saas.timeutil import utcnow
from saas.vtex.client import VtexClient

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
SERIES_WINDOW = timedelta(minutes=15)
# Seconds before attempts 2 … 5: they fall at 1, 3, 7 and 14 minutes, five attempts within the seed's fifteen.
RETRY_DELAYS = (60, 120, 240, 420)
BATCH_SIZE = 25
DUE_TOLERANCE = timedelta(seconds=5)  # a delayed job may start a little before the clock of the row that set it


def enqueue(orders: list[MarketplaceOrder]) -> None:
    """Queue the next attempt of these orders' current series now, in batches."""
    now = utcnow()
    for order in orders:
        order.next_attempt_at = now
    db.session.commit()
    for start in range(0, len(orders), BATCH_SIZE):
        enqueue_job(import_batch, [(o.id, o.series) for o in orders[start:start + BATCH_SIZE]])


def lock_name(order: MarketplaceOrder) -> str:
    return f"saas:lock:order-import:{order.tenant_id}:{order.marketplace_order_id}"


@job("orders", 900, Retry(max=2, interval=[0, 60]))
def import_batch(orders: list[tuple[int, int]]) -> dict[int, str]:
    app = current_app._get_current_object()

    def one(pair):
        with app.app_context():
            try:
                return pair[0], import_order(*pair)
            except Exception:  # one order's crash must not take the batch down; it is reported and retried
                log.exception("order %s: import crashed", pair[0])
                db.session.rollback()
                order = db.session.get(MarketplaceOrder, pair[0])
                if order is not None and order.series == pair[1]:
                    _schedule_next(order, attempt_number=1)
                return pair[0], "crashed"

    with ThreadPoolExecutor(max_workers=app.config["ORDER_IMPORT_CONCURRENCY"]) as pool:
        return dict(pool.map(one, orders))


def _schedule_next(order: MarketplaceOrder, attempt_number: int) -> None:
    delay = timedelta(seconds=RETRY_DELAYS[min(attempt_number, len(RETRY_DELAYS)) - 1])
    order.next_attempt_at = utcnow() + delay
    db.session.commit()
    enqueue_job(import_order, order.id, order.series, delay=delay)


@job("orders", 300, Retry(max=2, interval=[0, 60]))
def import_order(order_pk: int, series: int) -> str:
    with _kept_on_commit():
        return _import(order_pk, series)


@contextmanager
def _kept_on_commit():
    """The order is the import's alone while it holds the order's lock, and what it commits is what it holds: nothing
    needs reading back after each commit (read back, the order's JSON was parsed again three times an import). The
    session's own setting comes back after, for whoever shares it."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before


def _import(order_pk: int, series: int) -> str:
    order = db.session.get(MarketplaceOrder, order_pk)
    idle = _nothing_due(order, series)
    if idle:
        return idle
    tenant = db.session.get(Tenant, order.tenant_id)
    row = load_settings(tenant, order.connector_key)
    if row is None or not row.active:
        return "integration inactive"
    with locks.hold(lock_name(order)) as held:
        if not held:
            # Maybe a live worker, maybe the lock of a killed one, which expires within the lock's TTL: look again.
            enqueue_job(import_order, order.id, series,
                        delay=timedelta(seconds=locks.TTL))
            return "another worker holds it; looking again later"
        db.session.refresh(order)  # what a worker that held the lock until now may have changed
        return _nothing_due(order, series) or _attempt(tenant, row, order)


def _nothing_due(order: MarketplaceOrder | None, series: int) -> str | None:
    """Why this job has nothing to do, or None when the order's attempt is due."""
    if order is None or order.series != series or order.status in ("imported", "cancelled"):
        return "nothing to do"
    if order.next_attempt_at and order.next_attempt_at > utcnow() + DUE_TOLERANCE:
        return "not due yet"  # a duplicate: the job of the due attempt is queued for later
    return None


def _attempt(tenant, row, order) -> str:
    now = utcnow()
    done = [a for a in order.attempts if a.series == order.series]
    if len(done) >= MAX_ATTEMPTS or (order.series_started_at and now - order.series_started_at > SERIES_WINDOW):
        order.status, order.next_attempt_at = "failed", None
        db.session.commit()
        return "series exhausted"
    order.series_started_at = order.series_started_at or now
    order.next_attempt_at = now
    attempt = OrderAttempt(tenant_id=tenant.id, order=order, series=order.series, number=len(done) + 1)
    db.session.add(attempt)
    db.session.commit()
    try:
        vtex_order_id = place(tenant, row, order)
    except checks.CheckFailed as failure:
        metrics.count("saas_orders_total", marketplace=order.connector_key, outcome=failure.cause)
        _failed(tenant, row, order, attempt, failure)
        if attempt.number < MAX_ATTEMPTS:
            _schedule_next(order, attempt.number)
        return failure.cause
    attempt.outcome, attempt.finished_at = "imported", utcnow()
    order.status, order.vtex_order_id, order.cause = "imported", vtex_order_id, None
    order.message = order.message_params = None
    order.next_attempt_at = None
    bridge.record(tenant.id, "order", order.marketplace_order_id, "success",
                  msg("Imported into VTEX as %(vtex_order)s and authorized for dispatch.", vtex_order=vtex_order_id),
                  details={"vtex_order_id": vtex_order_id}, attempt=attempt.number, commit=False,
                  connector_key=order.connector_key)
    db.session.commit()
    metrics.count("saas_orders_total", marketplace=order.connector_key, outcome="imported")
    metrics.observe("saas_order_placement_seconds", (utcnow() - order.created_at).total_seconds(),
                    marketplace=order.connector_key)
    return "imported"


def place(tenant, row, order) -> str:
    """Run the checks and place the order at VTEX; answer its VTEX id, or raise CheckFailed with the cause."""
    connector = build_connector(tenant, row.connector_key, row)
    data = connector.order_data(order.raw)
    settings = row.settings
    affiliate, trade_policy = affiliate_of(row.connector_key, settings), trade_policy_of(settings)
    vtex = VtexClient.for_tenant(tenant)
    vtex_order_id = f"{affiliate}-{data.order_id}"
    with _service_faults():
        # After an earlier attempt (which may have placed it before failing), VTEX is asked first.
        existing = _vtex_order(vtex, vtex_order_id) if len(order.attempts) > 1 else None
        if existing is None:
            carrier = checks.mapped_carrier(data, settings, connector.shipping_types_for(settings))
            simulation = vtex.simulate([(line.sku_id, line.quantity) for line in data.lines],
                                       trade_policy=trade_policy, affiliate_id=affiliate,
                                       postal_code=data.address.postal_code if data.address else None)
            check_skus_exist(vtex, data, trade_policy, simulation)
            checks.check_stock(data, simulation)
            order.safety_covered = safety.covered(tenant, row.connector_key, data, simulation)
            slas = checks.select_slas(data, simulation, carrier)
            tolerance = float(settings.get("divergence") or 0)
            checks.check_price(data, simulation, slas, max(tolerance, order.divergence_allowed or 0))
            body = checks.vtex_order(data, slas, services_endpoint=services_endpoint(tenant, order.connector_key))
            existing = _place(vtex, body, vtex_order_id, trade_policy=trade_policy, affiliate=affiliate)
        order.vtex_order_id = vtex_order_id
        order.vtex_status = existing.get("status")
        db.session.commit()
        if existing.get("status") in (None, "waiting-ffmt-authorization"):
            vtex.authorize_dispatch(vtex_order_id, data.order_id, trade_policy=trade_policy, affiliate_id=affiliate)
            order.vtex_status = "ready-for-handling"
    return vtex_order_id


class _service_faults:
    """A VTEX that fails or is slow is a cause of its own, retried; never a crash of the job."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, IntegrationError):
            raise checks.CheckFailed("vtex_unavailable", msg("VTEX could not complete the import: %(detail)s",
                                                             detail=exc.said), retryable=True) from exc
        return False


def _vtex_order(vtex, vtex_order_id) -> dict | None:
    try:
        return vtex.get_order(vtex_order_id)
    except PermanentError:
        return None


def check_skus_exist(vtex, data, trade_policy, simulation) -> None:
    """A SKU the simulation does not return may not exist at all: VTEX's catalog says which."""
    simulated = set(simulation.items)
    for line in data.lines:
        if line.sku_id in simulated:
            continue
        try:
            vtex.sku_context(line.sku_id, trade_policy)
        except PermanentError:
            raise checks.CheckFailed(
                "sku_not_found", msg("SKU %(sku)s does not exist at VTEX (the marketplace's offer names a SKU the "
                                     "store does not have, e.g. one registered there by hand).", sku=line.sku_id),
                {"sku": line.sku_id}, fix=msg("Fix the SKU at the marketplace or at VTEX")) from None


def _place(vtex, body, vtex_order_id, *, trade_policy, affiliate) -> dict:
    try:
        placed = vtex.place_order(body, trade_policy=trade_policy, affiliate_id=affiliate)
    except PermanentError:
        # A concurrent or earlier placement may have won: adopt it rather than fail.
        existing = _vtex_order(vtex, vtex_order_id)
        if existing is None:
            raise
        return existing
    return {"orderId": placed.get("orderId", vtex_order_id), "status": "waiting-ffmt-authorization"}


def _failed(tenant, row, order, attempt, failure: checks.CheckFailed) -> None:
    attempt.outcome, attempt.finished_at = "failed", utcnow()
    attempt.cause, (attempt.message, attempt.message_params) = failure.cause, stored(failure.message)
    last = attempt.number >= MAX_ATTEMPTS
    order.status = "failed" if last else "importing"
    order.next_attempt_at = None if last else order.next_attempt_at
    order.cause, (order.message, order.message_params) = failure.cause, stored(failure.message)
    tail = msg("No more automatic attempts: reprocess it from the Orders tab after the fix.") if last else \
        msg("It is tried again automatically.")
    bridge.record(tenant.id, "order", order.marketplace_order_id, "error", failure.message + tail,
                  details={"cause": failure.cause, **failure.details}, attempt=attempt.number, commit=False,
                  connector_key=order.connector_key)
    if failure.cause not in order.mailed_causes:  # told once per cause, by mail and to the alert webhook
        order.mailed_causes = [*order.mailed_causes, failure.cause]
        db.session.commit()
        names = {"store": tenant.display_name, "marketplace": _marketplace(order),
                 "order": order.marketplace_order_id}
        subject = _("[%(store)s] %(marketplace)s order %(order)s not integrated", **names)
        if email := row.settings.get("notification_email"):
            send_mail(email, subject, _("The order %(order)s could not be integrated into VTEX.\n\n%(problem)s\n\n"
                                        "After the fix, reprocess the order in the Orders tab.",
                                        problem=failure, **names))
        alerts.alert(tenant, "order_failed", subject, marketplace=order.connector_key,
                     order=order.marketplace_order_id, cause=failure.cause, problem=str(failure))
    db.session.commit()


def accept_divergence(order: MarketplaceOrder, difference_pct: float, user_email: str) -> bool:
    """Let this order through a price divergence of up to ``difference_pct`` (the store's tolerance is unchanged),
    said in the Bridge, and reprocess it; false when the order cannot be reprocessed."""
    if not order.can_reprocess:
        return False
    order.divergence_allowed = math.ceil(difference_pct * 100) / 100
    bridge.record(order.tenant_id, "order", order.marketplace_order_id, "warning",
                  msg("%(user)s accepted a price divergence of %(difference_pct)s%% for this order only.",
                      user=user_email, difference_pct=order.divergence_allowed),
                  commit=False, connector_key=order.connector_key)
    return reprocess(order)


def reprocess(order: MarketplaceOrder) -> bool:
    """A new series of up to 5 attempts, its first one now, the checks run again; false when the order cannot be
    reprocessed. The retries of the series it replaces find a newer series and do nothing."""
    if not order.can_reprocess:
        return False
    order.series += 1
    order.series_started_at, order.status, order.next_attempt_at = None, "importing", utcnow()
    # The new series has not failed yet: the old cause would read as its own until its first attempt ends.
    order.cause = order.message = order.message_params = None
    db.session.commit()
    enqueue([order])
    return True


@job("orders", 120, Retry(max=3, interval=[60, 300, 900]))
def cancel_at_vtex(order_pk: int) -> str:
    """The marketplace cancelled an order already imported: cancel it at VTEX (OMS)."""
    order = db.session.get(MarketplaceOrder, order_pk)
    if order is None or order.status == "cancelled" or not order.vtex_order_id:
        return "nothing to do"
    tenant = db.session.get(Tenant, order.tenant_id)
    try:
        VtexClient.for_tenant(tenant).cancel_order(order.vtex_order_id,
                                                   _("Order cancelled at %(marketplace)s",
                                                     marketplace=_marketplace(order)))
    except PermanentError as exc:
        bridge.record(tenant.id, "order", order.marketplace_order_id, "error",
                      msg("%(marketplace)s cancelled this order but VTEX refused to cancel %(vtex_order)s: "
                          "%(detail)s. An invoiced order needs a return invoice.", marketplace=_marketplace(order),
                          vtex_order=order.vtex_order_id, detail=exc.said), connector_key=order.connector_key)
        return "refused"
    order.status, order.vtex_status = "cancelled", "canceled"
    bridge.record(tenant.id, "order", order.marketplace_order_id, "warning",
                  msg("Cancelled at %(marketplace)s after import: %(vtex_order)s was cancelled at VTEX.",
                      marketplace=_marketplace(order), vtex_order=order.vtex_order_id),
                  connector_key=order.connector_key)
    return "cancelled"


def _marketplace(order) -> str:
    return get_connector_class(order.connector_key).name


def enqueue_cancel(order: MarketplaceOrder) -> None:
    enqueue_job(cancel_at_vtex, order.id)


@sweep("orders")
def resume_stalled() -> int:
    """Orders importing whose attempt is overdue and whose lock nobody holds (their worker killed, their job lost with
    Redis): queued again."""
    orders = db.session.scalars(select(MarketplaceOrder).where(
        MarketplaceOrder.status == "importing", overdue(MarketplaceOrder.next_attempt_at)).limit(SWEEP_LIMIT)).all()
    free = [o for o, busy in zip(orders, locks.held([lock_name(o) for o in orders]), strict=True) if not busy]
    enqueue(free)
    return len(free)
