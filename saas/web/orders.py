"""The Orders tab: every marketplace order with its state at both ends, its cause, its attempts; filters, search,
CSV export; reprocess one order or a selection; accept or refuse when automatic acceptance is off."""
import csv
import io
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import func, or_

from saas.i18n import plain_decimal
from saas.orders import acceptance, importer
from saas.orders.models import STATUSES, MarketplaceOrder
from saas.tenants.scoping import get_scoped_or_404, scoped
from saas.tenants.settings import build_connector, load_settings
from saas.timeutil import local_time
from saas.web.inputs import page_number
from saas.web.tenant_context import attach_tenant

bp = Blueprint("orders", __name__, url_prefix="/t/<slug>/orders")
attach_tenant(bp)
PAGE_SIZE = 50
# Headers and values as a spreadsheet in pt-BR opens them: ";" between columns, "," in decimals, a BOM for UTF-8.
CSV_COLUMNS = ("Pedido no marketplace", "Pedido na VTEX", "Estado no marketplace", "Estado na VTEX", "Situação",
               "Total (R$)", "Causa", "Mensagem", "Criado em", "Atualizado em")


def _filtered():
    query = scoped(MarketplaceOrder)
    status, search = request.args.get("status", ""), request.args.get("q", "").strip()
    if status in STATUSES:
        query = query.filter(MarketplaceOrder.status == status)
    if search:
        query = query.filter(or_(MarketplaceOrder.marketplace_order_id == search,
                                 MarketplaceOrder.vtex_order_id == search))
    for name, compare in (("from", "__ge__"), ("to", "__lt__")):
        value = request.args.get(name, "")
        if value:
            try:
                day = datetime.strptime(value, "%Y-%m-%d") + (timedelta(days=1) if name == "to" else timedelta())
            except ValueError:
                flash(f"Data inválida: {value} (use AAAA-MM-DD).", "error")
                continue
            query = query.filter(getattr(MarketplaceOrder.created_at, compare)(day))
    return query


@bp.get("/")
def index():
    query = _filtered()
    page = page_number()
    total = query.with_entities(func.count()).scalar()
    rows = query.order_by(MarketplaceOrder.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all()
    return render_template("orders/index.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), statuses=STATUSES,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/export.csv")
def export():
    def lines():
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        for order in _filtered().order_by(MarketplaceOrder.id).yield_per(500):
            writer.writerow([order.marketplace_order_id, order.vtex_order_id or "", order.marketplace_state,
                             order.vtex_status or "", order.status, plain_decimal(order.total_cents),
                             order.cause or "", order.message or "", local_time(order.created_at),
                             local_time(order.updated_at)])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    return Response(stream_with_context(lines()), mimetype="text/csv", content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=pedidos-{g.tenant.slug}.csv"})


@bp.get("/<int:order_id>")
def detail(order_id):
    order = get_scoped_or_404(MarketplaceOrder, order_id)
    return render_template("orders/detail.html", order=order)


@bp.post("/reprocess")
def reprocess():
    ids = [int(i) for i in request.form.getlist("order") if i.isdigit() and len(i) <= 9]
    orders = scoped(MarketplaceOrder).filter(MarketplaceOrder.id.in_(ids)).all() if ids else []
    if len(orders) != len(ids):
        abort(404)
    started = sum(importer.reprocess(order) for order in orders)
    skipped = len(orders) - started
    flash(f"{started} pedido(s) reprocessado(s) agora: até 5 tentativas em 15 minutos."
          + (f" {skipped} ignorado(s): só pedidos não integrados são reprocessados." if skipped else ""), "success")
    if len(orders) == 1 and request.form.get("back") == "detail":
        return redirect(url_for("orders.detail", order_id=orders[0].id))
    return redirect(url_for("orders.index"))


@bp.post("/<int:order_id>/<any(accept, refuse):decision>")
def decide(order_id, decision):
    order = get_scoped_or_404(MarketplaceOrder, order_id)
    if order.status != "awaiting_decision":
        flash("Este pedido não aguarda decisão.", "error")
        return redirect(url_for("orders.detail", order_id=order.id))
    row = load_settings(g.tenant, order.connector_key)
    connector = build_connector(g.tenant, order.connector_key, row)
    accepted = acceptance.answer(g.tenant, connector, order, connector.order_data(order.raw),
                                 accept=decision == "accept", by=current_user.email)
    flash("Pedido aceito." if accepted else "Pedido recusado." if decision == "refuse" else
          f"O {connector.name} não registrou a decisão; veja o Bridge.", "success")
    return redirect(url_for("orders.detail", order_id=order.id))
