from saas.extensions import db
from saas.timeutil import utcnow

ENTITIES = ("product", "price", "inventory", "order", "tracking", "integration")
STATUSES = ("success", "warning", "error", "pending")


class BridgeEntry(db.Model):
    """One line of a tenant's activity log: what happened to one product, price, stock, order or event."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    entity = db.Column(db.String(20), nullable=False)
    entity_id = db.Column(db.String(80), nullable=False)
    status = db.Column(db.String(10), nullable=False)
    message = db.Column(db.Text, nullable=False, default="")
    details = db.Column(db.JSON, nullable=False, default=dict)
    attempt = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.Index("ix_bridge_entry_tenant_entity_time", "tenant_id", "entity", "created_at"),
        db.Index("ix_bridge_entry_tenant_entity_id", "tenant_id", "entity_id"),
    )
