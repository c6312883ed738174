"""What every benchmark needs: the simulators as real processes (gunicorn, as `make run` starts them), a fresh
database and Redis, a tenant wired to the simulators, and a child process to measure peak memory in."""
import contextlib
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from saas.config import ROOT
from saas.sandbox.redis_local import ensure_redis

SHOP_KEY = "sandbox-shop-key-demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextlib.contextmanager
def simulator(name: str, env: dict, workers: int = 2, threads: int = 16):
    """The simulator's URL; see ``simulator_server``."""
    with simulator_server(name, env, workers, threads) as server:
        yield server.url


@contextlib.contextmanager
def simulator_server(name: str, env: dict, workers: int = 2, threads: int = 16):
    """``name`` is vtex or mirakl; seeded once before gunicorn forks its workers."""
    with _gunicorn(f"saas.sandbox.{name}", "create_app()", "create_app()", env, workers, threads,
                   "/_admin/knobs") as (url, pid):
        yield Server(url, pid)


@contextlib.contextmanager
def shops_server(name: str, env: dict, shops: int, workers: int = 2, threads: int = 32):
    """The many-shop server of ``name`` (``saas.sandbox.shops``), its first ``shops`` shops seeded before gunicorn
    forks; a shop's URL is ``<url>/shops/<n>``."""
    with _gunicorn("saas.sandbox.shops", f"create_app({name!r}, {shops})", f"create_app({name!r})", env, workers,
                   threads, "/shops/1/_admin/knobs") as (url, _pid):
        yield url


@contextlib.contextmanager
def _gunicorn(module: str, seed: str, factory: str, env: dict, workers: int, threads: int, ready_path: str):
    """A sandbox app under gunicorn on its own data directory, seeded by ``seed`` before it forks."""
    data = tempfile.mkdtemp(prefix=f"bench-{module.rsplit('.', 1)[1]}-")
    env = {**os.environ, "SANDBOX_DATA_DIR": data, **{k: str(v) for k, v in env.items()}}
    subprocess.run([sys.executable, "-c", f"from {module} import create_app; {seed}"], env=env, check=True, cwd=ROOT)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", f"{module}:{factory}", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    allow_outbound(url)
    try:
        wait_until_up(url + ready_path)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


_apps = []  # the apps made here (make_app), whose egress policy a simulator started later joins


def allow_outbound(url: str) -> None:
    """The product may reach this simulator as make run's reaches its own (``OUTBOUND_ALLOW``): the processes started
    from here on, through the environment, and the apps already made in this process."""
    allowed = [item for item in os.environ.get("OUTBOUND_ALLOW", "").split(",") if item]
    os.environ["OUTBOUND_ALLOW"] = ",".join([*allowed, url.split("://", 1)[1]])
    for app in _apps:
        app.extensions["egress"].allow(url)


class Process:
    """One of the product's processes, its output in a file (shown when a test fails)."""

    def __init__(self, name, command, env, logdir: Path, cwd: Path = ROOT):
        self.name, self.command, self.env, self.log = name, command, env, logdir / f"{name}.log"
        self.cwd, self.popen = cwd, None

    def start(self):
        handle = self.log.open("a")
        self.popen = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=handle,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def kill9(self):
        os.kill(self.popen.pid, signal.SIGKILL)  # the process alone: what it leaves behind is the point
        self.popen.wait()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # its whole group, RQ's scheduler child included
        self.popen.wait()


FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def product_processes(env: dict, web_port: int, logdir: Path) -> dict[str, Process]:
    """The Procfile's processes (web under gunicorn, the worker pool, the scheduler), with ``env``."""
    return {"web": Process("web", [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{web_port}",
                                   "--workers", "1", "--threads", "8"], env, logdir),
            "worker": Process("worker", [*FLASK, "worker"], env, logdir),
            "scheduler": Process("scheduler", [*FLASK, "scheduler"], env, logdir)}


def product_env(app, intervals: dict, web_url: str) -> dict:
    return {**os.environ, **intervals, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"], "PUBLIC_BASE_URL": web_url}


def product_stack(tmp: Path, intervals: dict):
    """The Procfile's processes (web, worker pool, scheduler) on a fresh bench database, with ``intervals`` in
    their environment; answers the app (for reading the database) and the running processes."""
    port = free_port()
    web_url = f"http://127.0.0.1:{port}"
    app = make_app(tmp, PUBLIC_BASE_URL=web_url)
    processes = product_processes(product_env(app, intervals, web_url), port, tmp)
    for process in processes.values():
        process.start()
    wait_until_up(web_url + "/healthz", timeout=60)
    return app, processes


def tree_cpu_seconds(pid: int) -> float:
    """The CPU time of a process and all its descendants, the ended ones it waited for included (a worker pool and
    its members, and each member's own children)."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    tree, grew = {pid}, True
    while grew:
        children = {child for child, (parent, _) in stats.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(stats[p][1] for p in tree if p in stats) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(database_url: str) -> float:
    """The CPU time of the PostgreSQL server on this machine, every server process included (those of connections
    already closed too, through the postmaster's count of its ended children); 0 for SQLite, whose work is done in
    the processes that use it. The whole server: run the benchmark on an otherwise quiet one."""
    if not database_url.startswith("postgresql"):
        return 0.0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
            if words[:1] == ["postgres:"] and words[-1] == "checkpointer":
                postmaster = int((cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[1])
                return tree_cpu_seconds(postmaster)
        except OSError:
            continue
    return 0.0  # a server on another machine: its CPU is not ours to read


def load_average() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def summary(name: str, figure: str, baseline: str, floor: str | None = None) -> None:
    """The benchmark's last lines: the machine's load as it ends, then the figures (the line docs/performance.md's table
    is built from)."""
    print(f"  ({load_average()})")
    print(f"{name}: {figure}; baseline {baseline}" + (f"; floor {floor}" if floor else ""), flush=True)


def knobs(url: str, **values) -> None:
    requests.post(url + "/_admin/knobs", json=values, timeout=5).raise_for_status()


def make_app(tmpdir: Path, fresh: bool = True, **config):
    """The app on the benchmark's database and Redis, emptied unless ``fresh`` is False (a second process of the
    same benchmark)."""
    from saas import create_app
    from saas.extensions import db
    # The benchmarks' own Redis database (13), never a test run's; BENCH_REDIS_DB lets a second benchmark run beside.
    database_number = os.environ.get("BENCH_REDIS_DB", "13")
    redis_url = ensure_redis(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).rsplit("/", 1)[0] + \
        f"/{database_number}"
    database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmpdir / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url,
                      "RATELIMIT_STORAGE_URI": redis_url, **config})
    _apps.append(app)
    if fresh:
        with app.app_context():
            db.drop_all()
            db.create_all()
            from saas.extensions import redis_connection
            redis_connection().flushdb()
    return app


def bench_owner(email: str = "owner@bench.example"):
    """One user for many stores (hashing a password per store would dominate setting up a thousand)."""
    from saas.extensions import db
    from saas.tenants.models import User
    owner = User.query.filter_by(email=email).first()
    if owner is None:
        owner = User(email=email)
        owner.set_password("bench password")
        db.session.add(owner)
    return owner


def wired_tenant(vtex_url: str, mirakl_url: str, slug: str = "loja-bench", owner=None, vtex_account="lojademo",
                 **settings):
    from saas.tenants.service import create_tenant
    from saas.tenants.settings import save_settings
    owner = owner or bench_owner(f"{slug}@bench.example")
    tenant = create_tenant(owner, name="Loja Bench", slug=slug, vtex_account=vtex_account, vtex_base_url=vtex_url,
                           vtex_app_key="vtexappkey-lojademo", vtex_app_token="sandbox-app-token")
    save_settings(tenant, "carrefour", active=True, secrets={"shop_key": SHOP_KEY}, settings={
        "api_url": mirakl_url, "notification_email": "ops@bench.example", "trade_policy": "1",
        "affiliate_id": "CRF", "min_stock": 0, "divergence": 5.0, "auto_accept": True, "sla_normal": "Normal",
        "sla_expressa": "Expressa", "sla_economica": "Econômica", **settings})
    return tenant


@contextlib.contextmanager
def counting(cls, method: str):
    """Count the calls made to ``cls.method`` inside the block: ``with counting(VtexClient, "simulate") as n``."""
    calls = [0]
    original = getattr(cls, method)

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    setattr(cls, method, counted)
    try:
        yield calls
    finally:
        setattr(cls, method, original)


def list_catalog_at_mirakl(tenant, count: int) -> None:
    """Carrefour already lists the simulator's first ``count`` products (as after an initial load)."""
    from saas.connectors.base import CatalogItem
    from saas.sandbox.catalog import generate
    from saas.tenants.settings import build_connector
    connector = build_connector(tenant, "carrefour")
    items = [CatalogItem(str(s["Id"]), context=s) for s in generate(count)]
    published = connector.publish_products(items)
    wait_import_complete(lambda: connector.client.product_import(published.batch.import_id))


def delete_offer(mirakl_url: str, sku: str) -> None:
    """An offer gone from the marketplace's side (the simulator's admin route)."""
    requests.delete(f"{mirakl_url}/_admin/offers/{sku}", timeout=10).raise_for_status()


def in_child(func, *args):
    """Run ``func(*args)`` in a fresh process; answer its result and its peak resident memory in MB."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measured, (func, args))


def _measured(func, args):
    result = func(*args)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wait_import_complete(client_call, timeout: float = 1800) -> dict:
    """Poll an import's status until it is final; a slow answer (the simulator processes a large file when it is
    first asked) is polled again, as the report job does."""
    from saas.integration_errors import RetryableError
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = client_call()
        except RetryableError:
            continue
        if status.get("status", status.get("import_status")) in ("COMPLETE", "FAILED"):
            return status
        time.sleep(0.2)
    raise RuntimeError("the import did not complete")
