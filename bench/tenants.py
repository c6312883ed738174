"""A thousand stores at once (issue: fair across a thousand stores), on the Procfile's processes (web under gunicorn,
the worker pool, the scheduler) with the production intervals: ``BENCH_TENANTS_STORES`` (1,000) stores, each with its
own VTEX account and Carrefour shop (the many-shop simulators, ``saas.sandbox.shops``) and a small catalog, each
getting a few SKU changes per sync interval and one paid order per 5 minutes, while one more store runs the initial
load of ``BENCH_TENANTS_BIG`` (100,000) SKUs, for ``BENCH_TENANTS_SECONDS`` (600).

Targets: order imports wait p95 < 30 s in the queue (RQ's own enqueued → started of every import job); no store's
change waits more than one sync interval for its offer import to be COMPLETE at its shop; no job of the big store
holds a worker for minutes. Each order's whole wait is printed too, from its creation at the marketplace to its
placement at VTEX: it takes two polls (one accepts it, the next imports it once paid), so the run waits
``TAIL`` seconds after the window for the last ones.
The baseline is the seed's layout, computed rather than run: one worker for every queue in FIFO order, so an import
queued behind the big store's one-piece initial load waits for all of it (its length measured by ``bench.sync``).
"""
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import requests
from rq.job import Job
from rq.registry import FinishedJobRegistry

from bench import harness
from bench.freshness import _worker_memory

STORES = int(os.environ.get("BENCH_TENANTS_STORES", "1000"))
SECONDS = float(os.environ.get("BENCH_TENANTS_SECONDS", "600"))
BIG = int(os.environ.get("BENCH_TENANTS_BIG", "100000"))
SKUS = 10          # each small store's catalog: the simulator makes its last 4 unsellable on purpose
CHANGES = 3        # per small store and sync interval
PRODUCTION = {"SYNC_INTERVAL": "600", "TICK_INTERVAL": "10", "ORDERS_INTERVAL": "300", "REPORT_DELAY": "180"}
ORDER_EVERY = 300
# An order needs two polls, one accepts it and the next imports it: the run waits that long after the window.
TAIL = float(os.environ.get("BENCH_TENANTS_TAIL", 2 * int(PRODUCTION["ORDERS_INTERVAL"]) + 60))
TARGET_IMPORT_WAIT = 30
SEED_INITIAL_LOAD_MINUTES = 8  # one worker reading 100,000 contexts at VTEX's catalog rate (bench.sync)


def run():
    with tempfile.TemporaryDirectory() as tmp, \
            harness.shops_server("vtex", {"SANDBOX_SHOPS_SKUS": SKUS}, STORES) as vtex_url, \
            harness.shops_server("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": 2,
                                            "SANDBOX_MIRAKL_APPROVAL_SECONDS": 0}, STORES + 1) as mirakl_url, \
            harness.simulator("vtex", {"SANDBOX_VTEX_SKUS": BIG}) as big_vtex_url:
        tmp = Path(tmp)
        app, processes = harness.product_stack(tmp, PRODUCTION)
        try:
            stores, ready = _setup(app, vtex_url, mirakl_url)
            watcher = JobWatcher(app)
            watcher.start()
            started = time.time()
            big = _start_big_store(app, big_vtex_url, f"{mirakl_url}/shops/{STORES + 1}")
            driver = Driver(vtex_url, mirakl_url, stores)
            changes = driver.run(SECONDS)
            time.sleep(TAIL)  # the last orders' two polls (accept, then import) and the last changes' imports
            watcher.stop()
            memory = _worker_memory(processes["worker"].popen.pid)
            delays = _change_delays(mirakl_url, stores, changes)
            order_delays = _order_delays(vtex_url, stores, driver.orders)
            big_state = _big_store_state(app, big, started)
        finally:
            for process in processes.values():
                process.stop()
    _report(len(stores), ready, watcher, delays, order_delays, big, big_state, memory)


def _setup(app, vtex_url: str, mirakl_url: str, count: int = STORES) -> tuple[dict[int, dict], float]:
    """``count`` small stores, each wired to its own account and shop and activated through the queue; answers each
    store's number → {tenant, skus offered at its shop}, once their offers are live, and how long that took."""
    from saas.catalog.activation import activate
    from saas.extensions import db
    from saas.jobs.queues import enqueue
    started = time.monotonic()
    with app.app_context():
        owner = harness.bench_owner()
        tenants = {n: harness.wired_tenant(f"{vtex_url}/shops/{n}", f"{mirakl_url}/shops/{n}", slug=f"loja-{n}",
                                           owner=owner, vtex_account=f"loja{n}").id
                   for n in range(1, count + 1)}
        db.session.commit()
        for tenant_id in tenants.values():
            enqueue(activate, tenant_id, "carrefour")
        db.session.remove()
    stores = {}
    deadline = time.monotonic() + 1800
    while len(stores) < count and time.monotonic() < deadline:
        time.sleep(10)
        with ThreadPoolExecutor(16) as pool:
            for n, offers in pool.map(lambda n: (n, _offers(mirakl_url, n)), [n for n in tenants if n not in stores]):
                if offers:
                    stores[n] = {"tenant": tenants[n], "offers": offers}
        print(f"  … {len(stores)} of {count} stores live after {time.monotonic() - started:.0f} s", file=sys.stderr,
              flush=True)
    return stores, time.monotonic() - started


def _offers(mirakl_url: str, number: int) -> dict[str, float]:
    """The shop's offers, by SKU: their price; None until all the sellable ones are there (or none is in stock)."""
    offers = requests.get(f"{mirakl_url}/shops/{number}/_admin/state", timeout=30).json()["offers"]
    in_stock = {o["shop_sku"]: o["price"] for o in offers if o["quantity"] > 0}
    return in_stock if len(offers) >= SKUS - 4 and in_stock else None


def _start_big_store(app, vtex_url: str, mirakl_url: str) -> int:
    from saas.catalog.activation import activate
    from saas.extensions import db
    from saas.jobs.queues import enqueue
    with app.app_context():
        tenant_id = harness.wired_tenant(vtex_url, mirakl_url, slug="loja-grande", owner=harness.bench_owner(),
                                         vtex_account="lojagrande").id
        db.session.commit()
        enqueue(activate, tenant_id, "carrefour")
        db.session.remove()
    return tenant_id


class Driver:
    """The merchants and the buyers: each store gets ``CHANGES`` price changes per sync interval and one order per
    ``ORDER_EVERY`` seconds, each at its own moments."""

    def __init__(self, vtex_url, mirakl_url, stores):
        self.vtex_url, self.mirakl_url, self.stores = vtex_url, mirakl_url, stores
        self.rng = random.Random(23)
        self.orders: list[dict] = []  # each order created: its store, Mirakl id and moment

    def run(self, seconds: float) -> list[dict]:
        start = time.time()
        events = []
        for n in self.stores:
            for k in range(int(seconds // 600 * CHANGES) or CHANGES):
                events.append((start + self.rng.random() * seconds, "change", n, k))
            for k in range(int(seconds // ORDER_EVERY)):
                events.append((start + (k + self.rng.random()) * ORDER_EVERY, "order", n, k))
        events.sort()
        changes, guard = [], threading.Lock()

        def fire(event):
            at, kind, n, k = event
            time.sleep(max(0.0, at - time.time()))
            store = self.stores[n]
            sku = self.rng.choice(sorted(store["offers"]))
            if kind == "order":
                created_at = time.time()
                created = requests.post(f"{self.mirakl_url}/shops/{n}/_admin/orders",
                                        json={"lines": [{"sku": sku, "quantity": 1}]}, timeout=30)
                created.raise_for_status()
                with guard:
                    self.orders.append({"store": n, "id": created.json()["order_id"], "at": created_at})
                return
            price = round(store["offers"][sku] * 100) + 100 * (k + 1)
            changed = time.time()
            requests.post(f"{self.vtex_url}/shops/{n}/_admin/skus/{sku}", json={"price": price},
                          timeout=30).raise_for_status()
            with guard:
                changes.append({"tenant": store["tenant"], "sku": sku, "at": changed})

        with ThreadPoolExecutor(32) as pool:
            list(pool.map(fire, events))
        return changes


class JobWatcher(threading.Thread):
    """Every job the workers finish, as RQ recorded it (enqueued, started, ended), read from its registries before
    their results expire."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.jobs, self.done = app, {}, threading.Event()

    def run(self):
        while not self.done.wait(20):
            self.collect()
        self.collect()

    def stop(self):
        self.done.set()
        self.join()

    def collect(self):
        from saas.jobs.queues import queue
        with self.app.app_context():
            for name in ("orders", "default", "sync"):
                q = queue(name)
                ids = [i for i in FinishedJobRegistry(queue=q).get_job_ids() if i not in self.jobs]
                for job in Job.fetch_many(ids, connection=q.connection):
                    if job is not None and job.started_at and job.ended_at:
                        self.jobs[job.id] = {"queue": name, "func": job.func_name, "args": job.args,
                                             "wait": (job.started_at - job.enqueued_at).total_seconds(),
                                             "length": (job.ended_at - job.started_at).total_seconds()}

    def of(self, func: str) -> list[dict]:
        return [j for j in self.jobs.values() if j["func"].endswith(func)]


def _change_delays(mirakl_url: str, stores: dict[int, dict], changes: list[dict]) -> list[float]:
    """Each change's wait until the first offer import of its store's shop that carries its SKU is COMPLETE, as the
    shop's simulator says (a missing one counts as forever)."""
    numbers = {store["tenant"]: n for n, store in stores.items()}
    wanted = sorted({numbers[c["tenant"]] for c in changes})
    with ThreadPoolExecutor(16) as pool:
        imports = dict(zip(wanted, pool.map(
            lambda n: requests.get(f"{mirakl_url}/shops/{n}/_admin/imports/offers", timeout=60).json(), wanted),
            strict=True))
    delays = []
    for change in changes:
        carried = [i["complete_at"] for i in imports[numbers[change["tenant"]]]
                   if i["created"] >= change["at"] and any(line["sku"] == change["sku"] for line in i["lines"])]
        delays.append(min(carried) - change["at"] if carried else float("inf"))
    return delays


def _order_delays(vtex_url: str, stores: dict[int, dict], orders: list[dict]) -> list[float]:
    """Each order's wait from its creation at the marketplace to its placement at its store's VTEX: the polls that
    find it (waiting for acceptance, then paid) included; one never placed counts as forever."""
    wanted = sorted({o["store"] for o in orders})
    with ThreadPoolExecutor(16) as pool:
        placed = dict(zip(wanted, pool.map(
            lambda n: {o["marketplaceOrderId"]: datetime.fromisoformat(o["creationDate"].replace("Z", "+00:00"))
                       for o in requests.get(f"{vtex_url}/shops/{n}/_admin/orders", timeout=60).json()}, wanted),
            strict=True))
    return [placed[o["store"]][o["id"]].timestamp() - o["at"] if o["id"] in placed[o["store"]] else float("inf")
            for o in orders]


def _epoch(moment) -> float:
    """A naive UTC datetime of the database as a Unix time."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _big_store_state(app, tenant_id: int, started: float) -> dict:
    from saas.catalog.models import ImportBatch, SkuChange, StagedProduct
    with app.app_context():
        products = ImportBatch.query.filter_by(tenant_id=tenant_id, kind="product").order_by(ImportBatch.id)
        return {"product_files": [(_epoch(p.created_at) - started, len(p.sku_ids)) for p in products],
                "staged": StagedProduct.query.filter_by(tenant_id=tenant_id).count(),
                "pending": SkuChange.query.filter_by(tenant_id=tenant_id).count()}


def _p(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _report(live, ready, watcher, delays, order_delays, big, big_state, memory) -> None:
    imports = [j["wait"] for j in watcher.of("import_batch")]
    syncs = [j for j in watcher.of("run_periodic") if j["queue"] == "sync"]
    big_parts = [j["length"] for j in syncs if j["args"][1] == big]
    others = [j["length"] for j in syncs if j["args"][1] != big]
    print(f"tenants: {STORES} stores of {SKUS} SKUs ({CHANGES} price changes a store per 600 s, an order a store per "
          f"{ORDER_EVERY} s) and one initial load of {BIG:,} SKUs, for {SECONDS:.0f} s, production intervals, the "
          f"Procfile's processes ({os.cpu_count()} cores); {live} stores activated and live in {ready:.0f} s")
    if imports:
        p95 = _p(imports, 95)
        print(f"  order imports: {len(imports)} jobs, queue wait p50 {_p(imports, 50):.1f} s, p95 {p95:.1f} s, max "
              f"{max(imports):.1f} s; target p95 < {TARGET_IMPORT_WAIT} s: "
              f"{'met' if p95 < TARGET_IMPORT_WAIT else 'NOT met'}")
    else:
        print("  order imports: none ran: NOT met")
    placed = [d for d in order_delays if d != float("inf")]
    print(f"  orders: {len(placed)} of {len(order_delays)} placed at VTEX; created at the marketplace → placed "
          f"p50 {_p(placed, 50):.0f} s, p95 {_p(placed, 95):.0f} s, max {max(placed, default=0):.0f} s (two polls of "
          f"{PRODUCTION['ORDERS_INTERVAL']} s: one accepts the order, the next imports it once paid)")
    worst = max(delays, default=float("inf"))
    print(f"  price changes: {len(delays)}, change → its store's offer import COMPLETE p50 {_p(delays, 50):.0f} s, "
          f"p95 {_p(delays, 95):.0f} s, max {worst:.0f} s; target: none later than one sync interval (600 s): "
          f"{'met' if worst <= 600 else 'NOT met'}")
    if big_parts:
        print(f"  the big store: {len(big_parts)} sync runs, the longest {max(big_parts):.0f} s (other stores' "
              f"longest {max(others, default=0):.1f} s); product files: "
              + (", ".join(f"{skus:,} SKUs at +{at:.0f} s" for at, skus in big_state["product_files"]) or "none")
              + f"; at the end {big_state['staged']:,} contexts staged, {big_state['pending']:,} changes pending")
    print(f"  baseline (the seed's one worker, one FIFO, computed): an import queued behind the big store's one-piece "
          f"initial load waits up to {SEED_INITIAL_LOAD_MINUTES * 60} s")
    print(f"  the worker pool: {len(memory)} workers, resident memory {', '.join(f'{mb:.0f}' for mb in memory)} MB")
    harness.summary("tenants", f"change → offer import COMPLETE p95 {_p(delays, 95):.0f} s, max {worst:.0f} s; order "
                    f"created → placed p95 {_p(placed, 95):.0f} s ({len(placed)} of {len(order_delays)} placed); "
                    f"import jobs' queue wait p95 {_p(imports, 95):.1f} s",
                    f"an import behind the big store's one-piece initial load: up to {SEED_INITIAL_LOAD_MINUTES * 60} "
                    "s (the seed's one worker and one FIFO, computed)",
                    f"{2 * int(PRODUCTION['ORDERS_INTERVAL'])} s an order at worst (two polls); 60 s a change (one "
                    "offer import a minute)")
