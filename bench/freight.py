"""Freight route benchmark (issue: order events and the public freight quote).

The freight route under load on loopback: gunicorn as in the Procfile, the VTEX simulator at 50 ms a call, 50
concurrent clients. Measured, in the same run: the simulator's own simulation endpoint (the floor any quote pays),
our route with every request distinct (uncached) and with one request repeated (cached). p50, p99, throughput.
Targets: p99 at most 30 ms above the simulator's, uncached; under 10 ms cached.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import harness
from saas.config import ROOT

CLIENTS = 50
REQUESTS = int(os.environ.get("BENCH_FREIGHT_REQUESTS", "3000"))
LATENCY_MS = 50


def run():
    with harness.simulator("vtex", {}, workers=2, threads=64) as vtex_url, tempfile.TemporaryDirectory() as tmp:
        for sku in ("1001", "1002"):
            requests.post(f"{vtex_url}/_admin/skus/{sku}", json={"stock": 1_000_000}).raise_for_status()
        harness.knobs(vtex_url, latency_ms=LATENCY_MS)
        app = harness.make_app(Path(tmp))
        with app.app_context():
            harness.wired_tenant(vtex_url, "http://127.0.0.1:9", slug="loja-bench")
        with _web(app, tmp) as web_url:
            route = f"{web_url}/api/carrefourintegration/pub/loja-bench/freight"
            simulator = _load(lambda i: ("POST", f"{vtex_url}/api/checkout/pub/orderForms/simulation?sc=1",
                                         {"items": [{"id": "1001", "quantity": 1, "seller": "1"}],
                                          "postalCode": f"0{1000000 + i:07d}", "country": "BRA"}))
            uncached = _load(lambda i: ("GET", f"{route}?postalCode=0{1000000 + i:07d}&items=1001:1", None))
            cached = _load(lambda i: ("GET", f"{route}?postalCode=01310100&items=1001:1", None))
    print(f"freight quote, {CLIENTS} concurrent clients, {REQUESTS:,} requests each, VTEX simulator at "
          f"{LATENCY_MS} ms:")
    for label, r in (("VTEX simulator itself", simulator), ("our route, uncached", uncached),
                     ("our route, cached", cached)):
        print(f"  {label:22} p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  {r['rps']:7.0f} req/s  "
              f"({r['errors']} errors)")
    print(f"  uncached p99 − simulator p99: {uncached['p99'] - simulator['p99']:+.1f} ms (target ≤ 30 ms); "
          f"cached p99 {cached['p99']:.1f} ms (target < 10 ms)")


class _web:
    """Our app under gunicorn, started with the Procfile's own web command."""

    def __init__(self, app, tmp):
        self.env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "REDIS_URL": app.config["REDIS_URL"], "FREIGHT_RATE_LIMIT": "1000000 per minute",
                    "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
                    "WEB_THREADS": os.environ.get("WEB_THREADS", "32"), "PORT": str(harness.free_port())}

    def __enter__(self):
        command = next(line.split(":", 1)[1].strip() for line in (ROOT / "Procfile").read_text().splitlines()
                       if line.startswith("web:"))
        command = command.replace("--access-logfile -", "")
        self.process = subprocess.Popen(["bash", "-c", f"exec {command}"], env={
            **self.env, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{self.env['PORT']}"
        harness.wait_until_up(url + "/healthz")
        return url

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def _load(make_request) -> dict:
    """``REQUESTS`` requests from ``CLIENTS`` threads, each with its own keep-alive session."""
    latencies, errors, counter, lock = [], [0], iter(range(REQUESTS)), threading.Lock()

    def client():
        session = requests.Session()
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            method, url, body = make_request(index)
            started = time.perf_counter()
            response = session.request(method, url, json=body, timeout=10)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += response.status_code != 200

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"p50": statistics.median(latencies), "p99": latencies[int(len(latencies) * 0.99) - 1],
            "rps": len(latencies) / wall, "errors": errors[0]}
