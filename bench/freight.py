"""Freight route benchmark (issue: order events and the public freight quote).

The load comes from ``wrk`` (Debian's package) when it is installed, so that the client does not take the CPU the
server needs; otherwise from Python threads, which on a small machine inflate every figure.

The freight route under load on loopback: gunicorn as in the Procfile, the VTEX simulator at 50 ms a call, 50
concurrent clients. Measured, in the same run: the simulator's own simulation endpoint (the floor any quote pays),
our route with every request distinct (uncached) and with one request repeated (cached). p50, p99, throughput.
Targets: p99 at most 30 ms above the simulator's, uncached; under 10 ms cached.
"""
import os
import re
import shutil
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
WRK_SECONDS = int(os.environ.get("BENCH_FREIGHT_SECONDS", "15"))
LATENCY_MS = 50
ROUTE = "/api/carrefourintegration/pub/loja-bench/freight"
# Each wrk thread numbers its requests from its own offset, so "distinct" requests never repeat.
_THREADS_LUA = """
local threads = 0
function setup(thread) thread:set("offset", threads * 4000000); threads = threads + 1 end
function init(args) counter = offset end
"""
SIMULATION_LUA = _THREADS_LUA + """
function request()
  counter = counter + 1
  local body = string.format('{"items":[{"id":"1001","quantity":1,"seller":"1"}],"postalCode":"0%07d",'
    .. '"country":"BRA"}', 1000000 + counter)
  return wrk.format("POST", "/api/checkout/pub/orderForms/simulation?sc=1",
                    {["Content-Type"] = "application/json"}, body)
end
"""
UNCACHED_LUA = _THREADS_LUA + """
function request()
  counter = counter + 1
  return wrk.format("GET", string.format("ROUTE?postalCode=0%07d&items=1001:1", 1000000 + counter))
end
"""
CACHED_LUA = """
function request() return wrk.format("GET", "ROUTE?postalCode=01310100&items=1001:1") end
"""


def run():
    with harness.simulator("vtex", {}, workers=2, threads=64) as vtex_url, tempfile.TemporaryDirectory() as tmp:
        for sku in ("1001", "1002"):
            requests.post(f"{vtex_url}/_admin/skus/{sku}", json={"stock": 1_000_000}).raise_for_status()
        harness.knobs(vtex_url, latency_ms=LATENCY_MS)
        app = harness.make_app(Path(tmp))
        with app.app_context():
            harness.wired_tenant(vtex_url, "http://127.0.0.1:9", slug="loja-bench")
        with _web(app, tmp) as web_url:
            if shutil.which("wrk"):
                for clients, base in ((CLIENTS, 1_000_000), (5, 5_500_000)):  # distinct CEPs in each pass
                    _report(clients, f"wrk, {WRK_SECONDS} s each", *_measure_wrk(vtex_url, web_url, clients, base))
            else:
                _report(CLIENTS, f"Python threads, {REQUESTS:,} requests each", *_measure_threads(vtex_url, web_url))


def _measure_wrk(vtex_url, web_url, clients, base):
    def script(lua):
        return lua.replace("ROUTE", ROUTE).replace("1000000", str(base))
    return (_wrk(vtex_url, script(SIMULATION_LUA), clients), _wrk(web_url, script(UNCACHED_LUA), clients),
            _wrk(web_url, script(CACHED_LUA), clients))


def _measure_threads(vtex_url, web_url):
    route = web_url + ROUTE
    return (_load(lambda i: ("POST", f"{vtex_url}/api/checkout/pub/orderForms/simulation?sc=1",
                             {"items": [{"id": "1001", "quantity": 1, "seller": "1"}],
                              "postalCode": f"0{1000000 + i:07d}", "country": "BRA"})),
            _load(lambda i: ("GET", f"{route}?postalCode=0{1000000 + i:07d}&items=1001:1", None)),
            _load(lambda i: ("GET", f"{route}?postalCode=01310100&items=1001:1", None)))


def _report(clients, client, simulator, uncached, cached):
    print(f"freight quote, {clients} concurrent clients ({client}), VTEX simulator at {LATENCY_MS} ms, "
          f"gunicorn {os.environ.get('WEB_CONCURRENCY', '4')}×{os.environ.get('WEB_THREADS', '16')}:")
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
                    "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "4"),
                    "WEB_THREADS": os.environ.get("WEB_THREADS", "16"), "PORT": str(harness.free_port())}

    def __enter__(self):
        command = next(line.split(":", 1)[1].strip() for line in (ROOT / "Procfile").read_text().splitlines()
                       if line.startswith("web:"))
        self.process = subprocess.Popen(["bash", "-c", f"exec {command}"], env={
            **self.env, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{self.env['PORT']}"
        harness.wait_until_up(url + "/healthz")
        return url

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def _wrk(base_url: str, script: str, clients: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{WRK_SECONDS}s", "--latency", "-s", lua.name,
                              base_url], capture_output=True, text=True, check=True).stdout
    percentiles = {int(p): _ms(v, unit) for p, v, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$",
                                                                      out, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": percentiles[50], "p99": percentiles[99],
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


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
