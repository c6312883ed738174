from saas.extensions import db
from saas.i18n import N_, Words
from saas.text import SEARCH_TEXT_LENGTH
from saas.timeutil import utcnow

# Our status of a marketplace order, from first sight to VTEX, in the merchant's words.
STATUS_LABELS = Words(new=N_("new"), awaiting_decision=N_("awaiting your decision"), accepted=N_("accepted"),
                      refused=N_("refused"), waiting_payment=N_("awaiting payment"), importing=N_("importing"),
                      imported=N_("integrated"), failed=N_("failed"), cancelled=N_("cancelled"),
                      before_connection=N_("accepted before this store connected"))
STATUSES = tuple(STATUS_LABELS)
# Why orders fail, as the Orders tab groups them (``CheckFailed.cause``), and what fixes each cause.
CAUSES = Words(sku_not_found=N_("SKU missing at VTEX"), out_of_stock=N_("out of stock at VTEX"),
               shipping_unmapped=N_("shipping type without a carrier"),
               sla_unavailable=N_("carrier does not serve the CEP"), price_divergence=N_("price divergence"),
               vtex_unavailable=N_("VTEX unavailable"))
CAUSE_FIXES = Words(
    sku_not_found=N_("Create the SKU at VTEX, or correct the offer's SKU at the marketplace."),
    out_of_stock=N_("Restock the SKUs at VTEX, or cancel the orders at the marketplace."),
    shipping_unmapped=N_("Map the shipping type to a VTEX carrier in the marketplace's settings."),
    sla_unavailable=N_("Make the carrier serve those CEPs at VTEX, or map another carrier to the shipping type."),
    price_divergence=N_("Check the prices at VTEX, or raise the divergence tolerance in the settings."),
    vtex_unavailable=N_("Nothing to fix on your side: VTEX did not answer; reprocess once it is back."))
ATTEMPT_OUTCOMES = Words(running=N_("running"), imported=N_("integrated"), failed=N_("failed"))
EVENT_NAMES = Words(invoice=N_("invoice"), tracking=N_("tracking"), delivered=N_("delivery"),
                    cancel=N_("cancellation"))


class MarketplaceOrder(db.Model):
    """One marketplace order, stored once per tenant and marketplace id, with its raw payload and history."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    marketplace_order_id = db.Column(db.String(80), nullable=False)
    marketplace_state = db.Column(db.String(30), nullable=False)
    marketplace_updated_at = db.Column(db.String(40), nullable=False)  # as the marketplace wrote it
    status = db.Column(db.String(20), nullable=False, default="new")
    vtex_order_id = db.Column(db.String(100))
    vtex_status = db.Column(db.String(40))
    total_cents = db.Column(db.Integer, nullable=False, default=0)
    cause = db.Column(db.String(30))       # the code of the last failure: sku_not_found, out_of_stock, …
    message = db.Column(db.Text)            # its explanation for the merchant (see saas.i18n)
    message_params = db.Column(db.JSON)
    raw = db.Column(db.JSON, nullable=False, default=dict)
    history = db.Column(db.JSON, nullable=False, default=list)
    mailed_causes = db.Column(db.JSON, nullable=False, default=list)
    series = db.Column(db.Integer, nullable=False, default=0)  # a reprocess starts a new series of attempts
    divergence_allowed = db.Column(db.Float)  # a price divergence (%) the merchant accepted for this order only
    # When it came, VTEX had fewer units than the marketplace would have shown without the safety stock.
    safety_covered = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    series_started_at = db.Column(db.DateTime)
    # While importing: when the next attempt is due (or the current one began). The recovery sweep hands an order
    # whose attempt is long overdue, and whose lock nobody holds, back to the importer.
    next_attempt_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # The order number, the customer's name and CPF/CNPJ and the SKUs, folded for the Orders tab's search.
    search_text = db.Column(db.String(SEARCH_TEXT_LENGTH), nullable=False, default="", server_default="")

    attempts = db.relationship("OrderAttempt", back_populates="order", order_by="OrderAttempt.id",
                               cascade="all, delete-orphan")

    @property
    def retrying(self) -> bool:
        """An attempt failed and the automatic retries are still running."""
        return self.status == "importing" and self.cause is not None

    @property
    def can_reprocess(self) -> bool:
        """The merchant may start a new series now: after the retries gave up, or instead of waiting for them."""
        return self.status == "failed" or self.retrying

    __table_args__ = (
        # Two marketplaces of one store may number their orders alike: an order is one marketplace's.
        db.UniqueConstraint("tenant_id", "connector_key", "marketplace_order_id",
                            name="uq_marketplace_order_tenant_connector_mkt_id"),
        db.Index("ix_marketplace_order_tenant_status", "tenant_id", "status", "created_at"),
        db.Index("ix_marketplace_order_tenant_newest", "tenant_id", "id"),
        db.Index("ix_marketplace_order_tenant_created", "tenant_id", "created_at"),
        db.Index("ix_marketplace_order_status_next_attempt", "status", "next_attempt_at"),
        db.Index("ix_marketplace_order_search_trgm", "search_text", postgresql_using="gin",
                 postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        db.Index("ix_marketplace_order_vtex_trgm", "vtex_order_id", postgresql_using="gin",
                 postgresql_ops={"vtex_order_id": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )


class OrderAttempt(db.Model):
    """One attempt to import an order into VTEX: when, in which series, and how it ended."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    order_id = db.Column(db.Integer, db.ForeignKey("marketplace_order.id", ondelete="CASCADE"), nullable=False)
    series = db.Column(db.Integer, nullable=False)
    number = db.Column(db.Integer, nullable=False)  # 1 … 5 within the series
    outcome = db.Column(db.String(20), nullable=False, default="running")  # running | imported | failed
    cause = db.Column(db.String(30))
    message = db.Column(db.Text)
    message_params = db.Column(db.JSON)
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    finished_at = db.Column(db.DateTime)

    order = db.relationship("MarketplaceOrder", back_populates="attempts")

    __table_args__ = (db.Index("ix_order_attempt_tenant_order", "tenant_id", "order_id"),)


class OrderCursor(db.Model):
    """Where a tenant's order polling resumes: the newest marketplace update date it has seen."""

    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    connector_key = db.Column(db.String(40), primary_key=True)
    last_updated = db.Column(db.String(40), nullable=False)


class OrderEvent(db.Model):
    """Something VTEX told about an imported order (invoice, tracking, delivery, cancellation), stored before it is
    answered, once per (order, kind, key), and forwarded to the marketplace."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    order_id = db.Column(db.Integer, db.ForeignKey("marketplace_order.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(12), nullable=False)  # invoice | tracking | delivered | cancel
    key = db.Column(db.String(120), nullable=False)  # what makes two calls the same event
    source = db.Column(db.String(10), nullable=False, default="callback")  # callback | hook
    payload = db.Column(db.JSON, nullable=False, default=dict)
    status = db.Column(db.String(10), nullable=False, default="pending")  # pending | waiting | sent | failed
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    forwarded_at = db.Column(db.DateTime)
    next_attempt_at = db.Column(db.DateTime, default=utcnow)  # while pending or waiting; see the recovery sweep

    order = db.relationship("MarketplaceOrder")

    __table_args__ = (db.UniqueConstraint("tenant_id", "order_id", "kind", "key", name="uq_order_event_identity"),
                      db.Index("ix_order_event_tenant_status", "tenant_id", "status"),
                      db.Index("ix_order_event_status_next_attempt", "status", "next_attempt_at"))
