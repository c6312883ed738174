"""What an operator relies on: outages answered 503 (JSON with Retry-After for VTEX and Carrefour, a page for
people), sign-in and freight without Redis, logs without secrets and with their tenant and job, and the queue view
for platform administrators only."""
import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry

from saas import create_app, logs
from saas.catalog import changes as sku_changes
from saas.catalog.models import SkuChange
from saas.config import ROOT
from saas.extensions import redis_connection
from saas.jobs.queues import enqueue
from saas.orders.importer import import_order
from tests.conftest import PASSWORD, login, make_user

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(app):
    saved = dict(app.extensions)
    app.extensions["redis"] = Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.2)
    app.config["RATELIMIT_STORAGE_URI"], storage = DEAD_REDIS, app.config["RATELIMIT_STORAGE_URI"]
    app.extensions.pop("rate_limiters", None)
    yield
    app.extensions.clear()
    app.extensions.update(saved)
    app.config["RATELIMIT_STORAGE_URI"] = storage


@pytest.fixture
def database_down(tmp_path):
    """The same product on a database that does not answer (a PostgreSQL port nobody listens on, or a SQLite file
    that cannot be opened)."""
    from tests.conftest import _test_redis_url
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "REDIS_URL": _test_redis_url(),
                      "SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1"})
    return app.test_client()


def test_a_hook_while_redis_is_down_is_a_json_503_with_retry_after(client, tenant, redis_down):
    response = client.post(f"/api/vtex/loja-a/{tenant.webhook_secret}/hook", json={"OrderId": "CRF-1"})
    assert response.status_code == 503 and response.is_json and "error" in response.get_json()
    assert int(response.headers["Retry-After"]) > 0


def test_notifications_need_only_the_database_and_are_stored_while_redis_is_down(client, db, active_tenant,
                                                                                redis_down):
    tenant = active_tenant
    response = client.post(f"/api/vtex/loja-a/{tenant.webhook_secret}/notification",
                           json={"IdSku": "1001", "PriceModified": True})
    assert response.status_code == 200 and db.session.query(SkuChange).count() == 1


def test_sign_in_works_while_redis_is_down_and_the_limit_still_counts(app, client, owner, redis_down, caplog):
    login(client, owner.email)
    assert "rate limits counted per process" in caplog.text
    client.get("/logout")
    for _ in range(10):
        client.post("/login", data={"email": owner.email, "password": "wrong"})
    assert client.post("/login", data={"email": owner.email, "password": PASSWORD}).status_code == 429


def test_a_database_outage_is_a_json_503_for_vtex_and_a_page_for_people(database_down):
    response = database_down.post("/api/vtex/loja-a/secret/notification", json={"IdSku": "1001"})
    assert response.status_code == 503 and response.is_json and int(response.headers["Retry-After"]) > 0
    page = database_down.post("/login", data={"email": "a@b.example", "password": "x"})
    assert page.status_code == 503 and "Serviço temporariamente indisponível" in page.get_data(as_text=True)


def test_a_notification_refused_by_the_database_stores_nothing_half_way(client, db, tenant, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def cut(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(sku_changes, "record", cut)
    response = client.post(f"/api/vtex/loja-a/{tenant.webhook_secret}/notification", json={"IdSku": "1001"})
    assert response.status_code == 503 and db.session.query(SkuChange).count() == 0


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    yield handler, stream
    logging.getLogger().removeHandler(handler)


def test_no_log_line_carries_a_webhook_secret_not_even_a_crash(app, client, tenant, monkeypatch, captured):
    handler, stream = captured
    logs.configure("text")  # every handler of the process gets the filters, this one included
    secret = tenant.webhook_secret

    def crash(*_args, **_kwargs):
        raise RuntimeError(f"boom on /api/vtex/loja-a/{secret}/notification")
    monkeypatch.setattr(sku_changes, "record", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert client.post(f"/api/vtex/loja-a/{secret}/notification", json={"IdSku": "1"}).status_code == 500
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    logging.getLogger("rq.job").warning("job args %s", (f"/api/vtex/loja-a/{secret}/hook",))
    text = stream.getvalue()
    assert "Exception on /api/vtex/loja-a/***/notification" in text and "RuntimeError" in text
    assert secret not in text


def test_lines_carry_their_tenant_and_job_and_json_in_production(captured):
    handler, stream = captured
    logs.configure("json")
    try:
        ours = next(h for h in logging.getLogger().handlers if getattr(h, "_saas", False))
        handler.setFormatter(ours.formatter)
        with logs.context(tenant=7, job="sync-7-1"):
            logging.getLogger("saas.test").info("synchronised %s SKUs", 3)
    finally:
        logs.configure("text")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "synchronised 3 SKUs" and line["tenant"] == 7 and line["job"] == "sync-7-1"
    assert line["level"] == "INFO"


def test_rq_routine_lines_are_quiet_by_default():
    logs.configure("text")
    assert logging.getLogger("rq.worker").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("saas").getEffectiveLevel() == logging.INFO


def test_the_queue_view_is_for_platform_administrators_only(app, client, owner, tenant):
    assert client.get("/admin/rq/").status_code == 404
    login(client, owner.email)
    assert client.get("/admin/rq/").status_code == 404  # a merchant, even an owner, does not see it
    result = app.test_cli_runner().invoke(args=["users", "make-admin", owner.email])
    assert result.exit_code == 0 and "administrator" in result.output
    assert client.get("/admin/rq/").status_code == 200
    assert app.test_cli_runner().invoke(args=["users", "make-admin", "nobody@x.example"]).exit_code != 0


def test_an_administrator_requeues_a_failed_job_from_the_queue_view(app, client, db):
    admin = make_user("ops@platform.example")
    admin.is_admin = True
    db.session.commit()
    job = enqueue(import_order, 999999, 0)  # an order that does not exist: it fails
    job.retries_left = 0
    job.save()
    Queue("orders", connection=redis_connection()).remove(job)
    FailedJobRegistry("orders", connection=redis_connection()).add(job, exc_string="RuntimeError: test")
    login(client, admin.email)
    assert client.post(f"/admin/rq/job/{job.id}/requeue", headers={"Origin": "http://localhost"}).status_code == 200
    assert job.id in Queue("orders", connection=redis_connection()).job_ids
    assert job.id not in FailedJobRegistry("orders", connection=redis_connection())


def test_the_queue_view_takes_no_action_from_another_site(app, client, db):
    """rq-dashboard requeues a whole queue on a GET: a link on any site, followed by a signed-in administrator."""
    admin = make_user("ops@platform.example")
    admin.is_admin = True
    db.session.commit()
    job = enqueue(import_order, 999999, 0)
    Queue("orders", connection=redis_connection()).remove(job)
    failed = FailedJobRegistry("orders", connection=redis_connection())
    failed.add(job, exc_string="RuntimeError: test")
    login(client, admin.email)
    assert client.get("/admin/rq/requeue/orders", headers={"Referer": "https://evil.example/"}).status_code == 405
    assert client.get("/admin/rq/requeue/orders").status_code == 405
    assert client.post("/admin/rq/requeue/orders", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/admin/rq/requeue/orders").status_code == 403  # no Origin, no Referer: not ours to trust
    assert client.post(f"/admin/rq/job/{job.id}/delete", headers={"Origin": "https://evil.example"}).status_code \
        == 403
    assert job.id in failed and job.id not in Queue("orders", connection=redis_connection()).job_ids
    assert client.get("/admin/rq/0/view/jobs").status_code == 200  # reading stays a GET
    assert client.post("/admin/rq/requeue/orders", headers={"Referer": "http://localhost/admin/rq/"}).status_code \
        == 200
    assert job.id in Queue("orders", connection=redis_connection()).job_ids


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_worker_killed_with_kill_9_takes_the_processes_it_forked_with_it(app):
    """RQ forks its scheduler of delayed jobs from the worker; alive after the worker, it would keep the worker's
    database connections, and the row locks of a transaction cut short, open."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"]}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not children_of(worker.pid):
            assert time.monotonic() < deadline, "the worker forked no scheduler"
            time.sleep(0.1)
        children = children_of(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 5
        while any(Path(f"/proc/{child}").exists() for child in children):
            assert time.monotonic() < deadline, "the worker's children outlived it"
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_a_process_asked_to_stop_stops(app, command):
    """The platform stops a process with SIGTERM (a deploy, a restart) and kills it 30 s later: a worker or a
    scheduler that took the request for a broken loop and started again would die in the middle of a job."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "RQ_LOG_LEVEL": "info"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", command], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not any(key.startswith(("rq:worker:", "saas:heartbeat:scheduler"))
                      for key in map(bytes.decode, redis_connection().keys("*"))):
            assert time.monotonic() < deadline, f"the {command} never started"
            time.sleep(0.2)
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert "running again" not in process.stdout.read()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
