"""Catálogo: the state of every SKU at each marketplace, one row per SKU (the Bridge keeps the history behind it):
filters by state, by cause and by the reason a SKU is not ready, search by SKU, EAN or name, counts per state and per
reason, and sending a selection again."""
import re
from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import String, cast, func, or_

from saas import vtex
from saas.catalog import changes as sku_changes
from saas.catalog import drift, promotions, readiness
from saas.catalog.models import OFFER_STATES, PRODUCT_STATES, STATE_COLOURS, Reconciliation, SkuBinding, SkuChange
from saas.connectors import get_connector_class
from saas.i18n import cause_words
from saas.jobs.schedule import run_soon
from saas.orders import paths as order_paths
from saas.tenants.scoping import scoped
from saas.tenants.settings import configured_connectors, load_settings, save_settings
from saas.text import like_pattern, search_words
from saas.timeutil import utcnow
from saas.web.inputs import page_number
from saas.web.redirects import safe_next
from saas.web.tenant_context import attach_tenant

bp = Blueprint("catalog", __name__, url_prefix="/t/<slug>/catalog")
attach_tenant(bp)
PAGE_SIZE = 50
CAUSES_SHOWN = 20
RESEND_LIMIT = 100_000  # a whole catalog
REASON_CODE = re.compile(r"[a-z_]{1,40}")  # saas.catalog.readiness's codes


@bp.get("/")
def index():
    keys = configured_connectors()
    key = request.args.get("connector") if request.args.get("connector") in keys else (keys[0] if keys else None)
    if key is None:
        return render_template("catalog/index.html", connector=None, connectors=[])
    product, offer = request.args.get("product", ""), request.args.get("offer", "")
    cause, search = request.args.get("cause", ""), request.args.get("q", "").strip()
    held = "1" if request.args.get("held") else ""
    reason = request.args.get("reason", "") if REASON_CODE.fullmatch(request.args.get("reason", "")) else ""
    query = _filtered(scoped(SkuBinding, connector_key=key), product, offer, cause, search, reason)
    if held:
        query = query.filter(SkuBinding.held_price_cents.isnot(None))
    page = page_number()
    states = _state_counts(key)
    filtered = product or offer or cause or search or held or reason
    total = query.with_entities(func.count()).scalar() if filtered else sum(states.values())
    rows = query.order_by(SkuBinding.updated_at.desc(), SkuBinding.id.desc()) \
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all()
    return render_template(
        "catalog/index.html", rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
        connector=get_connector_class(key), connectors=[get_connector_class(k) for k in keys],
        product_counts=_tally(states, 0), offer_counts=_tally(states, 1),
        causes=_causes(key), reasons=_reasons(key), reconciliation=last_reconciliation(key),
        promotions=promotions.for_catalog(g.tenant, key), applies=promotions.applies_to,
        drift=drift.last_day(key), drift_paths=drift.PATHS, now=utcnow(),
        may_reconcile=may_reconcile(key),
        offer_reasons=readiness.offer_reasons(g.tenant, key, int(load_settings(g.tenant, key).settings
                                                                 .get("min_stock") or 0)),
        waiting=scoped(SkuChange, connector_key=key).with_entities(func.count()).scalar(),
        product_states=PRODUCT_STATES, offer_states=OFFER_STATES, colours=STATE_COLOURS,
        held=scoped(SkuBinding, connector_key=key).filter(SkuBinding.held_price_cents.isnot(None))
        .with_entities(func.count()).scalar(),
        args={"connector": key, "product": product, "offer": offer, "cause": cause, "q": search, "held": held,
              "reason": reason})


def _filtered(query, product, offer, cause, search, reason=""):
    if product in PRODUCT_STATES:
        query = query.filter(SkuBinding.product_state == product)
    if offer in OFFER_STATES:
        query = query.filter(SkuBinding.offer_state == offer)
    if cause:
        query = query.filter(SkuBinding.last_error == cause)
    if reason:
        query = query.filter(SkuBinding.product_state == "not_ready",
                             cast(SkuBinding.readiness, String).like(f'%"{reason}"%'))
    if search:  # every word, anywhere in the name, brand, EAN or SKU, accents and case aside
        query = query.filter(*(SkuBinding.search_text.like(like_pattern(word), escape="\\")
                               for word in search_words(search) or [search]))
    return query


def _state_counts(key) -> dict:
    """(product state, offer state) → SKUs: both tallies from one pass over the connector's SKUs."""
    return {(product, offer): count for product, offer, count in scoped(SkuBinding, connector_key=key)
            .with_entities(SkuBinding.product_state, SkuBinding.offer_state, func.count())
            .group_by(SkuBinding.product_state, SkuBinding.offer_state)}


def _tally(states: dict, position: int) -> dict:
    tally = {}
    for pair, count in states.items():
        tally[pair[position]] = tally.get(pair[position], 0) + count
    return tally


def _causes(key) -> list[tuple[str, str, int]]:
    """The errors SKUs are in now, by cause (a message of ours, or the marketplace's own words), most frequent
    first: (what to filter on, the cause in the reader's language, how many SKUs)."""
    # A SKU keeps a last error only while one of its states is "error": those rows alone, through their indexes.
    in_error = or_(SkuBinding.product_state == "error", SkuBinding.offer_state == "error")
    rows = scoped(SkuBinding, connector_key=key).filter(in_error, SkuBinding.last_error.isnot(None)) \
        .with_entities(SkuBinding.last_error, func.count()).group_by(SkuBinding.last_error) \
        .order_by(func.count().desc()).limit(CAUSES_SHOWN).all()
    return [(cause, cause_words(cause), count) for cause, count in rows]


def _reasons(key) -> list[tuple[str, str, int]]:
    """Why SKUs are not ready: (the reason's code, its words, its values left out, how many SKUs)."""
    return [(code, cause_words(words), count) for code, words, count in readiness.reasons(g.tenant, key)]


def last_reconciliation(key) -> Reconciliation | None:
    return scoped(Reconciliation, connector_key=key).order_by(Reconciliation.started_at.desc()).first()


def may_reconcile(key) -> bool:
    """A full export of the offers is allowed once a day: none running, the last one a day ago or more."""
    last = last_reconciliation(key)
    return last is None or (last.status != "exporting" and last.started_at <= utcnow() - timedelta(days=1))


@bp.post("/reconcile")
def reconcile():
    key = request.form.get("connector", "")
    if key not in configured_connectors():
        abort(404)
    if may_reconcile(key):
        run_soon("reconcile", g.tenant.id, key)
        flash(_("The reconciliation starts in a few seconds; its result shows here when the marketplace's export "
                "is ready."), "success")
    else:
        flash(_("The marketplace allows one full export of the offers a day: the next reconciliation can start a "
                "day after the last one."), "error")
    return redirect(url_for("catalog.index", connector=key))


@bp.route("/paths", methods=["GET", "POST"])
def paths():
    """The order paths of one marketplace: each shipping type × region, served or why not; the reference CEPs
    editable."""
    keys = configured_connectors()
    key = request.values.get("connector") if request.values.get("connector") in keys else (keys[0] if keys else None)
    row = load_settings(g.tenant, key) if key else None
    if row is None:
        abort(404)
    cls = get_connector_class(key)
    if request.method == "POST":
        ceps = {region: "".join(ch for ch in request.form.get(region, "") if ch.isdigit())
                for region in order_paths.REGIONS}
        wrong = [region for region, cep in ceps.items() if len(cep) != 8]
        if wrong:
            flash(_("A CEP has 8 digits: check %(regions)s.", regions=", ".join(wrong)), "error")
        else:
            save_settings(g.tenant, key, active=row.active, settings={**row.settings, "reference_ceps": ceps},
                          secrets=row.secrets, user=current_user)
            flash(_("Reference CEPs saved."), "success")
            return redirect(url_for("catalog.paths", connector=key))
    types = cls.shipping_types_for(row.settings)
    skus = order_paths.sample_skus(g.tenant, key)
    found = order_paths.check(g.tenant, row.connector_key, row.settings, types, skus) if skus else {}
    return render_template("catalog/paths.html", connector=cls, types=types, skus=skus, paths=found,
                           ceps=order_paths.reference_ceps(row.settings))


@bp.post("/resend")
def resend():
    """The selected SKUs, or every SKU of one cause or one readiness reason (once it is fixed)."""
    cause, reason, key = (request.form.get(name, "") for name in ("cause", "reason", "connector"))
    skus = scoped(SkuBinding, connector_key=key) if key in configured_connectors() else None
    if skus is not None and cause:
        skus = _filtered(skus, "", "", cause, "").filter(
            or_(SkuBinding.product_state == "error", SkuBinding.offer_state == "error"))
    elif skus is not None and REASON_CODE.fullmatch(reason):
        skus = _filtered(skus, "", "", "", "", reason)
    else:
        skus = None
    if skus is None:
        resend_selected(request.form.getlist("sku"))
    else:
        resend_selected([sku for sku, in skus.with_entities(SkuBinding.sku_id).limit(RESEND_LIMIT)])
    return redirect(safe_next(request.form.get("back")) or url_for("catalog.index"))


def resend_selected(typed) -> None:
    """Send these SKUs again in full (product where not listed, price and stock) at the next tick, and say so."""
    skus = sorted({s.strip() for s in typed if vtex.is_sku_id(s.strip())})
    if not skus:
        flash(_("Select at least one SKU."), "error")
    else:
        sku_changes.record(g.tenant.id, [sku_changes.Change.everything(s) for s in skus])
        run_soon("sync", g.tenant.id)
        flash(ngettext("%(num)d SKU goes again to the active marketplaces in the next cycle.",
                       "%(num)d SKUs go again to the active marketplaces in the next cycle.", len(skus)), "success")
