from sqlalchemy import event

from saas.extensions import db
from saas.i18n import N_, Words
from saas.text import SEARCH_TEXT_LENGTH, search_text
from saas.timeutil import utcnow

# What the marketplace holds of a SKU, in the merchant's words.
PRODUCT_STATES = Words(none=N_("not sent"), not_ready=N_("not ready"), sent=N_("sent, awaiting the report"),
                       pending=N_("awaiting approval"), listed=N_("listed"), error=N_("error"))
OFFER_STATES = Words(none=N_("no offer"), sent=N_("sent, awaiting the report"), live=N_("active"),
                     withdrawing=N_("being withdrawn"), withdrawn=N_("withdrawn"), error=N_("error"))
STATE_COLOURS = {"listed": "success", "live": "success", "error": "error", "pending": "warning", "sent": "pending",
                 "not_ready": "warning", "withdrawing": "pending", "withdrawn": "muted", "none": "muted"}


class SkuChange(db.Model):
    """A pending change of one SKU for one of the store's marketplaces, as VTEX notified it (each active connector
    gets its own copy, taken by its own sync); a later notification of the same SKU merges into it.

    ``version`` grows with every merge, so the sync job deletes only the change it read, never one that arrived
    while it was working.
    """

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    sku_id = db.Column(db.String(40), nullable=False)
    catalog_modified = db.Column(db.Boolean, nullable=False, default=False)
    price_modified = db.Column(db.Boolean, nullable=False, default=False)
    stock_modified = db.Column(db.Boolean, nullable=False, default=False)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    removed_from_affiliate = db.Column(db.Boolean, nullable=False, default=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", "sku_id",
                                          name="uq_sku_change_tenant_connector_sku"),)


class SkuBinding(db.Model):
    """What one marketplace holds of one VTEX SKU: product and offer state, the values last sent, and when."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    sku_id = db.Column(db.String(40), nullable=False)
    ean = db.Column(db.String(20))
    title = db.Column(db.String(255))
    # none → sent → pending (awaiting the marketplace's approval) → listed; or error; or not_ready (not sent)
    product_state = db.Column(db.String(12), nullable=False, default="none")
    # none → sent → live; withdrawn; error
    offer_state = db.Column(db.String(12), nullable=False, default="none")
    price_cents = db.Column(db.Integer)  # as sent, the rules applied
    quantity = db.Column(db.Integer)
    brand = db.Column(db.String(120))        # what price and stock rules target, as VTEX said it
    category_id = db.Column(db.String(40))
    vtex_price_cents = db.Column(db.Integer)  # VTEX's price before the rules
    price_rule = db.Column(db.JSON)          # the rule that made the price sent, if any
    held_price_cents = db.Column(db.Integer)  # a price the drop guard holds back (``held_reason``: zero | drop)
    held_reason = db.Column(db.String(10))
    approved_price_cents = db.Column(db.Integer)  # a held price the merchant let through
    readiness = db.Column(db.JSON)  # while not_ready, every reason: [{"code", "key", "params"}]
    safety = db.Column(db.JSON)  # the units the last offer held back and why (saas.catalog.safety), if any
    last_error = db.Column(db.Text)
    last_error_params = db.Column(db.JSON)
    product_sent_at = db.Column(db.DateTime)
    offer_sent_at = db.Column(db.DateTime)
    listed_at = db.Column(db.DateTime)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Name, brand, EAN and SKU folded for the Catálogo's search (saas.text.search_text), kept on every write.
    search_text = db.Column(db.String(SEARCH_TEXT_LENGTH), nullable=False, default="", server_default="")

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", "sku_id",
                                          name="uq_sku_binding_tenant_connector_sku"),
                      db.Index("ix_sku_binding_tenant_connector_product_state", "tenant_id", "connector_key",
                               "product_state"),
                      db.Index("ix_sku_binding_tenant_connector_offer_state", "tenant_id", "connector_key",
                               "offer_state"),
                      db.Index("ix_sku_binding_tenant_connector_updated", "tenant_id", "connector_key", "updated_at"),
                      db.Index("ix_sku_binding_tenant_connector_ean", "tenant_id", "connector_key", "ean"),
                      db.Index("ix_sku_binding_tenant_connector_held", "tenant_id", "connector_key",
                               "held_price_cents"),
                      # The Catálogo's search by parts of words, on PostgreSQL (pg_trgm; see below).
                      db.Index("ix_sku_binding_search_trgm", "search_text", postgresql_using="gin",
                               postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"))


def binding_search_text(values) -> str:
    """A binding's search text from its columns (a row being inserted in bulk, or the binding itself)."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return search_text(get("title"), get("brand"), get("ean"), get("sku_id"))


@event.listens_for(SkuBinding, "before_insert")
@event.listens_for(SkuBinding, "before_update")
def _keep_searchable(_mapper, _connection, binding) -> None:
    binding.search_text = binding_search_text(binding)



class ImportBatch(db.Model):
    """One file sent to the marketplace (products or offers) and what its import report said."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    kind = db.Column(db.String(10), nullable=False)  # product | offer
    import_id = db.Column(db.String(40), nullable=False)
    status = db.Column(db.String(12), nullable=False, default="sent")  # sent | complete | failed
    sku_ids = db.Column(db.JSON, nullable=False, default=list)
    summary = db.Column(db.JSON, nullable=False, default=dict)
    checks = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    changed_at = db.Column(db.DateTime)  # when the oldest change it carries reached us: the delay safety stock covers
    checked_at = db.Column(db.DateTime)
    next_check_at = db.Column(db.DateTime)  # while sent: when its report is read next; see the recovery sweep

    __table_args__ = (db.Index("ix_import_batch_tenant_connector_kind_time", "tenant_id", "connector_key", "kind",
                               "created_at"),
                      db.Index("ix_import_batch_status_next_check", "status", "next_check_at"))


class Reconciliation(db.Model):
    """One daily comparison of a marketplace's offers with VTEX, and the sweep of its recent paid orders: from the
    export asked of the marketplace to what was corrected (``summary``: counts, and up to 100 corrections)."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    status = db.Column(db.String(12), nullable=False, default="exporting")  # exporting | done | failed
    handle = db.Column(db.String(80))  # the marketplace's export id
    summary = db.Column(db.JSON, nullable=False, default=dict)
    error = db.Column(db.Text)
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    next_check_at = db.Column(db.DateTime)  # while exporting: when the export is looked at next (recovery sweep)
    finished_at = db.Column(db.DateTime)

    __table_args__ = (db.Index("ix_reconciliation_tenant_connector_started", "tenant_id", "connector_key",
                               "started_at"),)


class StagedProduct(db.Model):
    """A SKU's VTEX context read ahead for a product file too big for one run of the sync (``saas.catalog.staging``),
    and its price and stock for the offer file that goes with it: kept until the files have gone. ``missing``: VTEX
    has no such SKU, and why; ``priced``: the simulation answered (its price is null when VTEX does not sell it)."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    sku_id = db.Column(db.String(40), nullable=False)
    context = db.Column(db.JSON)
    missing = db.Column(db.Text)
    priced = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    price_cents = db.Column(db.Integer)
    quantity = db.Column(db.Integer)
    list_price_cents = db.Column(db.Integer)
    staged_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", "sku_id",
                                          name="uq_staged_product_tenant_connector_sku"),)


class Promotion(db.Model):
    """A VTEX promotion as one store's marketplace follows it (``saas.catalog.promotions``): VTEX notifies nothing
    when a promotion starts or ends, so its offers are sent again at each boundary. ``scope``: the SKUs, brands
    (by name), products, categories and collections it lists (``all`` when it cannot be narrowed to SKUs), and its
    trade policies; ``begin_handled_at`` / ``end_handled_at``: when its boundary's offers were queued again."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    vtex_id = db.Column(db.String(64), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=False)
    begins_at = db.Column(db.DateTime)
    ends_at = db.Column(db.DateTime)
    discount = db.Column(db.JSON, nullable=False, default=dict)  # {"type": "percentual" | "nominal", "value": …}
    scope = db.Column(db.JSON, nullable=False, default=dict)
    modified = db.Column(db.String(40))  # VTEX's lastModified: the detail is read again when it moves
    begin_handled_at = db.Column(db.DateTime)
    end_handled_at = db.Column(db.DateTime)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", "vtex_id",
                                          name="uq_promotion_tenant_connector_vtex"),)


class DriftTally(db.Model):
    """Per store, marketplace, Brasília day and path: how many SKUs were checked against VTEX and how many were found
    to differ (and sent again). Paths: ``promotion`` (a boundary's scope, sent again), ``reread`` (read again after
    a notification), ``rolling`` (the rolling re-read), ``reconcile`` (the daily comparison with the marketplace)."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    day = db.Column(db.String(10), nullable=False)  # YYYY-MM-DD, Brasília
    path = db.Column(db.String(12), nullable=False)
    checked = db.Column(db.Integer, nullable=False, default=0)
    found = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", "day", "path",
                                          name="uq_drift_tally_tenant_connector_day_path"),)
