"""The tick's fan-out (issue: fresh within a minute, fair across a thousand stores): ``tick("sync")`` with 1,000 and
10,000 due (store, marketplace) pairs, against the implementation a competent engineer writes first, measured in the
same run on the same rows: one UPDATE … RETURNING that claims every due row, one COMMIT, then a plain loop of RQ
enqueues. Targets: 1,000 due in under 100 ms, 10,000 in under 1 s, for the tick; the time until every job is
queued (the hand-outs run one after the other) is printed beside it. ``BENCH_DATABASE_URL`` (PostgreSQL)
as for the orders benchmark; SQLite otherwise."""
import os
import tempfile
import time
from pathlib import Path

from bench import harness

SIZES = tuple(int(n) for n in os.environ.get("BENCH_FANOUT_SIZES", "1000,10000").split(","))
TARGETS = {1000: 0.1, 10000: 1.0}


def run():
    database = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL", "").startswith("postgresql") else "SQLite"
    print(f"tick('sync') fan-out, {database} and Redis on this machine ({os.cpu_count()} cores):")
    results = {}
    for size in SIZES:
        ours, _ = harness.in_child(fan_out, size, "ours")
        base, _ = harness.in_child(fan_out, size, "baseline")
        target = TARGETS.get(size)
        verdict = "" if target is None else (f"target < {target * 1000:.0f} ms: "
                                             f"{'met' if ours['seconds'] < target else 'NOT met'}")
        print(f"  {size:>6,} due: tick {ours['seconds'] * 1000:6.0f} ms, every job queued "
              f"{ours['all_queued'] * 1000:6.0f} ms (the hand-outs run in turn; {ours['jobs']:,} jobs); "
              f"baseline (one claim, then an enqueue a job) {base['seconds'] * 1000:7.0f} ms, "
              f"{base['seconds'] / ours['seconds']:.1f}× the tick, {base['seconds'] / ours['all_queued']:.1f}× every "
              f"job queued — tick {verdict}")
        results[size] = ours, base
    largest = max(results)
    ours, base = results[largest]
    harness.summary("fanout", f"{largest:,} due: tick {ours['seconds'] * 1000:.0f} ms, every job queued "
                    f"{ours['all_queued'] * 1000:.0f} ms", f"{base['seconds'] * 1000:.0f} ms")


def fan_out(size: int, variant: str) -> dict:
    from saas.extensions import db
    from saas.jobs import schedule
    from saas.jobs.queues import queue
    with tempfile.TemporaryDirectory() as tmp:
        app = harness.make_app(Path(tmp))
        with app.app_context():
            fan = schedule.tick if variant == "ours" else _one_claim_then_enqueue
            fan("sync")  # warm: the scheduler ticks every few seconds, its statements compiled, its connections open
            _stores(size)
            started = time.perf_counter()
            jobs = fan("sync")
            seconds = time.perf_counter() - started
            for hand_out in queue("default").jobs:
                hand_out.perform()
            all_queued = time.perf_counter() - started
            assert len(jobs) == size == queue("sync").count, (len(jobs), size)
            db.session.remove()
    return {"seconds": seconds, "all_queued": all_queued, "jobs": len(jobs)}


def _stores(size: int) -> None:
    """``size`` tenants with Carrefour active, each due for its sync now."""
    from saas.extensions import db
    from saas.jobs.models import JobSchedule
    from saas.tenants.models import ConnectorSettings, Tenant
    from saas.timeutil import utcnow
    now = utcnow()
    db.session.execute(Tenant.__table__.insert(), [
        {"id": n, "slug": f"loja-{n}", "name": f"Loja {n}", "vtex_account": f"loja{n}", "secrets": {},
         "created_at": now} for n in range(1, size + 1)])
    db.session.execute(ConnectorSettings.__table__.insert(), [
        {"tenant_id": n, "connector_key": "carrefour", "active": True, "settings": {}, "secrets": {},
         "updated_at": now} for n in range(1, size + 1)])
    db.session.execute(JobSchedule.__table__.insert(), [
        {"tenant_id": n, "connector_key": "carrefour", "kind": "sync", "next_run_at": now}
        for n in range(1, size + 1)])
    db.session.commit()


def _one_claim_then_enqueue(kind: str) -> list[str]:
    """The fan-out a competent engineer writes: one statement claims every due row (moving it to its next run) and
    answers them, one commit, then a plain loop enqueues a job each."""
    from sqlalchemy import and_, exists, update

    from saas.extensions import db
    from saas.jobs.models import JobSchedule
    from saas.jobs.queues import enqueue
    from saas.jobs.schedule import PERIODIC, interval, run_periodic
    from saas.tenants.models import ConnectorSettings
    from saas.timeutil import utcnow
    periodic, now = PERIODIC[kind], utcnow()
    active = exists().where(and_(ConnectorSettings.tenant_id == JobSchedule.tenant_id,
                                 ConnectorSettings.connector_key == JobSchedule.connector_key,
                                 ConnectorSettings.active.is_(True)))
    claimed = db.session.execute(
        update(JobSchedule).where(JobSchedule.kind == kind, JobSchedule.next_run_at <= now, active)
        .values(next_run_at=now + interval(periodic), last_enqueued_at=now)
        .returning(JobSchedule.tenant_id, JobSchedule.connector_key)).all()
    db.session.commit()
    enqueued = []
    for tenant_id, key in claimed:
        job_id = f"{kind}-{tenant_id}-{key}-{int(now.timestamp())}"
        enqueue(run_periodic, kind, tenant_id, key, queue_name=periodic.queue, job_id=job_id)
        enqueued.append(job_id)
    return enqueued
