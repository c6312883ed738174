"""The tick and its fan-out on the real Redis, the per-tenant lock, and the daily credentials check."""
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue
from sqlalchemy import Integer, literal, select

from saas.bridge.models import BridgeEntry
from saas.extensions import redis_connection
from saas.jobs import schedule
from saas.jobs.models import JobSchedule
from saas.mail import OutboxMessage
from saas.tenants.settings import save_settings
from saas.timeutil import utcnow
from tests.conftest import make_tenant
from tests.factories import CarrefourSettings

SETTINGS = CarrefourSettings(api_url="https://mirakl.test", notification_email="ops@loja.example", sla_normal="PAC")


def activate(tenant, active=True):
    save_settings(tenant, "carrefour", active=active, settings=SETTINGS, secrets={"shop_key": "key-123456789"})


@pytest.fixture
def tenants(owner, tenant):
    other = make_tenant(owner, "loja-b")
    idle = make_tenant(owner, "loja-inativa")
    activate(tenant)
    activate(other)
    activate(idle, active=False)
    return tenant, other, idle


def queued_ids():
    return Queue("default", connection=redis_connection()).job_ids


def test_two_ticks_in_one_window_enqueue_one_job_per_due_tenant(tenants):
    first = schedule.tick("credentials")
    second = schedule.tick("credentials")
    assert len(first) == 2 and second == []
    assert sorted(queued_ids()) == sorted(first)
    assert {job_id.split("-")[1] for job_id in first} == {str(tenants[0].id), str(tenants[1].id)}


def test_a_tenant_is_due_again_after_its_interval(app, db, tenants):
    schedule.tick("credentials")
    db.session.query(JobSchedule).update({JobSchedule.next_run_at: utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert len(schedule.tick("credentials")) == 2
    assert len(queued_ids()) == 4


def test_more_due_stores_than_a_hand_out_go_through_hand_out_jobs_and_each_job_is_queued_once(app, db, tenants,
                                                                                              monkeypatch):
    from saas.jobs.worker import AppWorker
    monkeypatch.setattr(schedule, "HAND_OUT", 1)
    tenant_id = tenants[0].id
    first = schedule.tick("credentials")
    hand_outs = queued_ids()
    assert len(first) == 2 and len(hand_outs) == 2 and all(j.startswith("hand-out-credentials-") for j in hand_outs)
    worker = AppWorker(["default"], connection=redis_connection())
    worker.work(burst=True, max_jobs=2)  # the two hand-outs, queued before the jobs they hand out
    assert sorted(queued_ids()) == sorted(first)
    # A hand-out run twice (its worker died after queueing) queues nothing new.
    schedule.hand_out("credentials", [(("credentials", tenant_id, "carrefour"), first[0])])
    assert sorted(queued_ids()) == sorted(first)


def test_run_soon_makes_one_tenant_due_at_the_next_tick(db, tenants):
    schedule.tick("credentials")
    schedule.run_soon("credentials", tenants[1].id)
    assert [job.split("-")[1] for job in schedule.tick("credentials")] == [str(tenants[1].id)]


def test_an_inactive_integrations_job_does_nothing(tenants, requests_mock):
    assert schedule.run_periodic("credentials", tenants[2].id, "carrefour") is None
    assert not requests_mock.called


def test_a_running_job_holds_the_tenant_lock(tenants, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    lock = redis_connection().lock(f"saas:lock:credentials:{tenants[0].id}:carrefour", timeout=60)
    assert lock.acquire(blocking=False)
    try:
        assert schedule.run_periodic("credentials", tenants[0].id, "carrefour") is None
        assert not requests_mock.called
    finally:
        lock.release()
    assert schedule.run_periodic("credentials", tenants[0].id, "carrefour") == "ok"


def test_a_rejected_key_writes_a_bridge_warning_and_mails_the_merchant(db, tenants, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", status_code=401, json={"message": "Invalid API key"})
    assert schedule.run_periodic("credentials", tenants[0].id, "carrefour") == "rejected"
    entry = db.session.query(BridgeEntry).one()
    assert entry.status == "warning" and entry.tenant_id == tenants[0].id and "Invalid API key" in entry.text
    mail = db.session.query(OutboxMessage).one()
    assert mail.to == "ops@loja.example" and "recusou" in mail.body


def test_an_unreachable_mirakl_is_a_warning_without_mail(db, tenants, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", status_code=502)
    assert schedule.run_periodic("credentials", tenants[0].id, "carrefour") == "unreachable"
    assert db.session.query(BridgeEntry).one().status == "warning"
    assert db.session.query(OutboxMessage).count() == 0


def test_the_worker_runs_a_ticked_job_end_to_end(app, db, tenants, requests_mock):
    from saas.jobs.worker import AppWorker
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 7, "shop_name": "Loja Carrefour"})
    schedule.tick("credentials")
    AppWorker(["default"], connection=redis_connection()).work(burst=True)
    entries = db.session.query(BridgeEntry).all()
    assert len(entries) == 2 and {e.status for e in entries} == {"success"}


def test_a_job_carries_its_policy_and_an_integration_job_runs_only_while_active(app, db, tenants, requests_mock):
    from saas.catalog import activation
    from saas.jobs.queues import enqueue, queue
    tenant = tenants[0]
    queued = enqueue(activation.initial_load, tenant.id, "carrefour")
    assert (queued.origin, queued.timeout, queued.retries_left) == ("sync", 3600, 2)
    assert queued.func_name == "saas.catalog.activation.initial_load"
    assert queued.id in queue("sync").job_ids
    requests_mock.get(re.compile(r".*/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel.*"),
                      json=["1001", "1002"])
    assert activation.initial_load(tenant.id, "carrefour") == 2  # active: it runs with the integration
    save_settings(tenant, "carrefour", active=False, settings={}, secrets={})
    assert activation.initial_load(tenant.id, "carrefour") is None  # off: nothing is read or recorded
    assert requests_mock.call_count == 1
    assert activation.initial_load(999999, "carrefour") is None  # an unknown store


def test_each_store_runs_on_its_own_phase_of_the_interval(app, db, tenants):
    now = datetime(2026, 12, 2, 10, 0, 7)
    every = timedelta(minutes=10)
    for fraction in (0.0, 0.25, 0.999):
        at = schedule.next_on_phase(now, every, fraction)
        assert now < at <= now + every
        assert round((at.replace(tzinfo=timezone.utc).timestamp() - fraction * 600) % 600, 6) in (0, 600)
    # 1,200 consecutive schedule rows fall evenly on the 60 phases, computed by the database: 20 each, give or take 2.
    slots = db.session.execute(select(*[schedule.phase_of(literal(n, Integer), 60) for n in range(1, 1201)])).one()
    per_phase = Counter(slots)
    assert set(per_phase) == set(range(60)) and 18 <= min(per_phase.values()) <= max(per_phase.values()) <= 22
    # Stores claimed in the same tick leave it on different phases, each within one interval.
    schedule.tick("credentials")
    nexts = [s.next_run_at for s in db.session.query(JobSchedule).filter_by(kind="credentials")]
    assert len(set(nexts)) == len(nexts) == 2


def test_the_sweep_hands_back_a_report_and_an_event_whose_jobs_were_lost(db, tenant):
    """Each is queued again as its own job, the one its module declared it is handed back to (``@hands_back``)."""
    from saas.catalog.models import ImportBatch
    from saas.jobs import recovery
    activate(tenant)
    db.session.add(ImportBatch(tenant_id=tenant.id, connector_key="carrefour", kind="offer", import_id="7",
                               next_check_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    assert recovery.recover() == {"reports": 1}
    queued = Queue("sync", connection=redis_connection()).jobs
    assert [job.func_name for job in queued] == ["saas.catalog.reports.check_import"]
    assert set(recovery.SWEEPS) == {"orders", "reports", "reconciliations", "events"}
