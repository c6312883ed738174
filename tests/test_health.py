"""/healthz: the stores, and the age of the scheduler's and each worker's heartbeat (503 past three ticks)."""
import time
from datetime import timedelta

import pytest
from redis import Redis

from saas.extensions import redis_connection
from saas.jobs.clock import HEARTBEAT_KEY, Clock
from saas.jobs.worker import AppWorker
from saas.timeutil import utcnow


@pytest.fixture
def worker(app):
    worker = AppWorker(["default"], connection=redis_connection())
    worker.register_birth()
    worker.heartbeat()
    yield worker
    worker.register_death()


@pytest.fixture
def scheduler_alive(app):
    clock = Clock(queue_name="default", connection=redis_connection(), interval=1,
                  tick_interval=app.config["TICK_INTERVAL"])
    clock.enqueue_jobs()  # one pass: the ticks registered, the heartbeat written
    return clock


def test_healthz_reports_stores_scheduler_and_workers(client, worker, scheduler_alive):
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["redis"] == "ok"
    assert body["scheduler"]["status"] == "ok" and body["scheduler"]["heartbeat_age_seconds"] < 5
    (listed,) = body["workers"]
    assert listed["name"] == worker.name and listed["status"] == "ok" and listed["queues"] == ["default"]


def test_healthz_is_503_when_the_scheduler_has_not_beaten_for_three_ticks(app, client, worker, scheduler_alive):
    redis_connection().set(HEARTBEAT_KEY, time.time() - 3 * app.config["TICK_INTERVAL"] - 1)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["scheduler"]["status"] == "stale"
    redis_connection().delete(HEARTBEAT_KEY)
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "missing"


def test_healthz_is_503_when_a_worker_is_stale_or_none_runs(app, client, worker, scheduler_alive):
    old = utcnow() - timedelta(seconds=3 * app.config["TICK_INTERVAL"] + 5)
    redis_connection().hset(worker.key, "last_heartbeat", old.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["workers"][0]["status"] == "stale"
    worker.register_death()
    redis_connection().delete(worker.key)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["workers"] == []


def test_healthz_is_503_when_redis_is_down(app, client):
    saved = app.extensions["redis"]
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["redis"] = saved
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("error") and response.get_json()["database"] == "ok"


def test_the_scheduler_registers_again_the_ticks_a_restarted_redis_lost(app, scheduler_alive):
    ticks = {job.id for job in scheduler_alive.get_jobs()}
    assert {"tick-sync", "tick-orders", "tick-credentials", "tick-recover"} <= ticks
    redis_connection().flushdb()  # Redis restarted empty
    scheduler_alive.enqueue_jobs()
    assert {job.id for job in scheduler_alive.get_jobs()} == ticks
    assert redis_connection().get(HEARTBEAT_KEY) is not None


def test_times_are_shown_in_brasilia_time():
    from datetime import datetime

    from saas.timeutil import local_time
    assert local_time(datetime(2026, 11, 26, 15, 0)) == "26/11/2026 12:00"  # stored UTC, shown UTC−3
    assert local_time(None) == ""
