"""Order import benchmark (issue: order import).

1,000 paid orders of one tenant found in one poll, both simulators at 50 ms a call: time from the poll until every
order is placed and authorized for dispatch at VTEX, with two real workers (``flask worker orders``), against one
sequential worker (one order at a time) in the same run. Each variant gets fresh simulators and a fresh database.

PostgreSQL is used when ``BENCH_DATABASE_URL`` is set (recommended: many threads write at once); SQLite otherwise.
"""
import os
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


def run():
    two = _variant(workers=2, concurrency=8)
    one = _variant(workers=1, concurrency=1)
    print(f"{ORDERS:,} paid orders in one poll, simulators at {LATENCY_MS} ms a call:")
    for label, result in (("two workers", two), ("one sequential worker", one)):
        print(f"  {label:22} {result['seconds']:7.1f} s poll → all placed and dispatched "
              f"({result['placed']} VTEX orders, {result['ready']} ready for handling, {result['per_second']:.1f}/s)")
    print(f"  speed-up: {one['seconds'] / two['seconds']:.1f}× (target: under 60 s)")


def _variant(workers: int, concurrency: int) -> dict:
    with harness.simulator("vtex", {}) as vtex_url, \
            harness.simulator("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": 0}) as mirakl_url, \
            tempfile.TemporaryDirectory() as tmp:
        for sku in SKUS:
            requests.post(f"{vtex_url}/_admin/skus/{sku}", json={"stock": 1_000_000}).raise_for_status()
        prices = {sku: _price(vtex_url, sku) for sku in SKUS}
        for n in range(ORDERS):
            sku = SKUS[n % len(SKUS)]
            requests.post(f"{mirakl_url}/_admin/orders", json={
                "lines": [{"sku": sku, "quantity": 1, "price": prices[sku] / 100}], "state": "SHIPPING",
                "zip_code": "01310100", "shipping_price": 0}).raise_for_status()
        harness.knobs(vtex_url, latency_ms=LATENCY_MS)
        harness.knobs(mirakl_url, latency_ms=LATENCY_MS)
        app = harness.make_app(Path(tmp), ORDER_IMPORT_CONCURRENCY=concurrency)
        with app.app_context():
            from saas.jobs import schedule
            tenant = harness.wired_tenant(vtex_url, mirakl_url, divergence=100.0, auto_accept=False)
            env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                   "REDIS_URL": app.config["REDIS_URL"], "ORDER_IMPORT_CONCURRENCY": str(concurrency)}
            started = time.perf_counter()
            schedule.run_periodic("orders", tenant.id, "carrefour")
            processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "orders",
                                           "--burst"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL) for _ in range(workers)]
            for process in processes:
                process.wait()
            seconds = time.perf_counter() - started
        placed = requests.get(f"{vtex_url}/_admin/orders").json()
        return {"seconds": seconds, "placed": len(placed), "per_second": len(placed) / seconds,
                "ready": sum(o["status"] == "ready-for-handling" for o in placed)}


def _price(vtex_url, sku) -> int:
    body = requests.post(f"{vtex_url}/api/checkout/pub/orderForms/simulation?sc=1",
                         json={"items": [{"id": sku, "quantity": 1, "seller": "1"}]}).json()
    return body["items"][0]["price"]
