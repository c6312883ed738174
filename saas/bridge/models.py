from saas.extensions import db
from saas.i18n import N_, Words, render
from saas.timeutil import utcnow

ENTITY_LABELS = Words(product=N_("Products"), price=N_("Prices"), inventory=N_("Stock"), order=N_("Orders"),
                      tracking=N_("Tracking"), integration=N_("Integration"))
STATUS_LABELS = Words(success=N_("success"), warning=N_("warning"), error=N_("error"), pending=N_("pending"))
ENTITIES, STATUSES = tuple(ENTITY_LABELS), tuple(STATUS_LABELS)


class BridgeEntry(db.Model):
    """One line of a tenant's activity log: what happened to one product, price, stock, order or event."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40))  # None: the store's own (VTEX's hook), no marketplace's
    entity = db.Column(db.String(20), nullable=False)
    entity_id = db.Column(db.String(80), nullable=False)
    status = db.Column(db.String(10), nullable=False)
    message = db.Column(db.Text, nullable=False, default="")  # English source of the message (see saas.i18n)
    message_params = db.Column(db.JSON)
    details = db.Column(db.JSON, nullable=False, default=dict)
    attempt = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def text(self) -> str:
        """The message in the reader's language."""
        return render(self.message, self.message_params)

    __table_args__ = (
        db.Index("ix_bridge_entry_tenant_entity_time", "tenant_id", "entity", "created_at"),
        db.Index("ix_bridge_entry_tenant_entity_id", "tenant_id", "entity_id"),
        db.Index("ix_bridge_entry_tenant_entity_newest", "tenant_id", "entity", "id"),
        db.Index("ix_bridge_entry_tenant_entity_status_newest", "tenant_id", "entity", "status", "id"),
        db.Index("ix_bridge_entry_tenant_connector_entity_newest", "tenant_id", "connector_key", "entity", "id"),
        # The newest of a tenant by time: ordered by id, PostgreSQL walks the primary key back through every other
        # tenant's newer rows.
        db.Index("ix_bridge_entry_tenant_newest", "tenant_id", "created_at", "id"),
        db.Index("ix_bridge_entry_created_at", "created_at"),  # the retention's pruning
    )
