from saas.extensions import db
from saas.timeutil import utcnow


class ContingencyTable(db.Model):
    """A store's shipping table for a marketplace's fallback, built from VTEX simulations (``saas.freight
    .contingency``): its progress while it builds, then its rows."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    status = db.Column(db.String(10), nullable=False, default="building")  # building | done | failed
    done = db.Column(db.Integer, nullable=False, default=0)    # simulations made
    total = db.Column(db.Integer, nullable=False, default=0)
    rows = db.Column(db.JSON, nullable=False, default=list)
    samples = db.Column(db.JSON, nullable=False, default=dict)  # the SKU quoted for each weight band, and why none
    error = db.Column(db.Text)
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    finished_at = db.Column(db.DateTime)

    __table_args__ = (db.Index("ix_contingency_table_tenant_connector_started", "tenant_id", "connector_key",
                               "started_at"),)
