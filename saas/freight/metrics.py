"""Freight quotes counted per store, marketplace and hour in Redis, never a row per quote: a latency histogram, cache
hits, answers with no option and failures by cause; and the last failed requests, so the merchant can replay them.

A quote costs one Redis round trip: HINCRBY of its latency bucket and one more for a cache hit or a failure,
pipelined (the operators' latency metric, ``saas.metrics``, is added up in memory); the key's expiry is set once per
hour and process. The count of quotes, answers over 800 ms and the percentiles all come from the histogram. While
Redis is down nothing is counted, and the quote does not wait for it.
"""
import bisect
import contextlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from saas import metrics
from saas.extensions import redis_connection
from saas.timeutil import utcnow

# Upper bounds (ms) of the histogram's buckets; beyond the last, one overflow bucket.
BOUNDS_MS = (5, 10, 15, 20, 30, 40, 50, 60, 75, 100, 125, 150, 200, 250, 300, 400, 500, 600, 700, 800, 1000, 1500,
             2000, 3000, 5000)
SLOW_MS = 800  # about where the marketplace gives up and uses its own shipping table
KEPT = timedelta(days=8)
FAILURES_KEPT = 50
_expiring: set[str] = set()
_expiring_lock = threading.Lock()


def _hour_key(tenant_id: int, connector_key: str, hour: datetime) -> str:
    return f"freight:m:{tenant_id}:{connector_key}:{hour:%Y%m%d%H}"


def _failures_key(tenant_id: int, connector_key: str) -> str:
    return f"freight:f:{tenant_id}:{connector_key}"


def record(tenant_id: int, connector_key: str, elapsed_ms: float, *, cached: bool = False, empty: bool = False,
           cause: str | None = None, request: dict | None = None) -> None:
    """Count one quote. ``cause``: why it failed (a short code); ``request``: what was asked, kept to be replayed."""
    outcome = "failed" if cause else "empty" if empty else "cached" if cached else "quoted"
    metrics.observe("saas_freight_quote_seconds", elapsed_ms / 1000, marketplace=connector_key, outcome=outcome)
    key = _hour_key(tenant_id, connector_key, utcnow())
    with contextlib.suppress(RedisError):
        redis = redis_connection()
        pipe = redis.pipeline(transaction=False)
        pipe.hincrby(key, f"b{bisect.bisect_left(BOUNDS_MS, elapsed_ms)}", 1)
        if cached:
            pipe.hincrby(key, "hit", 1)
        if empty:
            pipe.hincrby(key, "empty", 1)
        if cause:
            pipe.hincrby(key, f"e:{cause}", 1)
        if request is not None:
            failures = _failures_key(tenant_id, connector_key)
            pipe.lpush(failures, json.dumps({"at": utcnow().isoformat(timespec="seconds"), "cause": cause,
                                             "ms": round(elapsed_ms), "request": request}))
            pipe.ltrim(failures, 0, FAILURES_KEPT - 1)
            pipe.expire(failures, int(KEPT.total_seconds()))
        if key not in _expiring:
            pipe.expire(key, int(KEPT.total_seconds()))
        pipe.execute()
        with _expiring_lock:
            if len(_expiring) > 10_000:
                _expiring.clear()
            _expiring.add(key)


@dataclass
class Hour:
    """One hour of one store's quotes."""

    start: datetime
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS_MS) + 1))
    hits: int = 0
    empty: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def quotes(self) -> int:
        return sum(self.buckets)

    @property
    def slow(self) -> int:
        return sum(self.buckets[bisect.bisect_left(BOUNDS_MS, SLOW_MS) + 1:])

    def add(self, other: "Hour") -> None:
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.hits, self.empty = self.hits + other.hits, self.empty + other.empty
        for cause, count in other.errors.items():
            self.errors[cause] = self.errors.get(cause, 0) + count

    def percentile(self, fraction: float) -> float | None:
        """The latency under which ``fraction`` of the quotes answered, interpolated within its bucket (ms)."""
        total = self.quotes
        if not total:
            return None
        rank, seen = fraction * total, 0
        for index, count in enumerate(self.buckets):
            if count and seen + count >= rank:
                low = BOUNDS_MS[index - 1] if index else 0
                high = BOUNDS_MS[index] if index < len(BOUNDS_MS) else BOUNDS_MS[-1] * 2
                return low + (high - low) * (rank - seen) / count
            seen += count
        return float(BOUNDS_MS[-1])


def hours(tenant_id: int, connector_key: str, days: int = 7, now: datetime | None = None) -> list[Hour]:
    """The last ``days`` days, hour by hour, oldest first (hours with no quote are zeros); [] while Redis is down."""
    end = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    starts = [end - timedelta(hours=h) for h in range(days * 24 - 1, -1, -1)]
    try:
        pipe = redis_connection().pipeline(transaction=False)
        for start in starts:
            pipe.hgetall(_hour_key(tenant_id, connector_key, start))
        stored = pipe.execute()
    except RedisError:
        return []
    return [_hour(start, fields) for start, fields in zip(starts, stored, strict=True)]


def _hour(start: datetime, fields: dict) -> Hour:
    hour = Hour(start)
    for name, value in fields.items():
        name, value = name.decode() if isinstance(name, bytes) else name, int(value)
        if name.startswith("b") and name[1:].isdigit() and int(name[1:]) < len(hour.buckets):
            hour.buckets[int(name[1:])] = value
        elif name == "hit":
            hour.hits = value
        elif name == "empty":
            hour.empty = value
        elif name.startswith("e:"):
            hour.errors[name[2:]] = value
    return hour


def total(of: list[Hour]) -> Hour:
    summed = Hour(of[0].start if of else utcnow())
    for hour in of:
        summed.add(hour)
    return summed


def failures(tenant_id: int, connector_key: str) -> list[dict]:
    """The last failed quotes, newest first: ``{"at", "cause", "ms", "request"}``."""
    try:
        stored = redis_connection().lrange(_failures_key(tenant_id, connector_key), 0, FAILURES_KEPT - 1)
    except RedisError:
        return []
    found = []
    for raw in stored:
        with contextlib.suppress(ValueError, TypeError):
            found.append(json.loads(raw))
    return found
