"""Redis and the RQ queues, by urgency (orders first, then everyday work, then bulk catalog sync), and the policy of
every job: its queue, its timeout and its retries, in one table.

Every job has retries, because RQ also spends one when a job is abandoned (its worker died): the next look at the
queues (``saas.jobs.recovery``) puts the job back at once instead of leaving it in the failed registry. The first
retry of the jobs that carry the work itself has no delay: a delayed job waits for RQ's scheduler of delayed jobs,
whose lock a killed worker holds for another minute. Every job is idempotent, so a second run changes nothing that
the first one finished.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from rq.job import Job

QUEUES = ("orders", "default", "sync")
FAILURE_TTL = 7 * 86400


@dataclass(frozen=True)
class Policy:
    queue: str
    timeout: int
    retry: Retry
    tenant_arg: int | None = None  # which argument is the tenant's id, for the worker's log line


POLICIES = {
    "saas.jobs.schedule.run_periodic": Policy("default", 3600, Retry(max=2, interval=[0, 120]), 1),
    "saas.jobs.recovery.recover": Policy("orders", 120, Retry(max=1, interval=[5])),
    "saas.catalog.activation.activate": Policy("sync", 600, Retry(max=10, interval=3), 0),
    "saas.catalog.activation.initial_load": Policy("sync", 3600, Retry(max=2, interval=[60, 300]), 0),
    "saas.catalog.reports.check_import": Policy("sync", 600, Retry(max=2, interval=[0, 60])),
    "saas.orders.importer.import_batch": Policy("orders", 900, Retry(max=2, interval=[0, 60])),
    "saas.orders.importer.import_order": Policy("orders", 300, Retry(max=2, interval=[0, 60])),
    "saas.orders.importer.cancel_at_vtex": Policy("orders", 120, Retry(max=3, interval=[60, 300, 900])),
    "saas.orders.events.forward": Policy("orders", 120, Retry(max=5, interval=[30, 60, 120, 300, 600])),
    "saas.orders.events.from_hook": Policy("orders", 120, Retry(max=5, interval=[30, 60, 120, 300, 600]), 0),
}


def redis_connection() -> Redis:
    app = current_app._get_current_object()
    if "redis" not in app.extensions:
        app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5,
                                                 socket_connect_timeout=2, health_check_interval=30)
    return app.extensions["redis"]


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection(), default_timeout=600)


def enqueue(func: str, *args, delay: timedelta | None = None, queue_name: str | None = None,
            job_id: str | None = None) -> Job:
    """Queue ``func(*args)`` under its policy, now or after ``delay``; ``queue_name`` overrides the policy's."""
    policy = POLICIES[func]
    target = queue(queue_name or policy.queue)
    options = dict(job_timeout=policy.timeout, retry=policy.retry, failure_ttl=FAILURE_TTL, result_ttl=300,
                   job_id=job_id)
    if delay is not None:
        return target.enqueue_in(delay, func, *args, **options)
    return target.enqueue(func, *args, **options)
