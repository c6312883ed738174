"""Scale-out (issue: operate it like a service): what a second worker machine adds, measured in one run.

Two layouts of the Procfile's processes, each on a fresh database, Redis database and simulators:
- **one group**: web, scheduler and one worker pool (``WORKER_PROCESSES``, 3);
- **two groups**: the same, plus a second worker pool standing for a second machine: it runs from a copy of the
  code in a directory of its own, with its own ``HOME`` and temporary directory, and shares nothing with the first
  but PostgreSQL and Redis (the web and the scheduler stay on the first "machine").

Each layout does the same work, all at once, as a thousand merchants would after a launch (syncs every 60 s and
reports read 10 s after each file, so that the work, not the production's waits, sets the pace):
``BENCH_SCALEOUT_STORES`` (1,000) stores of 10 SKUs, each with its own VTEX account and Carrefour shop (the many-shop
simulators), activated together (the initial load of each: catalog reads at VTEX, a product file, an offer file, their
reports); then every offered SKU of every store changes price at VTEX at once. Throughput is stores live a minute,
and changes whose offer import is COMPLETE at their shop a minute. The CPU each group used says how the work was
shared.

On one machine both groups share its cores with the simulators and PostgreSQL: the figure says what the second
group adds when the work waits on the network (VTEX, Mirakl), and that nothing serialises across machines (locks,
the scheduler, the hand-out of due stores); a second real machine also brings its own cores.
"""
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench import harness
from bench.tenants import SKUS, _change_delays, _p, _setup

STORES = int(os.environ.get("BENCH_SCALEOUT_STORES", "1000"))
WORKER_PROCESSES = 3
# Short waits, so that the work, not the waiting, sets the pace: a store is live after its product file's report,
# which production reads 180 s after the file, and the next sync in production comes 10 minutes later.
INTERVALS = {"SYNC_INTERVAL": "60", "TICK_INTERVAL": "5", "ORDERS_INTERVAL": "300", "REPORT_DELAY": "10",
             "WORKER_PROCESSES": str(WORKER_PROCESSES)}
DEADLINE = 1800


def run():
    results = {groups: _one_layout(groups) for groups in (1, 2)}
    one, two = results[1], results[2]
    print(f"scale-out: {STORES} stores of {SKUS} SKUs activated at once, then every offered SKU's price changed at "
          f"once; pools of {WORKER_PROCESSES} workers; {os.cpu_count()} cores shared by everything")
    for groups, result in results.items():
        print(f"  {groups} group{'s' if groups > 1 else ''}: {result['live']} stores live in {result['ready']:.0f} s "
              f"({result['stores_rate']:.0f} a minute); {len(result['delays'])} changes COMPLETE in "
              f"{result['burst']:.0f} s ({result['changes_rate']:.0f} a minute; each p50 "
              f"{_p(result['delays'], 50):.0f} s, p95 {_p(result['delays'], 95):.0f} s); worker CPU by group "
              f"{result['cpu']}; code from "
              f"{result['code']}")
    harness.summary("scale-out", f"two worker groups {two['stores_rate']:.0f} stores live a minute "
                    f"({two['stores_rate'] / one['stores_rate']:.2f}× one group), {two['changes_rate']:.0f} changes "
                    f"COMPLETE a minute ({two['changes_rate'] / one['changes_rate']:.2f}×)",
                    f"one group {one['stores_rate']:.0f} stores a minute, {one['changes_rate']:.0f} changes a minute")


def _one_layout(groups: int) -> dict:
    print(f"  … {groups} worker group(s)", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp, \
            harness.shops_server("vtex", {"SANDBOX_SHOPS_SKUS": SKUS}, STORES) as vtex_url, \
            harness.shops_server("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": 2,
                                            "SANDBOX_MIRAKL_APPROVAL_SECONDS": 0}, STORES) as mirakl_url:
        tmp = Path(tmp)
        port = harness.free_port()
        web_url = f"http://127.0.0.1:{port}"
        app = harness.make_app(tmp, PUBLIC_BASE_URL=web_url)
        env = harness.product_env(app, INTERVALS, web_url)
        processes = harness.product_processes(env, port, tmp)
        workers = [processes["worker"]]
        for n in range(2, groups + 1):
            workers.append(_machine(tmp / f"machine-{n}", env))
        try:
            for process in [*processes.values(), *workers[1:]]:
                process.start()
            harness.wait_until_up(web_url + "/healthz", timeout=60)
            stores, ready = _setup(app, vtex_url, mirakl_url, count=STORES)
            burst_started, changes = _change_every_price(vtex_url, mirakl_url, stores)
            delays = _change_delays(mirakl_url, stores, changes)
            burst = max((c["at"] + d for c, d in zip(changes, delays, strict=True) if d != float("inf")),
                        default=burst_started) - burst_started
            code = sorted({os.path.realpath(f"/proc/{w.popen.pid}/cwd") for w in workers})
            cpu = [round(harness.tree_cpu_seconds(w.popen.pid)) for w in workers]
        finally:
            for process in [*processes.values(), *workers[1:]]:
                process.stop()
    done = [d for d in delays if d != float("inf")]
    return {"live": len(stores), "ready": ready, "stores_rate": len(stores) / ready * 60, "delays": done,
            "burst": burst, "changes_rate": len(done) / burst * 60 if burst else 0.0,
            "cpu": " + ".join(f"{c} s" for c in cpu), "code": ", ".join(Path(c).name for c in code)}


def _machine(home: Path, env: dict) -> harness.Process:
    """A worker pool as on a machine of its own: a copy of the code, its own home and temporary directory."""
    code = home / "app"
    shutil.copytree(harness.ROOT, code, ignore=shutil.ignore_patterns(
        ".git", ".venv", "instance", "__pycache__", "docs", "tests", "bench", "*.db", ".pytest_cache", ".ruff_cache"))
    (home / "tmp").mkdir()
    own = {**env, "HOME": str(home), "TMPDIR": str(home / "tmp")}
    return harness.Process(f"worker-{home.name}", [*harness.FLASK, "worker"], own, home, cwd=code)


def _change_every_price(vtex_url: str, mirakl_url: str, stores: dict[int, dict]) -> tuple[float, list[dict]]:
    """Every offered SKU of every store one real more at VTEX, at once; waits until an offer import carrying each
    change is COMPLETE at its shop (or the deadline); answers when the burst began and its changes."""
    targets = [(n, sku, price) for n, store in stores.items() for sku, price in store["offers"].items()]
    started = time.time()

    def change(target):
        n, sku, price = target
        at = time.time()
        requests.post(f"{vtex_url}/shops/{n}/_admin/skus/{sku}", json={"price": round(price * 100) + 100},
                      timeout=60).raise_for_status()
        return {"tenant": stores[n]["tenant"], "sku": sku, "at": at}

    with ThreadPoolExecutor(32) as pool:
        changes = list(pool.map(change, targets))
    while time.time() - started < DEADLINE:
        time.sleep(15)
        waiting = sum(1 for delay in _change_delays(mirakl_url, stores, changes) if delay == float("inf"))
        print(f"  … {len(changes) - waiting} of {len(changes)} changes COMPLETE at their shops after "
              f"{time.time() - started:.0f} s", file=sys.stderr, flush=True)
        if not waiting:
            break
    return started, changes
