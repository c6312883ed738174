"""Frete: how a store's freight URL answered the marketplace over the last 7 days (quotes per hour, latency, answers
over the marketplace's patience, failures by cause, cache hits), and the last failed quotes, each replayable."""
import re
from collections import defaultdict
from datetime import timezone

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from saas.connectors import get_connector_class
from saas.connectors.base import FreightRequest
from saas.freight import contingency, metrics, quote
from saas.freight.models import ContingencyTable
from saas.i18n import N_, Words, money
from saas.integration_errors import IntegrationError
from saas.tenants.public_urls import freight_url
from saas.tenants.scoping import scoped
from saas.tenants.settings import configured_connectors
from saas.timeutil import MERCHANT_ZONE, local_time_text
from saas.web import charts
from saas.web.freight import cause_of
from saas.web.tenant_context import attach_tenant

bp = Blueprint("freight_stats", __name__, url_prefix="/t/<slug>/freight")
attach_tenant(bp)
DAYS = 7
POSTAL_CODE = re.compile(r"\d{8}")
SKU_ID = re.compile(r"\d{1,18}")
MAX_ITEMS = 50
CAUSES = Words(
    invalid=N_("Request we could not read"),
    rate_limited=N_("Over the store's limit of quotes"),
    vtex_unreachable=N_("VTEX did not answer in time"),
    vtex_error=N_("VTEX failed"),
    vtex_rate_limited=N_("VTEX limited the calls"),
    vtex_refused_key=N_("VTEX refused the app key"),
    vtex_refused=N_("VTEX refused the simulation"))
FIXES = Words(
    invalid=N_("The marketplace sent a CEP or items we cannot read. If it repeats, tell support the time it "
               "happened."),
    rate_limited=N_("More quotes than the store's limit per minute (FREIGHT_RATE_LIMIT): the operator can raise "
                    "it."),
    vtex_unreachable=N_("VTEX's simulation took longer than the marketplace waits. An external freight app or "
                        "many warehouses slow it: check them at VTEX, then replay."),
    vtex_error=N_("An error at VTEX, usually brief: replay to see whether it has passed."),
    vtex_rate_limited=N_("VTEX refused calls for a moment: replay later."),
    vtex_refused_key=N_("Save new VTEX app keys on the Store page."),
    vtex_refused=N_("Check the trade policy and the affiliate in the marketplace's settings, then replay."))


def freight_connectors() -> list:
    return [cls for cls in map(get_connector_class, configured_connectors()) if cls and cls.freight_wire]


def _chosen(connectors):
    key = request.values.get("connector")
    return next((cls for cls in connectors if cls.key == key), connectors[0] if connectors else None)


@bp.get("/")
def index():
    connectors = freight_connectors()
    connector = _chosen(connectors)
    if connector is None:
        return render_template("freight/index.html", connector=None)
    hours = metrics.hours(g.tenant.id, connector.key, DAYS)
    days = _by_day(hours)
    week = metrics.total(hours)
    return render_template("freight/index.html", connector=connector, connectors=connectors, week=week, days=days,
                           charts=_charts(hours, days), failures=metrics.failures(g.tenant.id, connector.key),
                           causes=CAUSES, fixes=FIXES, url=freight_url(g.tenant, connector.key),
                           slow_ms=metrics.SLOW_MS, local=local_time_text, counted=bool(hours),
                           table=_last_table(connector.key), bands=contingency.BANDS_KG)


def _last_table(key) -> ContingencyTable | None:
    return scoped(ContingencyTable, connector_key=key).order_by(ContingencyTable.started_at.desc(),
                                                                ContingencyTable.id.desc()).first()


@bp.post("/contingency")
def build_table():
    connector = _chosen(freight_connectors())
    if connector is None:
        abort(404)
    contingency.request(g.tenant, connector.key)
    flash(_("The table is being built from VTEX's simulations; this page shows its progress."), "success")
    return redirect(url_for(".index", connector=connector.key))


@bp.get("/contingency/progress")
def table_progress():
    """For the page's progress bar (``static/progress.js``), while the table builds."""
    connector = _chosen(freight_connectors())
    table = _last_table(connector.key) if connector else None
    if table is None:
        abort(404)
    return {"status": table.status, "done": table.done, "total": table.total,
            "label": _("Building: %(done)d of %(total)d simulations", done=table.done, total=table.total)}


@bp.get("/contingency.<kind>")
def download_table(kind):
    connector = _chosen(freight_connectors())
    table = _last_table(connector.key) if connector else None
    if table is None or table.status != "done" or kind not in ("csv", "xlsx"):
        abort(404)
    name = f"tabela-de-frete-{g.tenant.slug}-{connector.key}.{kind}"
    if kind == "csv":
        return Response(contingency.as_csv(table), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return Response(contingency.as_xlsx(table), headers={"Content-Disposition": f"attachment; filename={name}"},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _by_day(hours) -> list[tuple[str, metrics.Hour]]:
    """The hours summed per day in Brasília, oldest first."""
    days = defaultdict(lambda: None)
    for hour in hours:
        label = hour.start.replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE).strftime("%d/%m")
        if days[label] is None:
            days[label] = metrics.Hour(hour.start)
        days[label].add(hour)
    return list(days.items())


def _charts(hours, days) -> list[charts.Chart]:
    hour_labels = [h.start.replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE).strftime("%d/%m %Hh")
                   for h in hours]
    day_labels = [label for label, _day in days]
    causes = sorted({cause for _label, day in days for cause in day.errors})
    return [
        charts.stacked(_("Quotes per hour"), hour_labels, [
            charts.Series(_("from VTEX"), [h.quotes - h.hits for h in hours], "blue"),
            charts.Series(_("from the cache"), [h.hits for h in hours], "green")], label_every=24),
        charts.stacked(_("Slowest answers per day (p95, ms)"), day_labels, [
            charts.Series("p95", [round(day.percentile(0.95) or 0) for _label, day in days], "violet")],
            threshold=(metrics.SLOW_MS, _("the marketplace gives up"))),
        charts.stacked(_("Failures per day, by cause"), day_labels, [
            charts.Series(CAUSES[cause], [day.errors.get(cause, 0) for _label, day in days],
                          charts.COLOURS[(index + 2) % len(charts.COLOURS)])
            for index, cause in enumerate(causes)])]


@bp.post("/replay")
def replay():
    """Quote again what failed, from VTEX and not the cache; the answer is shown, not counted as the marketplace's."""
    connector = _chosen(freight_connectors())
    if connector is None:
        abort(404)
    back = redirect(url_for(".index", connector=connector.key))
    freight_request = _request_from_form()
    if freight_request is None:
        flash(_("That request cannot be replayed: its CEP or items are not readable."), "error")
        return back
    shop = quote.store(g.tenant.slug, connector.key)
    if shop is None:
        flash(_("%(marketplace)s is not active for this store: activate it to quote freight.",
                marketplace=connector.name), "error")
        return back
    try:
        options, _cached = quote.quote(shop, freight_request, fresh=True)
    except IntegrationError as exc:
        flash(_("Still failing: %(cause)s (%(detail)s).", cause=CAUSES[cause_of(exc)], detail=exc.said),
              "error")
        return back
    if not options:
        flash(_("VTEX answered, with no mapped shipping type serving CEP %(cep)s.", cep=freight_request.postal_code),
              "warning")
    else:
        listed = "; ".join(_("%(type)s %(price)s in %(days)s", type=o.shipping_type, price=money(o.price_cents),
                             days=ngettext("%(num)d day", "%(num)d days", o.delivery_days)) for o in options)
        flash(ngettext("VTEX answered with %(num)d option: %(options)s.",
                       "VTEX answered with %(num)d options: %(options)s.", len(options), options=listed), "success")
    return back


def _request_from_form() -> FreightRequest | None:
    postal_code = request.form.get("postal_code", "")
    items = []
    for pair in request.form.get("items", "").split(",")[:MAX_ITEMS + 1]:
        sku, _sep, quantity = pair.partition(":")
        if not SKU_ID.fullmatch(sku) or not quantity.isdigit() or not 0 < int(quantity) <= 9999:
            return None
        items.append((sku, int(quantity)))
    if not POSTAL_CODE.fullmatch(postal_code) or not 0 < len(items) <= MAX_ITEMS:
        return None
    return FreightRequest(postal_code, tuple(items))
