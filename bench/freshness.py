"""Freshness (issue: fresh within a minute): from a price or stock change at VTEX to the offer import that carries it
accepted (COMPLETE) at the marketplace, with the production intervals (sync every 600 s as a safety net, a tick every
10 s, Mirakl's one offer import a minute), on the Procfile's processes (web under gunicorn, the worker pool, the
scheduler) and the simulators: ``BENCH_FRESHNESS_CHANGES`` (200) changes spread over ``BENCH_FRESHNESS_SECONDS``
(600), each a new price or a new stock of a random listed SKU, which VTEX notifies. Mirakl takes
``IMPORT_SECONDS`` (5 s) to import a file, included. Target: p95 ≤ 70 s.

The baseline is the seed's schedule, a sync every 10 minutes, computed for the same change times and the same
import time (not run: it would take the same 10 minutes again, and its figures follow from the schedule alone):
a change waits for the store's next cycle, then for the import.
"""
import itertools
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench import harness

CHANGES = int(os.environ.get("BENCH_FRESHNESS_CHANGES", "200"))
SECONDS = float(os.environ.get("BENCH_FRESHNESS_SECONDS", "600"))
SKUS = 500
IMPORT_SECONDS = 5
PRODUCTION = {"SYNC_INTERVAL": "600", "TICK_INTERVAL": "10", "ORDERS_INTERVAL": "300", "REPORT_DELAY": "180"}
TARGET_P95 = 70


def run():
    with tempfile.TemporaryDirectory() as tmp, \
            harness.simulator("vtex", {"SANDBOX_VTEX_SKUS": SKUS}) as vtex_url, \
            harness.simulator("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": IMPORT_SECONDS,
                                         "SANDBOX_MIRAKL_APPROVAL_SECONDS": 0}) as mirakl_url:
        harness.knobs(vtex_url, latency_ms=20, item_latency_ms=0.5)
        tmp = Path(tmp)
        processes = _start(tmp, vtex_url, mirakl_url)
        try:
            loaded, offered = _wait_listed(mirakl_url)
            changes = _make_changes(vtex_url, offered)
            latencies, imports = _measure(mirakl_url, changes)
            memory = _worker_memory(processes["worker"].popen.pid)
        finally:
            for process in processes.values():
                process.stop()
    _report(loaded, changes, latencies, imports)
    print(f"  the worker pool: {len(memory)} workers, resident memory {', '.join(f'{mb:.0f}' for mb in memory)} MB")


def _start(tmp: Path, vtex_url: str, mirakl_url: str) -> dict:
    app, processes = harness.product_stack(tmp, PRODUCTION)
    with app.app_context():
        from saas.catalog.activation import activate
        from saas.extensions import db
        tenant_id = harness.wired_tenant(vtex_url, mirakl_url).id
        db.session.commit()
        activate(tenant_id, "carrefour")  # the affiliate, notified by VTEX, and the whole catalog pending
        db.session.remove()
    return processes


def _wait_listed(mirakl_url: str) -> tuple[float, list[str]]:
    """Seconds until the initial load has put its offers at Carrefour (their count steady), and their SKUs (the
    simulator's few broken SKUs have none)."""
    started, seen, steady = time.monotonic(), -1, 0
    while steady < 3:
        if time.monotonic() - started > 1800:
            raise RuntimeError("the initial load did not list the catalog")
        time.sleep(2)
        offers = requests.get(mirakl_url + "/_admin/state", timeout=30).json()["offers"]
        steady = steady + 1 if len(offers) == seen and seen > 0 else 0
        seen = len(offers)
    loaded = time.monotonic() - started
    time.sleep(60)  # the initial load's offer import counts against the minute, as any other
    return loaded, {o["shop_sku"]: round(o["price"] * 100) for o in offers}


def _make_changes(vtex_url: str, prices: dict[str, int]) -> list[dict]:
    """The changes, at their moments: a unique price or stock each, so the import that carries it is unambiguous;
    prices go up (a drop could be held by the price-drop guard, which is the point of the guard)."""
    skus = sorted(prices)
    rng = random.Random(17)
    start = time.time()
    changes = []
    for n in range(CHANGES):
        at = start + SECONDS * (n + rng.random()) / CHANGES
        time.sleep(max(0.0, at - time.time()))
        sku = rng.choice(skus)
        if n % 2:
            prices[sku] += 100 + n
            field, value = "price", prices[sku]
        else:
            field, value = "stock", 10_000 + n
        changed_at = time.time()
        requests.post(f"{vtex_url}/_admin/skus/{sku}", json={field: value}, timeout=10).raise_for_status()
        changes.append({"sku": sku, "field": field, "value": value, "at": changed_at})
    return changes


def _worker_memory(pool: int) -> list[float]:
    """The resident memory of each worker of the pool (the pool's own children), in MB."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields["PPid"]) == pool and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


def _carries(line: dict, change: dict) -> bool:
    """Whether the offer line carries the change, or a later change of the same value that superseded it before
    the sync (``change["values"]``: its own and the later ones)."""
    if line["sku"] != change["sku"]:
        return False
    if change["field"] == "price":
        return round(float(line["discount-price"] or line["price"]) * 100) in change["values"]  # de/por: the "por"
    return int(line["quantity"]) in change["values"]


def _measure(mirakl_url: str, changes: list[dict]) -> tuple[list[float], list[dict]]:
    """Each change's latency: the first offer import after it that carries its value (or a later one of the same
    SKU and field, which superseded it), COMPLETE."""
    for n, change in enumerate(changes):
        change["values"] = {change["value"]} | {c["value"] for c in changes[n + 1:]
                                                if (c["sku"], c["field"]) == (change["sku"], change["field"])}
    deadline = time.time() + 300
    while True:
        imports = sorted(requests.get(mirakl_url + "/_admin/imports/offers", timeout=30).json(),
                         key=lambda i: i["created"])
        latencies = []
        for change in changes:
            carrier = next((i for i in imports if i["created"] >= change["at"] and
                            any(_carries(line, change) for line in i["lines"])), None)
            if carrier is not None and carrier["complete_at"] <= time.time():
                latencies.append(carrier["complete_at"] - change["at"])
        if len(latencies) == len(changes) or time.time() > deadline:
            return latencies, [i for i in imports if i["created"] >= changes[0]["at"]]
        time.sleep(5)


def _seed_schedule(changes: list[dict]) -> list[float]:
    """The seed's latencies for the same changes: the next 10-minute cycle (its phase: the first change's
    moment), then the import."""
    phase, cycle = changes[0]["at"], 600
    return [cycle - (c["at"] - phase) % cycle + IMPORT_SECONDS for c in changes]


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _report(loaded: float, changes: list[dict], latencies: list[float], imports: list[dict]) -> None:
    seed = _seed_schedule(changes)
    gaps = [b["created"] - a["created"] for a, b in itertools.pairwise(imports)]
    print(f"freshness: {CHANGES} price and stock changes over {SECONDS:.0f} s, production intervals, Mirakl importing "
          f"in {IMPORT_SECONDS} s, the Procfile's processes ({os.cpu_count()} cores; initial load of {SKUS} SKUs "
          f"{loaded:.0f} s):")
    if len(latencies) < len(changes):
        print(f"  {len(changes) - len(latencies)} of {len(changes)} changes did not reach Carrefour within 5 minutes: "
              f"NOT met")
        return
    p95 = _p(latencies, 95)
    print(f"  change at VTEX → offer import COMPLETE: p50 {_p(latencies, 50):.0f} s, p95 {p95:.0f} s, max "
          f"{max(latencies):.0f} s, in {len(imports)} offer imports {min(gaps, default=0):.0f}–"
          f"{max(gaps, default=0):.0f} s apart")
    print(f"  baseline (the seed's 10-minute cycle, computed): p50 {_p(seed, 50):.0f} s, p95 {_p(seed, 95):.0f} s, "
          f"max {max(seed):.0f} s; {_p(seed, 95) / p95:.1f}× ours at p95")
    print(f"  target p95 ≤ {TARGET_P95} s: {'met' if p95 <= TARGET_P95 else 'NOT met'}")
