"""Periodic work: one tick per kind fans out to one job per due (tenant, connector).

The scheduler fires ``tick(kind)`` every ``TICK_INTERVAL`` seconds. A tick claims each due schedule row with a
conditional UPDATE (only one tick can move a given ``next_run_at``), then enqueues that pair's job under an id unique
to the window. While the job runs it holds the lock of (kind, tenant, connector) (``saas.jobs.locks``: it dies with
its holder), so a slow run and the next one never overlap, and a killed run blocks nothing for longer than 30 s.
Each marketplace of a store has its own schedule, lock and state: neither waits for nor consumes the other's.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from rq import Retry
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from saas import logs
from saas.catalog import changes as sku_changes
from saas.extensions import db
from saas.jobs import locks
from saas.jobs.context import Integration, with_app_context
from saas.jobs.models import JobSchedule
from saas.jobs.queues import enqueue, job
from saas.tenants.models import ConnectorSettings
from saas.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    kind: str
    func: str              # dotted path of ``func(tenant, settings_row)``
    interval_setting: str  # config key holding the interval in seconds
    queue: str


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
    """Enqueue the job of every active (tenant, connector) due for ``kind``; answer the ids of the jobs enqueued."""
    periodic = PERIODIC[kind]
    now = utcnow()
    _add_missing_schedules(periodic, now)
    due = db.session.execute(
        select(JobSchedule.id, JobSchedule.tenant_id, JobSchedule.connector_key, JobSchedule.next_run_at)
        .join(ConnectorSettings, (ConnectorSettings.tenant_id == JobSchedule.tenant_id) &
              (ConnectorSettings.connector_key == JobSchedule.connector_key))
        .where(JobSchedule.kind == kind, JobSchedule.next_run_at <= now, ConnectorSettings.active.is_(True))
    ).all()
    enqueued = []
    for schedule_id, tenant_id, connector_key, next_run_at in due:
        claimed = db.session.execute(
            update(JobSchedule).where(JobSchedule.id == schedule_id, JobSchedule.next_run_at == next_run_at)
            .values(next_run_at=now + interval(periodic), last_enqueued_at=now)).rowcount
        db.session.commit()
        if not claimed:
            continue  # another tick took this window
        job_id = f"{kind}-{tenant_id}-{connector_key}-{int(next_run_at.timestamp())}"
        enqueue(run_periodic, kind, tenant_id, connector_key, queue_name=periodic.queue,
                job_id=job_id)
        enqueued.append(job_id)
    return enqueued


def _add_missing_schedules(periodic: Periodic, now) -> None:
    missing = db.session.execute(
        select(ConnectorSettings.tenant_id, ConnectorSettings.connector_key)
        .outerjoin(JobSchedule, (JobSchedule.tenant_id == ConnectorSettings.tenant_id) &
                   (JobSchedule.connector_key == ConnectorSettings.connector_key) &
                   (JobSchedule.kind == periodic.kind))
        .where(ConnectorSettings.active.is_(True), JobSchedule.id.is_(None))).all()
    for tenant_id, connector_key in missing:
        try:
            db.session.add(JobSchedule(tenant_id=tenant_id, connector_key=connector_key, kind=periodic.kind,
                                       next_run_at=now))
            db.session.commit()
        except IntegrityError:  # a concurrent tick added it
            db.session.rollback()


def run_soon(kind: str, tenant_id: int, connector_key: str | None = None) -> None:
    """Make the job of ``kind`` due at the next tick for one of the tenant's connectors, or for each active one
    (after activation, a resend or a reprocess request)."""
    now = utcnow()
    keys = [connector_key] if connector_key else sku_changes.active_connectors(tenant_id)
    for key in keys:
        moved = db.session.execute(update(JobSchedule).where(
            JobSchedule.tenant_id == tenant_id, JobSchedule.connector_key == key, JobSchedule.kind == kind)
            .values(next_run_at=now)).rowcount
        if moved:
            db.session.commit()
            continue
        try:
            db.session.add(JobSchedule(tenant_id=tenant_id, connector_key=key, kind=kind, next_run_at=now))
            db.session.commit()
        except IntegrityError:  # a tick created the row meanwhile: it is due at once anyway
            db.session.rollback()


@job("default", 3600, Retry(max=2, interval=[0, 120]), tenant_arg=1, integration=True)
def run_periodic(kind: str, integration: Integration, look_again: bool = True):
    """One (tenant, connector)'s periodic job: nothing when the integration is off, never two at once for a pair.

    A run that finds the lock taken looks once more when the lock would have expired: the holder may be a worker
    killed a moment ago, whose lock outlives it by up to ``locks.TTL`` seconds."""
    periodic = PERIODIC[kind]
    tenant, row = integration.tenant, integration.row
    tenant_id, connector_key = tenant.id, row.connector_key
    with logs.context(tenant=tenant_id), locks.hold(f"saas:lock:{kind}:{tenant_id}:{connector_key}") as held:
        if not held:
            log.info("%s skipped: the previous run is still going", kind)
            if look_again:
                enqueue(run_periodic, kind, tenant_id, connector_key, False,
                        queue_name=periodic.queue, delay=timedelta(seconds=locks.TTL))
            return None
        module, _, name = periodic.func.rpartition(".")
        func = getattr(__import__(module, fromlist=[name]), name)
        return func(tenant, row)
