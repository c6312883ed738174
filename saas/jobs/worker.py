"""The worker process: an RQ worker that runs jobs inside the app context, says it is alive often, and outlives
outages of Redis and the database.

Heartbeats: RQ's ``SimpleWorker`` runs a job in its own process and, left alone, marks the job alive once, for the
job's whole timeout: a worker killed in the middle of an hour-long job would hold that job for an hour. Here a thread
renews the job's heartbeat every ``HEARTBEAT_EVERY`` seconds for ``HEARTBEAT_TTL`` seconds, so a dead worker's job is
seen abandoned within 45 seconds and queued again by ``saas.jobs.recovery``. Idle, the worker wakes every
``TICK_INTERVAL`` to send its own heartbeat, which ``/healthz`` reads.

Children: RQ forks a process of its own from the worker (the scheduler of delayed jobs). The child inherits the
worker's sockets, database connections included, so a worker killed with ``kill -9`` would leave its transaction
open in PostgreSQL, row locks and all, for as long as the child lives: the next worker would wait on those rows for
ever. Every child the worker forks is therefore asked to die with it (Linux's parent-death signal).

The pool: ``WORKER_PROCESSES`` such workers under RQ's ``WorkerPool``, which starts again any that dies. Every worker
takes the urgent queue first; with more than one, one of them takes nothing else, so an order import or an event
never waits behind a sync or a poll that holds the other workers.
"""
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time

from flask import current_app
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import JobStatus
from rq.worker import WorkerStatus
from rq.worker_pool import ForkProcess, WorkerPool

from saas import logs, metrics
from saas.extensions import db, redis_connection
from saas.jobs.outage import LoopEnded, supervised
from saas.jobs.queues import QUEUES, policy_of

log = logging.getLogger(__name__)
# Longer than a lock's TTL: a job seen abandoned finds the locks of its dead worker expired, and runs at once.
HEARTBEAT_TTL = 45
HEARTBEAT_EVERY = 10
MAINTENANCE_INTERVAL = 60  # RQ's own upkeep, restarting its scheduler of delayed jobs when that died


class AppWorker(SimpleWorker):
    """Runs jobs in this process, inside the app context, returning the DB connection after each job."""

    stopping = False  # SIGTERM or SIGINT: the work loop ends because it was asked to, not because it broke

    def handle_warm_shutdown_request(self):
        self.stopping = True
        super().handle_warm_shutdown_request()

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return HEARTBEAT_TTL

    def execute_job(self, job, queue):
        execution = self.prepare_execution(job)
        beat = _JobHeartbeat(self, job, execution)
        started = time.monotonic()
        with logs.context(job=job.id, tenant=_tenant_of(job)):
            beat.start()
            try:
                self.perform_job(job, queue, execution)
            finally:
                beat.stop()
            _log_outcome(job, queue.name, time.monotonic() - started)
        self.set_state(WorkerStatus.IDLE)

    def perform_job(self, *args, **kwargs):
        try:
            return super().perform_job(*args, **kwargs)
        finally:
            db.session.remove()

    def heartbeat(self, timeout=None, pipeline=None):
        # Redis restarted empty: the worker registers again, or it would vanish from the workers' list (and /healthz).
        if pipeline is None and not self.connection.hexists(self.key, "birth"):
            self.connection.delete(self.key)
            self.register_birth()
        return super().heartbeat(timeout, pipeline)


class _JobHeartbeat:
    def __init__(self, worker, job, execution):
        self.worker, self.job, self.execution = worker, job, execution
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.done.set()
        self.thread.join(timeout=5)

    def _run(self):
        while not self.done.wait(HEARTBEAT_EVERY):
            try:
                self.worker.maintain_heartbeats(self.job, self.execution)
            except RedisError:
                pass  # the job goes on; the next beat tries again


def _tenant_of(job):
    try:
        policy = policy_of(job.func)
    except (AttributeError, ImportError, ValueError):  # a job of another version of the code, or of no function
        return None
    if policy is None or policy.tenant_arg is None or len(job.args) <= policy.tenant_arg:
        return None
    return job.args[policy.tenant_arg]


def _log_outcome(job, queue_name: str, seconds: float) -> None:
    status = job.get_status(refresh=False)
    outcome = str(getattr(status, "value", status))
    metrics.count("saas_jobs_total", function=job.func_name, queue=queue_name, outcome=outcome)
    metrics.observe("saas_job_duration_seconds", seconds, function=job.func_name, queue=queue_name)
    if status == JobStatus.FINISHED:
        result = job.return_value(refresh=False)
        # A tick that found nothing due says so every few seconds: not worth a line each time.
        level = logging.DEBUG if result in (None, [], {}) else logging.INFO
        log.log(level, "%s finished in %.1f s: %s", job.func_name, seconds, _short(result))
    else:
        log.warning("%s %s after %.1f s", job.func_name, status, seconds)


def _short(result) -> str:
    text = str(result)
    return text if len(text) <= 200 else text[:197] + "..."


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """In a child the worker forked: be killed as soon as the worker dies (or exit now if it already has)."""
    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def run_worker(queues: list[str], burst: bool = False) -> None:
    """Work for ever (or until the queues are empty, with ``burst``); only a requested stop returns."""
    app = current_app._get_current_object()
    if sys.platform.startswith("linux"):
        parent = os.getpid()
        os.register_at_fork(after_in_child=lambda: _die_with_parent(parent))
    interval = app.config["TICK_INTERVAL"]

    def work(watch):
        from saas.jobs.recovery import recover
        worker = AppWorker(queues, connection=redis_connection(), worker_ttl=interval + 15,
                           maintenance_interval=MAINTENANCE_INTERVAL)
        recover()  # whatever a worker that died left behind, before waiting for new work
        watch.running()
        worker.work(with_scheduler=True, burst=burst, logging_level=app.config["LOG_LEVEL_RQ"])
        if not (burst or worker.stopping):
            raise LoopEnded()

    supervised("worker", work)


class AppWorkerPool(WorkerPool):
    """RQ's pool, whose processes are ours (:func:`run_worker`, in the app context); one takes only urgent work."""

    def __init__(self, app, queues: list[str], processes: int):
        super().__init__(queues, connection=redis_connection(), num_workers=processes)
        self.app, self.urgent_only = app, set()

    def get_worker_process(self, name, burst, _sleep=0, logging_level="INFO"):
        queues = self._queue_names
        urgent, *others = queues
        if urgent == QUEUES[0] and others and self.num_workers > 1 and not self.urgent_only & self.worker_dict.keys():
            queues = [urgent]  # the first worker, or the one replacing it when it died
            self.urgent_only.add(name)
        return ForkProcess(target=_pool_member, args=(self.app, queues, burst, os.getpid()),
                           name=f"worker {'+'.join(queues)}")


def _pool_member(app, queues: list[str], burst: bool, parent: int) -> None:
    if sys.platform.startswith("linux"):
        _die_with_parent(parent)  # a pool killed with kill -9 leaves no worker behind it
    app.extensions.pop("redis", None)  # connections are the process's own, never the parent's
    with app.app_context():
        db.engine.dispose(close=False)
        run_worker(queues, burst=burst)


def run_pool(queues: list[str], processes: int, burst: bool = False) -> None:
    """``processes`` workers, each its own process, until asked to stop; one alone works in this process."""
    if processes <= 1:
        return run_worker(queues, burst=burst)
    app = current_app._get_current_object()
    AppWorkerPool(app, queues, processes).start(burst=burst, logging_level=app.config["LOG_LEVEL_RQ"])
