"""No process writes a webhook secret: gunicorn and the app (an uncaught exception included), werkzeug's request
lines, and an RQ worker (a job's arguments, its result, its traceback). Real processes, real logs."""
import contextlib
import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from saas import logs
from saas.config import ROOT
from saas.jobs.queues import queue
from tests.conftest import serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _web_command(env) -> str:
    """The Procfile's web command, its ``${VAR:-default}`` filled from ``env`` as the shell would."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1), m.group(2)), line.split(":", 1)[1])


@contextlib.contextmanager
def process(command: list[str], env: dict, log: Path):
    with log.open("ab") as out:
        child = subprocess.Popen(command, env={**os.environ, "PATH": f"{Path(sys.executable).parent}:"
                                               f"{os.environ['PATH']}", **env}, cwd=ROOT, stdout=out, stderr=out)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            raise AssertionError(f"{command} did not stop on SIGTERM:\n{log.read_text()[-3000:]}") from None


def _wait(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if condition():
                return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_gunicorn_and_the_app_never_write_the_secret_even_on_a_crash(app, tenant, tmp_path):
    """ENCRYPTION_KEY rotated without the old key (a real deploy mistake): reading the store's secrets raises on
    every public route, and Flask logs "Exception on <path>" with its traceback."""
    secret, port = tenant.webhook_secret, _free_port()
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "ENCRYPTION_KEY": Fernet.generate_key().decode(), "PORT": str(port), "WEB_CONCURRENCY": "1"}
    log = tmp_path / "web.log"
    with process(["bash", "-c", "exec " + _web_command(env)], env, log):
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: requests.get(base + "/healthz", timeout=2).status_code in (200, 503))
        for path in ("notification", "hook", "oms/pvt/orders/X/invoice"):
            response = requests.post(f"{base}/api/vtex/loja-a/{secret}/{path}", json={"IdSku": "1"}, timeout=5)
            assert response.status_code == 500
    text = log.read_text()
    assert "Exception on /api/vtex/loja-a/***/notification" in text and "cannot be decrypted" in text
    assert secret not in text


def test_werkzeugs_request_lines_never_carry_the_secret(app, tenant):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    logs.configure("text")  # every handler of the process gets the filters, this one included
    try:
        with serve(app) as base:
            requests.post(f"{base}/api/vtex/loja-a/{tenant.webhook_secret}/notification", json={"IdSku": "1"},
                          timeout=5)
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert '"POST /api/vtex/loja-a/***/notification HTTP/1.1" 200' in text and tenant.webhook_secret not in text


def test_a_workers_lines_never_carry_the_secret_of_a_jobs_arguments(app, tenant, tmp_path):
    url = f"https://conector.example/api/vtex/loja-a/{tenant.webhook_secret}/notification"
    ok = queue("default").enqueue("builtins.str", url)  # its result is the URL
    failing = queue("default").enqueue("builtins.int", url)  # its traceback quotes the URL
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "RQ_LOG_LEVEL": "info"}
    log = tmp_path / "worker.log"
    with process([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env, log):
        _wait(lambda: ok.get_status(refresh=True) == "finished" and failing.get_status(refresh=True) == "failed")
    text = log.read_text()
    assert "builtins.str(" in text and "ValueError" in text and "/api/vtex/loja-a/***/notification" in text
    assert tenant.webhook_secret not in text
