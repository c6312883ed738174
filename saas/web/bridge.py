"""The Bridge screens: a tab per entity, a status filter, search by SKU or order id, paging, an entry's detail."""
from datetime import timedelta

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import func

from saas.bridge.models import ENTITIES, ENTITY_LABELS, STATUS_LABELS, STATUSES, BridgeEntry
from saas.catalog.models import SkuBinding
from saas.connectors import get_connector_class, registry
from saas.extensions import db
from saas.i18n import cause_words
from saas.tenants.scoping import get_scoped_or_404, scoped
from saas.tenants.settings import configured_connectors
from saas.timeutil import utcnow
from saas.web.catalog import resend_selected
from saas.web.causes import CATALOG_SETTINGS, started_after
from saas.web.inputs import page_number
from saas.web.tenant_context import attach_tenant

bp = Blueprint("bridge", __name__, url_prefix="/t/<slug>/bridge")
attach_tenant(bp)
PAGE_SIZE = 50
COUNT_CAP = 10_000
CATALOG_ENTITIES = ("product", "price", "inventory")
CAUSES_WINDOW = timedelta(days=1)
CAUSES_SHOWN = 10


@bp.get("/")
def index():
    return redirect(url_for("bridge.entries", entity="product"))


@bp.get("/<entity>")
def entries(entity):
    if entity not in ENTITIES:
        abort(404)
    status = request.args.get("status", "")
    search = request.args.get("q", "").strip()
    keys = configured_connectors()
    connector = request.args.get("connector", "") if request.args.get("connector") in keys else ""
    page = page_number()
    query = scoped(BridgeEntry).filter(BridgeEntry.entity == entity)
    if connector:
        query = query.filter(BridgeEntry.connector_key == connector)
    if status in STATUSES:
        query = query.filter(BridgeEntry.status == status)
    if search:
        query = query.filter(BridgeEntry.entity_id == search)
    causes = _causes(query)
    cause = request.args.get("cause", "")
    if cause:
        query = query.filter(BridgeEntry.status == "error", BridgeEntry.message == cause)
    # Counted up to a cap: an exact count of a million rows costs more than the page; past the cap, search.
    total = db.session.query(func.count()).select_from(query.with_entities(BridgeEntry.id).limit(COUNT_CAP + 1)
                                                       .subquery()).scalar()
    page = min(page, -(-min(total, COUNT_CAP) // PAGE_SIZE) or 1)
    rows = query.order_by(BridgeEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all()
    titles = _titles({r.entity_id for r in rows}) if entity in CATALOG_ENTITIES else {}
    return render_template("bridge/entries.html", entity=entity, rows=rows, status=status, search=search, page=page,
                           titles=titles,
                           pages=max(1, -(-min(total, COUNT_CAP) // PAGE_SIZE)), total=min(total, COUNT_CAP),
                           more=total > COUNT_CAP, tabs=ENTITY_LABELS,
                           statuses=STATUS_LABELS, connector=connector, marketplaces=marketplace_names(keys),
                           resendable=entity in CATALOG_ENTITIES and g.membership.can_edit, causes=causes,
                           cause=cause)


def _causes(query) -> list[tuple[str, str, int, str | None]]:
    """The errors of the last day by cause (their message, its values left out): (the cause, in the reader's
    words, how many SKUs or orders, the settings change just before it started), most frequent first."""
    since = utcnow() - CAUSES_WINDOW
    hit = func.count(func.distinct(BridgeEntry.entity_id))
    rows = query.filter(BridgeEntry.status == "error", BridgeEntry.created_at >= since) \
        .with_entities(BridgeEntry.message, hit, func.min(BridgeEntry.created_at)) \
        .group_by(BridgeEntry.message).order_by(hit.desc()).limit(CAUSES_SHOWN).all()
    return [(key, cause_words(key), count, started_after(first, CATALOG_SETTINGS)) for key, count, first in rows]


def marketplace_names(keys=None) -> dict[str, str]:
    """Each of the store's marketplaces by its name, when there is more than one to tell apart."""
    keys = configured_connectors() if keys is None else keys
    return {key: get_connector_class(key).name for key in keys} if len(keys) > 1 else {}


def _titles(sku_ids) -> dict:
    """Each SKU's product name, as the marketplace was sent it."""
    return dict(scoped(SkuBinding).filter(SkuBinding.connector_key.in_(list(registry())),  # the unique index
                                          SkuBinding.sku_id.in_(sku_ids), SkuBinding.title.isnot(None))
                .with_entities(SkuBinding.sku_id, SkuBinding.title).all()) if sku_ids else {}


@bp.get("/entry/<int:entry_id>")
def entry(entry_id):
    row = get_scoped_or_404(BridgeEntry, entry_id)
    history = scoped(BridgeEntry).filter(BridgeEntry.entity == row.entity, BridgeEntry.entity_id == row.entity_id) \
        .order_by(BridgeEntry.id.desc()).limit(50).all()
    titles = _titles({row.entity_id}) if row.entity in CATALOG_ENTITIES else {}
    return render_template("bridge/entry.html", row=row, history=history, tabs=ENTITY_LABELS, titles=titles,
                           marketplaces=marketplace_names())


@bp.post("/resend")
def resend():
    """The SKUs ticked or typed (comma-separated) go again, as from the Catálogo."""
    resend_selected(request.form.getlist("sku") + request.form.get("skus", "").split(","))
    entity = request.form.get("entity")
    return redirect(url_for("bridge.entries", entity=entity if entity in CATALOG_ENTITIES else "product"))
