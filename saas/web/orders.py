"""The Orders tab: every marketplace order with its state at both ends, its cause, its attempts; filters, search,
CSV export; reprocess one order or a selection; accept or refuse when automatic acceptance is off."""
import contextlib
import io
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from saas import bridge
from saas.bridge.models import BridgeEntry
from saas.catalog.models import SkuBinding
from saas.connectors import get_connector_class
from saas.connectors.base import ORDER_STATES, ConnectorContext
from saas.exports import CsvWriter, xlsx_row
from saas.extensions import db
from saas.i18n import msg, plain_decimal, render
from saas.orders import acceptance, importer, polling
from saas.orders.checks import CheckFailed, mapped_carrier
from saas.orders.models import CAUSE_FIXES, CAUSES, STATUS_LABELS, STATUSES, MarketplaceOrder
from saas.tenants.scoping import get_scoped_or_404, scoped
from saas.tenants.settings import build_connector, load_settings
from saas.text import like_pattern, search_words
from saas.timeutil import local_time
from saas.vtex import ORDER_STATUSES as VTEX_ORDER_STATUSES
from saas.web.causes import failing_orders, orders_by_cause
from saas.web.inputs import page_number
from saas.web.redirects import safe_next
from saas.web.tenant_context import attach_tenant

bp = Blueprint("orders", __name__, url_prefix="/t/<slug>/orders")
attach_tenant(bp)
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Headers and values as a spreadsheet in pt-BR opens them: ";" between columns, "," in decimals, a BOM for UTF-8.
CSV_COLUMNS = (_l("Marketplace order"), _l("VTEX order"), _l("State at the marketplace"), _l("State at VTEX"),
               _l("Status"), _l("Total (R$)"), _l("Cause"), _l("Message"), _l("Created at"), _l("Updated at"))


def _filtered():
    query = scoped(MarketplaceOrder)
    status, search = request.args.get("status", ""), request.args.get("q", "").strip()
    if status in STATUSES:
        query = query.filter(MarketplaceOrder.status == status)
    if request.args.get("cause") in CAUSES:
        query = query.filter(failing_orders(), MarketplaceOrder.cause == request.args["cause"])
    if search:  # every word: part of either order number, the customer's name or CPF/CNPJ, a SKU
        query = query.filter(*(or_(MarketplaceOrder.search_text.like(like_pattern(word), escape="\\"),
                                   MarketplaceOrder.vtex_order_id.ilike(like_pattern(word), escape="\\"))
                               for word in search_words(search) or [search]))
    for name, compare in (("from", "__ge__"), ("to", "__lt__")):
        value = request.args.get(name, "")
        if value:
            try:
                day = datetime.strptime(value, "%Y-%m-%d") + (timedelta(days=1) if name == "to" else timedelta())
            except ValueError:
                flash(_("Invalid date: %(value)s (use YYYY-MM-DD).", value=value), "error")
                continue
            query = query.filter(getattr(MarketplaceOrder.created_at, compare)(day))
    return query


@bp.get("/")
def index():
    query = _filtered()
    page = page_number()
    total = query.with_entities(func.count()).scalar()
    rows = query.options(selectinload(MarketplaceOrder.attempts)).order_by(MarketplaceOrder.id.desc()) \
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all()
    return render_template("orders/index.html", rows=rows, total=total, page=page, readings=_readings(rows),
                           pages=max(1, -(-total // PAGE_SIZE)), statuses=STATUS_LABELS, failures=orders_by_cause(),
                           causes=CAUSES, fixes=CAUSE_FIXES,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/export.csv")
def export():
    def lines():
        out = io.StringIO()
        out.write("\ufeff")
        writer = CsvWriter(out, delimiter=";")
        writer.writerow([str(column) for column in CSV_COLUMNS])
        for order in _filtered().order_by(MarketplaceOrder.id).yield_per(500):
            words = _in_words(order)
            writer.writerow([*words[:5], plain_decimal(order.total_cents), *words[5:],
                             local_time(order.created_at), local_time(order.updated_at)])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    return Response(stream_with_context(lines()), mimetype="text/csv", content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=pedidos-{g.tenant.slug}.csv"})


@bp.get("/export.xlsx")
def export_xlsx():
    """The same rows as a spreadsheet: totals as numbers in reais, times as Brasília dates (write-only, so a
    large export is streamed row by row into the file instead of held as cells)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Orders")))
    sheet.append(xlsx_row(sheet, [str(column) for column in CSV_COLUMNS]))
    for order in _filtered().order_by(MarketplaceOrder.id).yield_per(500):
        total = WriteOnlyCell(sheet, value=order.total_cents / 100)
        total.number_format = '"R$" #,##0.00'
        words = _in_words(order)
        sheet.append(xlsx_row(sheet, [*words[:5], total, *words[5:], _local_cell(sheet, order.created_at),
                                      _local_cell(sheet, order.updated_at)]))
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=pedidos-{g.tenant.slug}.xlsx"})


def _in_words(order) -> list[str]:
    """An export row's text cells in the reader's words (states and cause as the portal shows them, not codes):
    the two order numbers, the states at the marketplace and at VTEX, our status; then the cause and its message."""
    cls = get_connector_class(order.connector_key)
    at_marketplace = ORDER_STATES[cls.order_state_of(order.marketplace_state)] if cls else order.marketplace_state
    return [order.marketplace_order_id, order.vtex_order_id or "", str(at_marketplace),
            str(VTEX_ORDER_STATUSES[order.vtex_status]) if order.vtex_status else "", str(STATUS_LABELS[order.status]),
            str(CAUSES[order.cause]) if order.cause else "", render(order.message, order.message_params)]


def _local_cell(sheet, moment):
    cell = WriteOnlyCell(sheet, value=datetime.strptime(local_time(moment, "%Y-%m-%d %H:%M"), "%Y-%m-%d %H:%M"))
    cell.number_format = "dd/mm/yyyy hh:mm"
    return cell


@bp.get("/<int:order_id>")
def detail(order_id):
    order = get_scoped_or_404(MarketplaceOrder, order_id)
    cls = get_connector_class(order.connector_key)
    data = _readings([order]).get(order.id)
    row = load_settings(g.tenant, order.connector_key)
    carrier = None
    if data and row and cls:
        with contextlib.suppress(CheckFailed):
            carrier = mapped_carrier(data, row.settings, cls.shipping_types_for(row.settings))
    timeline = scoped(BridgeEntry).filter(BridgeEntry.entity.in_(("order", "tracking")),
                                          BridgeEntry.entity_id == order.marketplace_order_id) \
        .order_by(BridgeEntry.id).limit(200).all()
    divergence = next((e.details for e in reversed(timeline)
                       if order.cause == "price_divergence" and e.details.get("cause") == "price_divergence"), None)
    skus = [line.sku_id for line in data.lines + data.refused_lines] if data else []
    titles = dict(scoped(SkuBinding).filter(SkuBinding.sku_id.in_(skus))
                  .with_entities(SkuBinding.sku_id, SkuBinding.title).all()) if skus else {}
    return render_template("orders/detail.html", order=order, data=data, carrier=carrier, timeline=timeline,
                           divergence=divergence, titles=titles, marketplace_name=cls.name if cls else "",
                           state_of=cls.order_state_of if cls else (lambda _word: "other"))


def _readings(orders) -> dict:
    """Each order's stored payload read again by its connector, for its items, customer and state in our words;
    an order its connector cannot read shows without them."""
    readings, connectors = {}, {}
    for order in orders:
        key = order.connector_key
        if key not in connectors:
            cls = get_connector_class(key)
            connectors[key] = cls(ConnectorContext(tenant_id=g.tenant.id, settings={}, secrets={}, timeout=1)) \
                if cls else None
        with contextlib.suppress(Exception):  # a payload from an older format or another plugin version
            readings[order.id] = connectors[key].order_data(order.raw)
    return readings


@bp.post("/reprocess")
def reprocess():
    """The selected orders, or every failed order of one cause (once its cause is fixed)."""
    cause = request.form.get("cause")
    if cause in CAUSES:  # given up or still retrying: its cause is fixed, so now
        orders = scoped(MarketplaceOrder).filter(failing_orders(), MarketplaceOrder.cause == cause).all()
    else:
        ids = [int(i) for i in request.form.getlist("order") if i.isdigit() and len(i) <= 9]
        orders = scoped(MarketplaceOrder).filter(MarketplaceOrder.id.in_(ids)).all() if ids else []
        if len(orders) != len(ids):
            abort(404)
    started = sum(importer.reprocess(order) for order in orders)
    skipped = len(orders) - started
    flash(ngettext("%(num)d order reprocessed now: up to 5 attempts in 15 minutes.",
                   "%(num)d orders reprocessed now: up to 5 attempts in 15 minutes.", started)
          + (" " + ngettext("%(num)d skipped: only orders not integrated are reprocessed.",
                            "%(num)d skipped: only orders not integrated are reprocessed.", skipped)
             if skipped else ""), "success")
    if len(orders) == 1 and request.form.get("back") == "detail":
        return redirect(url_for("orders.detail", order_id=orders[0].id))
    return redirect(safe_next(request.form.get("back")) or url_for("orders.index"))


@bp.post("/<int:order_id>/divergence")
def accept_divergence(order_id):
    """This order only goes through its price divergence, as its last check measured it."""
    order = get_scoped_or_404(MarketplaceOrder, order_id)
    difference = next((e.details.get("difference_pct") for e in scoped(BridgeEntry).filter(
        BridgeEntry.entity == "order", BridgeEntry.entity_id == order.marketplace_order_id)
        .order_by(BridgeEntry.id.desc()).limit(50) if e.details.get("cause") == "price_divergence"), None)
    if order.cause != "price_divergence" or not isinstance(difference, (int, float)):
        abort(409)
    if importer.accept_divergence(order, float(difference), current_user.email):
        flash(_("Divergence accepted for this order only; it is being reprocessed now."), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/<int:order_id>/adopt")
def adopt(order_id):
    """An order accepted before this store connected the marketplace, imported here on the merchant's word: it goes
    on from its state as last read (imported if paid, else when the poll sees it paid)."""
    order = get_scoped_or_404(MarketplaceOrder, order_id)
    if order.status != "before_connection":
        abort(409)
    row = load_settings(g.tenant, order.connector_key)
    if row is None or not row.active:
        abort(409)
    order.status = "accepted"
    bridge.record(g.tenant.id, "order", order.marketplace_order_id, "success",
                  msg("Imported from this store at the request of %(user)s.", user=current_user.email),
                  commit=False, connector_key=order.connector_key)
    if polling.act(g.tenant, row, build_connector(g.tenant, order.connector_key, row), order):
        importer.enqueue([order])
    else:
        db.session.commit()
    flash(_("The order goes on from this store."), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/<int:order_id>/<any(accept, refuse):decision>")
def decide(order_id, decision):
    order = get_scoped_or_404(MarketplaceOrder, order_id)
    if order.status != "awaiting_decision":
        flash(_("This order is not awaiting a decision."), "error")
        return redirect(url_for("orders.detail", order_id=order.id))
    row = load_settings(g.tenant, order.connector_key)
    connector = build_connector(g.tenant, order.connector_key, row)
    accepted = acceptance.answer(g.tenant, connector, order, connector.order_data(order.raw),
                                 accept=decision == "accept", by=current_user.email)
    if accepted:
        polling.look_for_payment(g.tenant.id, order.connector_key)
    flash(_("Order accepted.") if accepted else _("Order refused.") if decision == "refuse" else
          _("%(marketplace)s did not record the decision; see the Bridge.", marketplace=connector.name), "success")
    return redirect(url_for("orders.detail", order_id=order.id))
