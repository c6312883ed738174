"""Periodic work: one tick per kind fans out to one job per due tenant.

The scheduler fires ``tick(kind)`` every ``TICK_INTERVAL`` seconds. A tick claims each due tenant's schedule row with
a conditional UPDATE (only one tick can move a given ``next_run_at``), then enqueues that tenant's job under an id
unique to the window. While the job runs it holds the lock of (kind, tenant) (``saas.jobs.locks``: it dies with its
holder), so a slow run and the next one never overlap, and a killed run blocks nothing for longer than 30 seconds.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from saas import logs
from saas.extensions import db
from saas.jobs import locks
from saas.jobs.context import with_app_context
from saas.jobs.models import JobSchedule
from saas.jobs.queues import enqueue
from saas.tenants.models import ConnectorSettings, Tenant
from saas.tenants.scoping import scoped
from saas.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    kind: str
    func: str              # dotted path of ``func(tenant, settings_row)``
    interval_setting: str  # config key holding the interval in seconds
    queue: str
    connector: str = "carrefour"


PERIODIC = {
    p.kind: p for p in (
        Periodic("credentials", "saas.jobs.credentials.check_credentials", "CREDENTIALS_CHECK_INTERVAL", "default"),
        Periodic("sync", "saas.catalog.sync.sync_catalog", "SYNC_INTERVAL", "sync"),
        Periodic("orders", "saas.orders.polling.poll_orders", "ORDERS_INTERVAL", "orders"),
    )
}


def interval(periodic: Periodic) -> timedelta:
    return timedelta(seconds=current_app.config[periodic.interval_setting])


@with_app_context
def tick(kind: str) -> list[str]:
    """Enqueue the job of every tenant due for ``kind``; answer the ids of the jobs enqueued."""
    periodic = PERIODIC[kind]
    now = utcnow()
    _add_missing_schedules(periodic, now)
    due = db.session.execute(
        select(JobSchedule.id, JobSchedule.tenant_id, JobSchedule.next_run_at)
        .join(ConnectorSettings, ConnectorSettings.tenant_id == JobSchedule.tenant_id)
        .where(JobSchedule.kind == kind, JobSchedule.next_run_at <= now,
               ConnectorSettings.connector_key == periodic.connector, ConnectorSettings.active.is_(True))
    ).all()
    enqueued = []
    for schedule_id, tenant_id, next_run_at in due:
        claimed = db.session.execute(
            update(JobSchedule).where(JobSchedule.id == schedule_id, JobSchedule.next_run_at == next_run_at)
            .values(next_run_at=now + interval(periodic), last_enqueued_at=now)).rowcount
        db.session.commit()
        if not claimed:
            continue  # another tick took this window
        job_id = f"{kind}-{tenant_id}-{int(next_run_at.timestamp())}"
        enqueue("saas.jobs.schedule.run_periodic", kind, tenant_id, queue_name=periodic.queue, job_id=job_id)
        enqueued.append(job_id)
    return enqueued


def _add_missing_schedules(periodic: Periodic, now) -> None:
    missing = db.session.scalars(
        select(ConnectorSettings.tenant_id)
        .outerjoin(JobSchedule, (JobSchedule.tenant_id == ConnectorSettings.tenant_id) &
                   (JobSchedule.kind == periodic.kind))
        .where(ConnectorSettings.connector_key == periodic.connector, ConnectorSettings.active.is_(True),
               JobSchedule.id.is_(None))).all()
    for tenant_id in missing:
        try:
            db.session.add(JobSchedule(tenant_id=tenant_id, kind=periodic.kind, next_run_at=now))
            db.session.commit()
        except IntegrityError:  # a concurrent tick added it
            db.session.rollback()


def run_soon(kind: str, tenant_id: int) -> None:
    """Make a tenant's job of ``kind`` due at the next tick (after activation or a reprocess request)."""
    now = utcnow()
    moved = db.session.execute(update(JobSchedule).where(JobSchedule.tenant_id == tenant_id, JobSchedule.kind == kind)
                               .values(next_run_at=now)).rowcount
    if not moved:
        try:
            db.session.add(JobSchedule(tenant_id=tenant_id, kind=kind, next_run_at=now))
            db.session.commit()
        except IntegrityError:  # a tick created the row meanwhile: it is due at once anyway
            db.session.rollback()
        return
    db.session.commit()


@with_app_context
def run_periodic(kind: str, tenant_id: int, look_again: bool = True):
    """One tenant's periodic job: nothing when the integration is off, never two at once for a tenant.

    A run that finds the lock taken looks once more when the lock would have expired: the holder may be a worker
    killed a moment ago, whose lock outlives it by up to ``locks.TTL`` seconds."""
    periodic = PERIODIC[kind]
    tenant = db.session.get(Tenant, tenant_id)
    row = tenant and scoped(ConnectorSettings, tenant).filter(
        ConnectorSettings.connector_key == periodic.connector).first()
    if row is None or not row.active:
        log.info("%s skipped: integration inactive", kind, extra={"tenant": tenant_id})
        return None
    with logs.context(tenant=tenant_id), locks.hold(f"saas:lock:{kind}:{tenant_id}") as held:
        if not held:
            log.info("%s skipped: the previous run is still going", kind)
            if look_again:
                enqueue("saas.jobs.schedule.run_periodic", kind, tenant_id, False, queue_name=periodic.queue,
                        delay=timedelta(seconds=locks.TTL))
            return None
        module, _, name = periodic.func.rpartition(".")
        func = getattr(__import__(module, fromlist=[name]), name)
        return func(tenant, row)
