"""``GET /metrics``: the operators' metrics in Prometheus's text format, for a scraper holding ``METRICS_TOKEN``.

A token rather than an internal port: a Heroku-style platform routes one public port to the web, and a scraper
(Prometheus, Grafana Agent, a metrics add-on) reaches it over HTTPS with ``Authorization: Bearer <token>``. Without
``METRICS_TOKEN`` the route does not exist (404); a wrong or missing token is a 401 before anything is read.

What every process counted (``saas.metrics``, in Redis) comes with what is read at the scrape: the queues' depths and
the age of their oldest job, the workers and the scheduler, the integrations, and the stores in buckets of how long
their oldest change has waited to be sent (never one series per store).
"""
import hmac
import time

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func

from saas import metrics
from saas.catalog.models import SkuChange
from saas.extensions import db, redis_connection
from saas.jobs.clock import HEARTBEAT_KEY
from saas.jobs.queues import QUEUES
from saas.tenants.models import ConnectorSettings
from saas.timeutil import utcnow

bp = Blueprint("metrics", __name__)
# The buckets stores are counted in, by the age of their oldest change not yet sent (upper bounds, seconds).
BACKLOG_AGES = ((60, "1m"), (300, "5m"), (900, "15m"), (3600, "1h"), (None, "more"))


@bp.get("/metrics")
def scrape():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response("a valid token is needed: Authorization: Bearer <METRICS_TOKEN>\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return Response(generate_latest(registry), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8",
                                                     "Cache-Control": "no-store"})


class _Collector:
    def collect(self):
        metrics.flush()  # this process's own counts; the others' come within metrics.FLUSH_EVERY
        try:
            redis = redis_connection()
            yield from _counted(redis)
            yield from _queues(redis)
            yield from _processes(redis)
        except RedisError:
            yield _gauge("saas_redis_up", "1 when Redis answered the scrape", [((), 0)])
        else:
            yield _gauge("saas_redis_up", "1 when Redis answered the scrape", [((), 1)])
        yield from _stores()


def _counted(redis):
    counters, histograms = metrics.read(redis)
    for metric in metrics.METRICS.values():
        if metric.bounds:
            family = HistogramMetricFamily(metric.name, metric.help, labels=metric.labels)
            bounds = [floatToGoString(bound) for bound in metric.bounds] + ["+Inf"]
            for (name, labels), (buckets, total) in sorted(histograms.items()):
                if name == metric.name:
                    family.add_metric(list(labels), list(zip(bounds, buckets, strict=True)), total)
        else:
            family = CounterMetricFamily(metric.name, metric.help, labels=metric.labels)
            for (name, labels), value in sorted(counters.items()):
                if name == metric.name:
                    family.add_metric(list(labels), value)
        yield family


def _queues(redis):
    depth, oldest = [], []
    for name in QUEUES:
        queue = Queue(name, connection=redis)
        for state, count in (("queued", queue.count),
                             ("started", StartedJobRegistry(queue=queue).count),
                             ("scheduled", ScheduledJobRegistry(queue=queue).count),
                             ("failed", FailedJobRegistry(queue=queue).count)):
            depth.append(((name, state), count))
        oldest.append(((name,), _oldest_age(queue, redis)))
    yield _gauge("saas_queue_jobs", "Jobs per queue: waiting (queued), running (started), delayed (scheduled), "
                 "failed and kept for inspection", depth, ("queue", "state"))
    yield _gauge("saas_queue_oldest_job_age_seconds", "How long the job at the head of the queue has waited "
                 "(0 when the queue is empty)", oldest, ("queue",))


def _oldest_age(queue: Queue, redis) -> float:
    for job_id in queue.get_job_ids(0, 4):  # the head, or the next when the head's job expired meanwhile
        job = Job.fetch(job_id, connection=redis) if redis.exists(Job.key_for(job_id)) else None
        if job is not None and job.enqueued_at:
            return round(max(0.0, (utcnow() - job.enqueued_at.replace(tzinfo=None)).total_seconds()), 1)
    return 0.0


def _processes(redis):
    states: dict[str, int] = {}
    for worker in Worker.all(connection=redis):
        state = str(getattr(worker.get_state(), "value", worker.get_state()))
        states[state] = states.get(state, 0) + 1
    yield _gauge("saas_workers", "Workers registered, by state (busy, idle, suspended)",
                 [((state,), n) for state, n in sorted(states.items())], ("state",))
    beat = redis.get(HEARTBEAT_KEY)
    age = round(max(0.0, time.time() - float(beat)), 1) if beat else -1
    yield _gauge("saas_scheduler_heartbeat_age_seconds", "Seconds since the scheduler's last pass (-1: never seen)",
                 [((), age)])


def _stores():
    integrations = db.session.query(ConnectorSettings.connector_key, ConnectorSettings.active, func.count()
                                    ).group_by(ConnectorSettings.connector_key, ConnectorSettings.active).all()
    yield _gauge("saas_integrations", "Stores' integrations with each marketplace, active or not",
                 [((key, "true" if active else "false"), n) for key, active, n in integrations],
                 ("marketplace", "active"))
    now = utcnow()
    oldest = db.session.query(SkuChange.connector_key, func.min(SkuChange.received_at)
                              ).group_by(SkuChange.tenant_id, SkuChange.connector_key).all()
    buckets = {(key, label): 0 for key, _active, _n in integrations for _bound, label in BACKLOG_AGES}
    for key, received in oldest:
        age = (now - received).total_seconds()
        label = next(label for bound, label in BACKLOG_AGES if bound is None or age <= bound)
        buckets[(key, label)] = buckets.get((key, label), 0) + 1
    yield _gauge("saas_stores_waiting", "Stores with changes not yet sent to a marketplace, by the age of their "
                 "oldest (up to 1m, 5m, 15m, 1h, more)", [(labels, n) for labels, n in sorted(buckets.items())],
                 ("marketplace", "oldest"))


def _gauge(name: str, help_text: str, samples, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), value)
    return family

