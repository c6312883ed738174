"""The operators' metrics, counted by every process together in Redis, for a Prometheus scrape of ``/metrics``.

Why Redis and not prometheus-client's multiprocess mode: that mode adds up the processes of one machine through
files in a directory they share, but the workers and the scheduler run on other machines (dynos, containers) than
the web that is scraped; a scrape would see the web's share only. Here each process adds its events up in memory
(no I/O where they happen: a VTEX read of an initial load, a freight quote) and a daemon thread writes them to one
Redis hash every ``FLUSH_EVERY`` seconds, in one pipelined round trip (HINCRBY); the process's exit and the scrape of
the web's own process flush too, and ``saas.web.metrics`` reads the hash. A process killed with ``kill -9`` loses
at most its last ``FLUSH_EVERY`` seconds. Counters only grow; should Redis lose them, Prometheus reads a counter
reset, which ``rate()`` handles. While Redis is down the counts wait in memory (their fields are few and fixed) and
the work does not wait for them.

Every metric and its labels are declared here. Labels take values from small fixed sets (queues, job functions,
marketplaces, outcomes, HTTP status classes), never a tenant, a SKU or an order: a series per tenant would grow with
the customers. Tenants are counted in buckets at scrape time instead.
"""
import atexit
import functools
import os
import threading
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError

KEY = "saas:metrics"


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    labels: tuple[str, ...]
    bounds: tuple[float, ...] = ()  # a histogram's bucket upper bounds (seconds); none for a counter


JOB_SECONDS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)
DELAY_SECONDS = (15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 21600)
QUOTE_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.5, 3)

METRICS = {m.name: m for m in (
    Metric("saas_jobs_total", "Jobs run by the workers, by function, queue and outcome (finished, failed, stopped)",
           ("function", "queue", "outcome")),
    Metric("saas_job_duration_seconds", "How long each job ran, by function and queue", ("function", "queue"),
           JOB_SECONDS),
    Metric("saas_change_to_offer_seconds", "From a SKU change reaching us (its oldest in the batch) to the "
           "marketplace's report of the offer import read complete", ("marketplace",), DELAY_SECONDS),
    Metric("saas_freight_quote_seconds", "Freight quotes answered to the marketplace, by outcome (quoted, cached, "
           "empty, failed)", ("marketplace", "outcome"), QUOTE_SECONDS),
    Metric("saas_orders_total", "Order imports into VTEX, by outcome (imported, or the cause of a failed attempt)",
           ("marketplace", "outcome")),
    Metric("saas_order_placement_seconds", "From an order's first sight at the marketplace to its placement at VTEX",
           ("marketplace",), DELAY_SECONDS),
    Metric("saas_outbound_calls_total", "Calls to VTEX and the Mirakl marketplaces, by answer: the status class "
           "(2xx, 4xx, 5xx), 429, timeout or unreachable", ("service", "marketplace", "status")),
    Metric("saas_mirakl_budget_waits_total", "Mirakl calls not made because the shop's hourly budget was spent "
           "(budget) or Mirakl asked it to wait (retry_after)", ("marketplace", "reason")),
)}


def count(name: str, amount: int = 1, **labels: str) -> None:
    """Add ``amount`` to a counter."""
    _add({_field(name, labels): amount})


def observe(name: str, value: float, **labels: str) -> None:
    """One observation of a histogram: its bucket, its count and its sum (milliseconds, to stay whole numbers)."""
    metric = METRICS[name]
    base = _field(name, labels)
    bucket = next((i for i, bound in enumerate(metric.bounds) if value <= bound), len(metric.bounds))
    _add({f"{base}|b{bucket}": 1, f"{base}|ms": max(0, round(value * 1000))})


def read(redis) -> tuple[dict, dict]:
    """(counters, histograms) as stored: ``{(name, labels): value}`` and
    ``{(name, labels): (cumulative bucket counts, sum in seconds)}``, ``labels`` a tuple of values in declared order.
    Fields of metrics no longer declared (an older version of the code) are skipped."""
    counters, histograms = {}, {}
    for raw_field, raw_value in redis.hgetall(KEY).items():
        name, values, *part = raw_field.decode().split("|")
        metric = METRICS.get(name)
        labels = tuple(values.split(",")) if values else ()
        if metric is None or len(labels) != len(metric.labels):
            continue
        if not metric.bounds:
            counters[(name, labels)] = int(raw_value)
            continue
        buckets, total = histograms.setdefault((name, labels), ([0] * (len(metric.bounds) + 1), [0]))
        if part == ["ms"]:
            total[0] = int(raw_value)
        elif part and part[0].startswith("b") and part[0][1:].isdigit() and int(part[0][1:]) < len(buckets):
            buckets[int(part[0][1:])] = int(raw_value)
    return counters, {key: (_cumulative(buckets), total[0] / 1000) for key, (buckets, total) in histograms.items()}


def _cumulative(buckets: list[int]) -> list[int]:
    running, out = 0, []
    for n in buckets:
        running += n
        out.append(running)
    return out


def _field(name: str, labels: dict) -> str:
    metric = METRICS[name]
    if set(labels) != set(metric.labels):
        raise ValueError(f"{name} takes the labels {metric.labels}, not {tuple(labels)}")
    return f"{name}|" + ",".join(_clean(labels[label]) for label in metric.labels)


def _clean(value) -> str:
    """A label value that cannot break the field's separators, nor grow without end."""
    return str(value or "").translate(str.maketrans("|,", "//"))[:60]


FLUSH_EVERY = 2.0  # seconds between two writes of a process's counts


def init_app(app) -> None:
    """Where counts made outside an app context go (a job's pool of VTEX read threads): the app's Redis."""
    global _url
    _url = app.config["REDIS_URL"]


_url: str | None = None
_pending: dict[str, dict[str, int]] = {}  # Redis URL → field → amount not written yet
_lock = threading.Lock()
_flusher_pid: int | None = None


def _add(fields: dict[str, int]) -> None:
    url = current_app.config["REDIS_URL"] if has_app_context() else _url
    if not url:
        return  # a script outside any app counts nothing
    with _lock:
        waiting = _pending.setdefault(url, {})
        for field, amount in fields.items():
            waiting[field] = waiting.get(field, 0) + amount
    if _flusher_pid != os.getpid():
        _start_flusher()


def flush() -> None:
    """Write this process's counts to Redis now; kept for the next flush while Redis does not answer."""
    with _lock:
        taken = {url: fields for url, fields in _pending.items() if fields}
        _pending.clear()
    for url, fields in taken.items():
        try:
            pipe = _redis_at(url).pipeline(transaction=False)
            for field, amount in fields.items():
                pipe.hincrby(KEY, field, amount)
            pipe.execute()
        except RedisError:
            with _lock:
                waiting = _pending.setdefault(url, {})
                for field, amount in fields.items():
                    waiting[field] = waiting.get(field, 0) + amount


def _start_flusher() -> None:
    global _flusher_pid
    with _lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
    threading.Thread(target=_flush_forever, name="metrics-flush", daemon=True).start()


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_EVERY)
        flush()


def _forget_in_child() -> None:
    """A forked process starts with no counts (its parent writes its own) and starts its own flusher."""
    global _lock, _flusher_pid
    _lock, _flusher_pid = threading.Lock(), None
    _pending.clear()


os.register_at_fork(after_in_child=_forget_in_child)
atexit.register(flush)


@functools.cache
def _redis_at(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
