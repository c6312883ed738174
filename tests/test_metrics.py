"""``/metrics``: closed without its token; what every process counts adds up in one scrape; real work (a sync and its
report, a worker's job, Mirakl's 429, a freight quote, the queues) shows in the figures an operator alerts on."""
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from saas.catalog.models import SkuChange
from saas.config import ROOT
from saas.extensions import redis_connection
from saas.jobs import schedule
from saas.jobs.queues import enqueue
from saas.jobs.worker import AppWorker
from saas.tenants.settings import save_settings
from saas.timeutil import utcnow
from tests.catalog.test_sync_e2e import world  # noqa: F401 (the fixture: a store wired to both simulators)
from tests.test_freight import URL as FREIGHT_URL
from tests.test_freight import store  # noqa: F401 (the fixture: a store whose VTEX is the simulator)

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def token(app):
    app.config["METRICS_TOKEN"] = TOKEN
    yield TOKEN
    app.config["METRICS_TOKEN"] = ""


def scrape(client) -> dict:
    """Every sample of the scrape: ``{(name, frozenset of label pairs): value}``."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_without_its_token_the_route_is_closed(app, client):
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: no route at all
    app.config["METRICS_TOKEN"] = TOKEN
    try:
        for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token-wrong"}, {"Authorization": TOKEN[:-1]}):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
            assert b"saas_" not in response.data
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_a_short_token_is_refused_at_start():
    from saas.config import ConfigError, load_config
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        load_config({"METRICS_TOKEN": "short"})


COUNT_IN_ANOTHER_PROCESS = """
from saas import create_app, metrics
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///%s", "REDIS_URL": "%s"})
with app.app_context():
    for _ in range(3):
        metrics.count("saas_orders_total", marketplace="carrefour", outcome="imported")
    metrics.observe("saas_order_placement_seconds", 45, marketplace="carrefour")
"""


def test_every_process_counts_into_the_same_scrape(app, client, token, tmp_path):
    from saas import metrics
    metrics.count("saas_orders_total", marketplace="carrefour", outcome="imported")
    metrics.observe("saas_order_placement_seconds", 200, marketplace="carrefour")
    script = COUNT_IN_ANOTHER_PROCESS % (tmp_path / "unused.db", app.config["REDIS_URL"])
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, env={**os.environ, "APP_ENV": "development"})
    samples = scrape(client)
    assert value(samples, "saas_orders_total", marketplace="carrefour", outcome="imported") == 4
    placement = {le: value(samples, "saas_order_placement_seconds_bucket", marketplace="carrefour", le=le)
                 for le in ("30.0", "60.0", "180.0", "300.0", "+Inf")}
    assert placement == {"30.0": 0, "60.0": 1, "180.0": 1, "300.0": 2, "+Inf": 2}
    assert value(samples, "saas_order_placement_seconds_sum", marketplace="carrefour") == 245
    assert value(samples, "saas_order_placement_seconds_count", marketplace="carrefour") == 2


def test_a_sync_shows_its_calls_its_backlog_and_the_delay_from_change_to_offer(world, client, token):  # noqa: F811
    world.db.session.query(SkuChange).update({SkuChange.received_at: utcnow() - timedelta(seconds=200)})
    world.db.session.commit()
    before = scrape(client)
    assert value(before, "saas_stores_waiting", marketplace="carrefour", oldest="5m") == 1
    assert value(before, "saas_stores_waiting", marketplace="carrefour", oldest="1m") == 0
    assert value(before, "saas_integrations", marketplace="carrefour", active="true") == 1

    world.sync()
    world.reports()
    after = scrape(client)
    assert value(after, "saas_stores_waiting", marketplace="carrefour", oldest="5m") == 0
    delay = {le: value(after, "saas_change_to_offer_seconds_bucket", marketplace="carrefour", le=le)
             for le in ("180.0", "300.0")}
    assert delay == {"180.0": 0, "300.0": 1}  # one offer batch, its oldest change 200 s old when it completed
    assert value(after, "saas_outbound_calls_total", service="vtex", marketplace="", status="2xx") > 60
    mirakl_ok = value(after, "saas_outbound_calls_total", service="mirakl", marketplace="carrefour", status="2xx")
    assert mirakl_ok >= 4  # two imports sent and their two reports read


def test_a_workers_jobs_and_mirakls_429_are_counted(app, db, client, token, tenant, requests_mock):
    save_settings(tenant, "carrefour", active=True, settings={"api_url": "https://mirakl.test"},
                  secrets={"shop_key": "key-123456789"})
    tenant_id = tenant.id  # the worker ends each job with a new database session
    requests_mock.get("https://mirakl.test/api/account", status_code=429, headers={"Retry-After": "120"},
                      json={"message": "Too many requests in the last hour"})
    schedule.tick("credentials")
    AppWorker(["default"], connection=redis_connection()).work(burst=True)
    schedule.run_periodic("credentials", tenant_id, "carrefour")  # the shop waits: no call is made
    assert requests_mock.call_count == 1
    samples = scrape(client)
    jobs = {labels: n for (name, labels), n in samples.items() if name == "saas_jobs_total"}
    assert jobs == {frozenset({("function", "saas.jobs.schedule.run_periodic"), ("queue", "default"),
                               ("outcome", "finished")}): 1}  # the job finished: the 429 is the Bridge's warning
    assert value(samples, "saas_outbound_calls_total", service="mirakl", marketplace="carrefour", status="429") == 1
    assert value(samples, "saas_mirakl_budget_waits_total", marketplace="carrefour", reason="retry_after") == 1
    durations = [n for (name, _labels), n in samples.items() if name == "saas_job_duration_seconds_count"]
    assert sum(durations) == sum(jobs.values())


def test_a_freight_quote_is_timed_by_outcome(client, store, token):  # noqa: F811
    query = {"postalCode": "01310-100", "items": "1001:1"}
    assert client.get(FREIGHT_URL, query_string=query).status_code == 200
    assert client.get(FREIGHT_URL, query_string=query).headers["X-Cache"] == "hit"
    samples = scrape(client)
    for outcome in ("quoted", "cached"):
        assert value(samples, "saas_freight_quote_seconds_count", marketplace="carrefour", outcome=outcome) == 1
        assert value(samples, "saas_freight_quote_seconds_bucket", marketplace="carrefour", outcome=outcome,
                     le="3.0") == 1


def test_the_queues_depth_and_the_age_of_their_oldest_job(app, client, token, tenant):
    from saas.catalog.reports import check_import
    enqueue(check_import, 12345)
    time.sleep(1.1)
    samples = scrape(client)
    queue_name = check_import.policy.queue
    assert value(samples, "saas_queue_jobs", queue=queue_name, state="queued") == 1
    assert value(samples, "saas_queue_oldest_job_age_seconds", queue=queue_name) >= 1
    assert value(samples, "saas_queue_oldest_job_age_seconds", queue="orders") == 0
    assert value(samples, "saas_redis_up") == 1
    assert value(samples, "saas_scheduler_heartbeat_age_seconds") == -1  # no scheduler runs in this test


def test_an_unreachable_redis_is_a_figure_not_a_failed_scrape(app, client, token, monkeypatch):
    from saas.jobs import queues
    dead = type(redis_connection())(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "redis", dead)
    try:
        samples = scrape(client)
    finally:
        monkeypatch.undo()
    assert value(samples, "saas_redis_up") == 0
    assert queues.redis_connection().ping()


def test_the_metrics_helper_requires_the_declared_labels():
    from saas import metrics
    with pytest.raises(ValueError, match="takes the labels"):
        metrics.count("saas_orders_total", marketplace="carrefour")


def test_counts_are_added_up_in_memory_and_written_by_the_process_itself(app):
    """No Redis call where an event happens: the process's own flusher writes its counts within a few seconds, with no
    scrape and no flush asked for."""
    from saas import metrics
    metrics.count("saas_orders_total", 2, marketplace="carrefour", outcome="imported")
    field = "saas_orders_total|carrefour,imported"
    deadline = time.monotonic() + 4 * metrics.FLUSH_EVERY
    while redis_connection().hget(metrics.KEY, field) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert redis_connection().hget(metrics.KEY, field) == b"2"
