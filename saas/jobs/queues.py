"""Redis and the RQ queues, by urgency (orders first, then everyday work, then bulk catalog sync), and the policy of
every job: its queue, its timeout and its retries, declared on the job itself (``@job``).

Every job has retries, because RQ also spends one when a job is abandoned (its worker died): the next look at the
queues (``saas.jobs.recovery``) puts the job back at once instead of leaving it in the failed registry. The first
retry of the jobs that carry the work itself has no delay: a delayed job waits for RQ's scheduler of delayed jobs,
whose lock a killed worker holds for another minute. Every job is idempotent, so a second run changes nothing that
the first one finished.
"""
from dataclasses import dataclass
from datetime import timedelta

from rq import Queue, Retry
from rq.job import Job

from saas.extensions import redis_connection
from saas.jobs.context import for_integration, with_app_context

QUEUES = ("orders", "default", "sync")
FAILURE_TTL = 7 * 86400


@dataclass(frozen=True)
class Policy:
    queue: str
    timeout: int
    retry: Retry
    tenant_arg: int | None = None  # which argument is the tenant's id, for the worker's log line


def job(queue_name: str, timeout: int, retry: Retry, *, tenant_arg: int | None = None, integration: bool = False):
    """Declare a job and its policy: it runs inside an app context, and ``enqueue`` reads the policy from it.
    ``tenant_arg``: which argument is the tenant's id (for the worker's log line); with ``integration``, that argument
    and the next (the connector's key) reach the function as one :class:`~saas.jobs.context.Integration`, and a job
    of an integration turned off does nothing."""
    tenant_at = 0 if integration and tenant_arg is None else tenant_arg

    def declare(func):
        declared = with_app_context(for_integration(func, tenant_at) if integration else func)
        declared.policy = Policy(queue_name, timeout, retry, tenant_at)
        return declared
    return declare


# What the scheduler fires every tick besides the periodic kinds' ticks: name → (function, queue), declared with
# ``@every_tick`` where the function is written.
EVERY_TICK: dict[str, tuple] = {}


def every_tick(name: str, queue_name: str = "default"):
    def declare(func):
        EVERY_TICK[name] = (func, queue_name)
        return func
    return declare


def policy_of(func) -> Policy | None:
    return getattr(func, "policy", None)


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection(), default_timeout=600)


def enqueue_many(func, calls: list[tuple[tuple, str]], *, queue_name: str | None = None) -> list[Job]:
    """Queue ``func(*args)`` for each ``(args, job_id)`` under its policy, in one Redis round trip."""
    policy = func.policy
    target = queue(queue_name or policy.queue)
    jobs = [Queue.prepare_data(func, args, timeout=policy.timeout, retry=policy.retry, failure_ttl=FAILURE_TTL,
                               result_ttl=300, job_id=job_id) for args, job_id in calls]
    return target.enqueue_many(jobs) if jobs else []


def enqueue(func, *args, delay: timedelta | None = None, queue_name: str | None = None,
            job_id: str | None = None) -> Job:
    """Queue the job ``func(*args)`` under its policy, now or after ``delay``; ``queue_name`` overrides the
    policy's."""
    policy = func.policy
    target = queue(queue_name or policy.queue)
    options = dict(job_timeout=policy.timeout, retry=policy.retry, failure_ttl=FAILURE_TTL, result_ttl=300,
                   job_id=job_id)
    if delay is not None:
        return target.enqueue_in(delay, func, *args, **options)
    return target.enqueue(func, *args, **options)
