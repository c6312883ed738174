"""Periodic work: one tick per kind fans out to one job per due (tenant, connector).

The scheduler fires ``tick(kind)`` every ``TICK_INTERVAL`` seconds. A tick claims each due schedule row with a
conditional UPDATE (only one tick can move a given ``next_run_at``), then enqueues that pair's job under an id unique
to the window. While the job runs it holds the lock of (kind, tenant, connector) (``saas.jobs.locks``: it dies with
its holder), so a slow run and the next one never overlap, and a killed run blocks nothing for longer than 30 s.
Each marketplace of a store has its own schedule, lock and state: neither waits for nor consumes the other's.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask import current_app
from rq import Retry
from rq.job import Job
from sqlalchemy import BigInteger, case, cast, select, update
from sqlalchemy.exc import IntegrityError

from saas import logs
from saas.extensions import db, redis_connection
from saas.jobs import locks
from saas.jobs.context import Integration, with_app_context
from saas.jobs.models import JobSchedule
from saas.jobs.queues import enqueue, enqueue_many, job
from saas.tenants.models import ConnectorSettings
from saas.tenants.settings import active_connectors
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
HAND_OUT = 100  # stores per hand-out job
PHASES = 60     # at most, per interval
KNUTH = 2654435761  # 2^32 divided by the golden ratio: consecutive ids land far apart


@dataclass(frozen=True)
class Periodic:
    kind: str
    func: Callable         # ``func(tenant, settings_row)``
    interval_setting: str  # config key holding the interval in seconds
    queue: str
    waits_first: bool = False  # a new store's first run comes one interval after it appears, not at once


# Every periodic job, declared where it is written (``@periodic``); the app imports those modules as it starts
# (``saas._import_jobs``), so every process knows them all.
PERIODIC: dict[str, Periodic] = {}


def periodic(kind: str, interval_setting: str, queue: str, *, waits_first: bool = False):
    """Declare ``func(tenant, settings_row)`` the job of ``kind``, run for every active (store, marketplace) every
    ``interval_setting`` seconds on ``queue``."""
    def declare(func):
        PERIODIC[kind] = Periodic(kind, func, interval_setting, queue, waits_first)
        return func
    return declare


def interval(periodic: Periodic) -> timedelta:
    return timedelta(seconds=current_app.config[periodic.interval_setting])


@with_app_context
def tick(kind: str) -> list[str]:
    """Enqueue the job of every active (tenant, connector) due for ``kind``; answer the ids of the jobs enqueued.

    In constant round trips whatever the number of stores: one UPDATE … RETURNING claims every due row (of two
    ticks at once, the second finds them no longer due) and puts each on its own phase of the interval, so stores
    claimed together do not stay in lockstep; one Redis pipeline queues the jobs, or, for more than ``HAND_OUT``
    stores, hand-out jobs of ``HAND_OUT`` each that the workers turn into the stores' jobs in parallel (RQ spends
    a quarter of a millisecond on each job it queues: 10,000 of them would hold the tick for seconds)."""
    periodic = PERIODIC[kind]
    now = utcnow()
    _add_missing_schedules(periodic, now)
    active = select(ConnectorSettings.id).where(ConnectorSettings.tenant_id == JobSchedule.tenant_id,
                                                ConnectorSettings.connector_key == JobSchedule.connector_key,
                                                ConnectorSettings.active.is_(True)).exists()
    claimed = db.session.execute(
        update(JobSchedule).where(JobSchedule.kind == kind, JobSchedule.next_run_at <= now, active)
        .values(next_run_at=_next_on_phase(now, interval(periodic)), last_enqueued_at=now)
        .returning(JobSchedule.tenant_id, JobSchedule.connector_key)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    window = int(now.timestamp())
    calls = [((kind, tenant_id, key), f"{kind}-{tenant_id}-{key}-{window}") for tenant_id, key in claimed]
    if len(calls) <= HAND_OUT:
        enqueue_many(run_periodic, calls, queue_name=periodic.queue)
    else:
        enqueue_many(hand_out, [((kind, calls[at:at + HAND_OUT]), f"hand-out-{kind}-{window}-{at}")
                                for at in range(0, len(calls), HAND_OUT)])
    return [job_id for _args, job_id in calls]


@job("default", 120, Retry(max=2, interval=[0, 10]))
def hand_out(kind: str, calls: list) -> int:
    """Queue the periodic jobs a tick claimed, but none that Redis already holds (queued, running or just done: this
    hand-out ran before, and its worker died); answer how many were queued."""
    with redis_connection().pipeline(transaction=False) as pipe:
        for _args, job_id in calls:
            pipe.exists(Job.key_for(job_id))
        held = pipe.execute()
    new = [(tuple(args), job_id) for (args, job_id), exists in zip(calls, held, strict=True) if not exists]
    enqueue_many(run_periodic, new, queue_name=PERIODIC[kind].queue)
    return len(new)


def _next_on_phase(now: datetime, every: timedelta):
    """Each row's next run, on its phase of the interval: a SQL expression, so one UPDATE sets them all. Jobs
    become due only at ticks, so the phases are the ticks of an interval (at most ``PHASES``)."""
    phases = max(1, min(PHASES, int(every.total_seconds() // current_app.config["TICK_INTERVAL"])))
    moments = {n: next_on_phase(now, every, n / phases) for n in range(phases)}
    return case(moments, value=phase_of(JobSchedule.id, phases))


def phase_of(row_id, phases: int):
    """Which of ``phases`` phases a schedule row falls on: a multiplicative hash of its id (stable, and spread
    evenly over consecutive ids), in integer arithmetic that PostgreSQL and SQLite compute alike."""
    return cast(row_id, BigInteger) * KNUTH % 2 ** 32 * phases // 2 ** 32


def next_on_phase(now: datetime, every: timedelta, fraction: float) -> datetime:
    """The first moment after ``now`` (naive UTC; at most one interval later) that falls on the phase
    ``fraction``."""
    seconds = every.total_seconds()
    offset = fraction * seconds
    elapsed = (now.replace(tzinfo=timezone.utc).timestamp() - offset) % seconds
    return now + timedelta(seconds=seconds - elapsed)


def _add_missing_schedules(periodic: Periodic, now) -> None:
    missing = db.session.execute(
        select(ConnectorSettings.tenant_id, ConnectorSettings.connector_key)
        .outerjoin(JobSchedule, (JobSchedule.tenant_id == ConnectorSettings.tenant_id) &
                   (JobSchedule.connector_key == ConnectorSettings.connector_key) &
                   (JobSchedule.kind == periodic.kind))
        .where(ConnectorSettings.active.is_(True), JobSchedule.id.is_(None))).all()
    first = now + interval(periodic) if periodic.waits_first else now
    for tenant_id, connector_key in missing:
        try:
            db.session.add(JobSchedule(tenant_id=tenant_id, connector_key=connector_key, kind=periodic.kind,
                                       next_run_at=first))
            db.session.commit()
        except IntegrityError:  # a concurrent tick added it
            db.session.rollback()


def run_soon(kind: str, tenant_id: int, connector_key: str | None = None) -> None:
    """Make the job of ``kind`` due at the next tick for one of the tenant's connectors, or for each active one
    (after activation, a resend or a reprocess request)."""
    now = utcnow()
    keys = [connector_key] if connector_key else active_connectors(tenant_id)
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


def hurry(kind: str, tenant_id: int, at: datetime, connector_key: str | None = None, *, exactly=False) -> None:
    """Make the job of ``kind`` due by ``at`` for one of the tenant's connectors (or all), unless it is due sooner
    already: many calls (a burst of notifications) write once, and coalesce into one run. ``exactly``: due at
    ``at``, neither sooner nor later (what the marketplace's limits allow)."""
    where = [JobSchedule.tenant_id == tenant_id, JobSchedule.kind == kind,
             JobSchedule.next_run_at != at if exactly else JobSchedule.next_run_at > at]
    if connector_key:
        where.append(JobSchedule.connector_key == connector_key)
    if db.session.execute(update(JobSchedule).where(*where).values(next_run_at=at)
                          .execution_options(synchronize_session=False)).rowcount:
        db.session.commit()


def run_at(kind: str, tenant_id: int, connector_key: str, at: datetime) -> None:
    """Run the job of ``kind`` at ``at`` exactly (when the marketplace's limits allow it): a delayed job fires then,
    rather than at the first tick after, and the schedule is due then too, should Redis lose the job."""
    hurry(kind, tenant_id, at, connector_key, exactly=True)
    job_id = f"{kind}-{tenant_id}-{connector_key}-at-{int(at.timestamp())}"
    enqueue(run_periodic, kind, tenant_id, connector_key, queue_name=PERIODIC[kind].queue,
            delay=max(at - utcnow(), timedelta()), job_id=job_id)


@job("default", 3600, Retry(max=2, interval=[0, 120]), tenant_arg=1, integration=True)
def run_periodic(kind: str, integration: Integration, look_again: bool = True, part: str | None = None):
    """One (tenant, connector)'s periodic job: nothing when the integration is off, never two at once for a pair.

    A run that finds the lock taken looks once more when the lock would have expired: the holder may be a worker
    killed a moment ago, whose lock outlives it by up to ``locks.TTL`` seconds. A run that did one part of a big job
    (its result says ``more``) queues the next part behind what is already queued (``part``: see ``_next_part``)."""
    periodic = PERIODIC[kind]
    tenant, row = integration.tenant, integration.row
    tenant_id, connector_key = tenant.id, row.connector_key
    if part:
        _take_marker(kind, tenant_id, connector_key, part)
    with logs.context(tenant=tenant_id), locks.hold(f"saas:lock:{kind}:{tenant_id}:{connector_key}") as held:
        if not held:
            log.info("%s skipped: the previous run is still going", kind)
            if look_again:
                enqueue(run_periodic, kind, tenant_id, connector_key, False,
                        queue_name=periodic.queue, delay=timedelta(seconds=locks.TTL))
            return None
        result = periodic.func(tenant, row)
    if isinstance(result, dict) and result.get("more"):
        _next_part(periodic, tenant_id, connector_key)
    return result


def _part_marker(kind: str, tenant_id: int, connector_key: str) -> str:
    return f"saas:next-part:{kind}:{tenant_id}:{connector_key}"


def _next_part(periodic: Periodic, tenant_id: int, connector_key: str) -> None:
    """Queue the run of the next part, unless one is queued already: the marker names the queued run, which takes it
    down when it starts, so a tick's run between two parts (or a marker expired while its run waited in a long
    queue) never starts a second chain of parts for the same pair."""
    part = uuid.uuid4().hex
    if redis_connection().set(_part_marker(periodic.kind, tenant_id, connector_key), part, nx=True, ex=3600):
        enqueue(run_periodic, periodic.kind, tenant_id, connector_key, True, part, queue_name=periodic.queue,
                job_id=f"{periodic.kind}-{tenant_id}-{connector_key}-part-{part}")


# Compare and delete in one step: a run of a chain that lost the marker must not take down the current one's.
DELETE_IF_MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def _take_marker(kind: str, tenant_id: int, connector_key: str, part: str) -> None:
    redis_connection().eval(DELETE_IF_MINE, 1, _part_marker(kind, tenant_id, connector_key), part)
