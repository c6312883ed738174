from saas.extensions import db


class JobSchedule(db.Model):
    """When the periodic job of one kind runs next for a (tenant, connector); the tick claims a due row before
    enqueueing it."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    kind = db.Column(db.String(30), nullable=False)
    next_run_at = db.Column(db.DateTime, nullable=False)
    last_enqueued_at = db.Column(db.DateTime)

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", "kind",
                                          name="uq_job_schedule_tenant_connector_kind"),
                      db.Index("ix_job_schedule_kind_next", "kind", "next_run_at"))
