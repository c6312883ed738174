"""The scheduler process: rq-scheduler firing the periodic ticks and the recovery sweep every ``TICK_INTERVAL``.

It outlives Redis outages (``saas.jobs.outage``), and because Redis may come back empty, every pass registers again
any tick that Redis no longer holds. Every pass also writes the scheduler's heartbeat, whose age ``/healthz`` reports.
A second scheduler waits on rq-scheduler's lock and writes no heartbeat until it takes over.
"""
import logging
import time

from flask import current_app
from rq_scheduler import Scheduler

from saas.extensions import redis_connection
from saas.jobs.outage import supervised
from saas.jobs.queues import EVERY_TICK
from saas.jobs.schedule import PERIODIC, tick
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "saas:heartbeat:scheduler"


def ticks() -> dict[str, tuple]:
    """Job id → (function, arguments, queue) of everything the scheduler fires every tick."""
    fired = {f"tick-{kind}": (tick, [kind], "default") for kind in PERIODIC}
    fired.update({f"tick-{name}": (func, [], queue_name) for name, (func, queue_name) in EVERY_TICK.items()})
    return fired


class Clock(Scheduler):
    def __init__(self, *args, tick_interval: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.tick_interval = tick_interval

    def register_ticks(self, replace: bool = False) -> None:
        """Schedule every tick Redis does not hold (all of them with ``replace``, so a new interval applies)."""
        for job_id, (func, args, queue_name) in ticks().items():
            if replace:
                self.cancel(job_id)
            elif self.connection.zscore(self.scheduled_jobs_key, job_id) is not None:
                continue
            self.schedule(scheduled_time=utcnow(), func=func, args=args, interval=self.tick_interval, repeat=None,
                          id=job_id, queue_name=queue_name, result_ttl=600, timeout=120)

    def enqueue_jobs(self):
        self.register_ticks()
        jobs = super().enqueue_jobs()
        self.connection.set(HEARTBEAT_KEY, time.time(), ex=7 * 86400)
        return jobs


def run_clock() -> None:
    app = current_app._get_current_object()
    interval = app.config["TICK_INTERVAL"]
    replace = True

    def run(watch):
        nonlocal replace
        clock = Clock(queue_name="default", connection=redis_connection(), interval=max(1, min(5, interval)),
                      tick_interval=interval)
        clock.register_ticks(replace=replace)
        replace = False
        watch.running()
        log.info("scheduler: %s every %s s", ", ".join(ticks()), interval)
        clock.run()

    supervised("scheduler", run)
