"""Order import benchmark.

1,000 paid orders of one tenant found in one poll, both simulators at 50 ms a call. The worker is the Procfile's
(``flask worker``: ``WORKER_PROCESSES`` processes, each importing ``ORDER_IMPORT_CONCURRENCY`` orders at a time),
started before the clock and left running as in production, so an order whose attempt fails is retried as it would
be (a ``--burst`` worker would quit before the retry and the order would look lost). The poll runs on that worker,
as the scheduler would queue it. The clock stops when the VTEX simulator holds every order, authorized for
dispatch; the simulator also counts the placements it refused as duplicates. Our CPU: the worker processes' CPU
time (and, on PostgreSQL, the time of the server processes serving them), from the poll to the last order,
divided by the orders.

The baseline is one process importing one order at a time, in the same run. Each variant gets fresh simulators and
a fresh database. When an order is missing or placed twice the benchmark fails, prints what the database says of the
orders concerned and keeps the database (SQLite: its file; PostgreSQL: ``BENCH_DATABASE_URL``).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench import harness
from saas.config import ROOT

ORDERS = int(os.environ.get("BENCH_ORDERS", "1000"))
LATENCY_MS = 50
SKUS = [str(1001 + i) for i in range(40)]
DEADLINE = 1200  # seconds: an order not placed by then (its retries included) is missing
POOL = "the Procfile's worker"
BASELINE = "one process, one order at a time"


def run():
    pool = _variant(POOL, processes=None, concurrency=None)
    baseline = _variant(BASELINE, processes=1, concurrency=1)
    print(f"{ORDERS:,} paid orders in one poll, simulators at {LATENCY_MS} ms a call (target: all placed once in "
          "under 60 s, at most 25 ms of our CPU an order):")
    for result in (pool, baseline):
        print(f"  {result['label']} ({result['layout']}): {result['seconds']:.1f} s poll → all placed and dispatched; "
              f"{result['placed']} placed once, {result['duplicates']} duplicate placements refused; "
              f"our CPU {result['cpu_ms']:.1f} ms an order (workers {result['worker_cpu_ms']:.1f}, "
              f"database server {result['database_cpu_ms']:.1f})")
    harness.summary("orders", f"{pool['placed']:,} of {ORDERS:,} placed once in {pool['seconds']:.1f} s; "
                    f"our CPU {pool['cpu_ms']:.1f} ms an order", f"{baseline['seconds']:.1f} s")
    for result in (pool, baseline):
        if result["placed"] != ORDERS or result["duplicates"]:
            sys.exit(f"orders: {result['label']} placed {result['placed']} of {ORDERS} once "
                     f"({result['duplicates']} duplicates): see above; the database is kept at {result['database']}")


def _variant(label: str, processes: int | None, concurrency: int | None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-orders-"))
    with harness.simulator("vtex", {}) as vtex_url, \
            harness.simulator("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": 0}) as mirakl_url:
        order_ids = _seed(vtex_url, mirakl_url)
        app = harness.make_app(tmp)
        settings = {"WORKER_PROCESSES": processes, "ORDER_IMPORT_CONCURRENCY": concurrency}
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "REDIS_URL": app.config["REDIS_URL"],
               **{name: str(value) for name, value in settings.items() if value is not None}}
        with app.app_context():
            tenant = harness.wired_tenant(vtex_url, mirakl_url, divergence=100.0, auto_accept=False)
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=(tmp / "worker.log").open("w"))
            try:
                _wait_for_workers(int(env.get("WORKER_PROCESSES", 3)))
                result = _measure(app, tenant, worker.pid, vtex_url)
            finally:
                worker.terminate()
                worker.wait(timeout=30)
            result.update(label=label, layout=_layout(env), database=app.config["SQLALCHEMY_DATABASE_URI"])
            result["placed"] = len(order_ids & result.pop("placed_ids"))
            if result["placed"] != ORDERS or result["duplicates"]:
                _explain(order_ids - set(result["ready_ids"]))
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return result


def _seed(vtex_url: str, mirakl_url: str) -> set[str]:
    """The paid orders at the Mirakl simulator, at each SKU's VTEX price; answers their ids."""
    for sku in SKUS:
        requests.post(f"{vtex_url}/_admin/skus/{sku}", json={"stock": 1_000_000}).raise_for_status()
    prices = {sku: _price(vtex_url, sku) for sku in SKUS}
    ids = set()
    for n in range(ORDERS):
        sku = SKUS[n % len(SKUS)]
        created = requests.post(f"{mirakl_url}/_admin/orders", json={
            "lines": [{"sku": sku, "quantity": 1, "price": prices[sku] / 100}], "state": "SHIPPING",
            "zip_code": "01310100", "shipping_price": 0})
        created.raise_for_status()
        ids.add(created.json()["order_id"])
    assert len(ids) == ORDERS, f"the Mirakl simulator made {len(ids)} distinct orders of {ORDERS}"
    harness.knobs(vtex_url, latency_ms=LATENCY_MS)
    harness.knobs(mirakl_url, latency_ms=LATENCY_MS)
    return ids


def _wait_for_workers(count: int) -> None:
    from rq import Worker

    from saas.extensions import redis_connection
    deadline = time.monotonic() + 120
    while len(Worker.all(connection=redis_connection())) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not start; see its log")
        time.sleep(0.2)
    time.sleep(1)  # each member's look for abandoned work as it starts, before the clock


def _measure(app, tenant, worker_pid: int, vtex_url: str) -> dict:
    from saas.jobs import schedule
    from saas.jobs.queues import enqueue
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    cpu_before = harness.tree_cpu_seconds(worker_pid), harness.database_cpu_seconds(database)
    started = time.perf_counter()
    enqueue(schedule.run_periodic, "orders", tenant.id, "carrefour", queue_name=schedule.PERIODIC["orders"].queue)
    deadline = time.monotonic() + DEADLINE
    while True:
        placed = requests.get(f"{vtex_url}/_admin/orders", timeout=30).json()
        ready = [o for o in placed if o["status"] == "ready-for-handling"]
        if len(ready) >= ORDERS or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    worker_cpu = harness.tree_cpu_seconds(worker_pid) - cpu_before[0]
    database_cpu = harness.database_cpu_seconds(database) - cpu_before[1]
    counts = requests.get(f"{vtex_url}/_admin/placements", timeout=30).json()
    return {"seconds": seconds, "placed_ids": {o["marketplaceOrderId"] for o in placed},
            "ready_ids": [o["marketplaceOrderId"] for o in ready], "duplicates": counts["refused_duplicates"],
            "cpu_ms": (worker_cpu + database_cpu) * 1000 / ORDERS, "worker_cpu_ms": worker_cpu * 1000 / ORDERS,
            "database_cpu_ms": database_cpu * 1000 / ORDERS}


def _layout(env: dict) -> str:
    processes = int(env.get("WORKER_PROCESSES", 3))
    threads = int(env.get("ORDER_IMPORT_CONCURRENCY", 8))
    return f"{processes} process{'es' if processes > 1 else ''} × {threads} thread{'s' if threads > 1 else ''}"


def _explain(missing: set[str]) -> None:
    """What the database says of the orders not placed and dispatched."""
    from saas.orders.models import MarketplaceOrder
    orders = MarketplaceOrder.query.filter(MarketplaceOrder.marketplace_order_id.in_(missing)).all()
    print(f"  {len(missing)} orders not placed and dispatched; {len(orders)} of them stored:")
    for order in orders:
        attempts = ", ".join(f"{a.number}: {a.outcome} {a.cause or ''}".strip() for a in order.attempts)
        print(f"    {order.marketplace_order_id}: {order.status}, next attempt {order.next_attempt_at}, "
              f"VTEX {order.vtex_order_id} {order.vtex_status}; attempts {attempts or 'none'}")


def _price(vtex_url, sku) -> int:
    body = requests.post(f"{vtex_url}/api/checkout/pub/orderForms/simulation?sc=1",
                         json={"items": [{"id": sku, "quantity": 1, "seller": "1"}]}).json()
    return body["items"][0]["price"]
