"""Flask CLI commands: the worker and scheduler processes, a manual tick, and the demo merchant."""
import os
import secrets

import click
from flask import current_app
from rq import SimpleWorker
from rq_scheduler import Scheduler

from saas.config import INSTANCE
from saas.extensions import db
from saas.jobs.queues import QUEUES, redis_connection
from saas.jobs.schedule import PERIODIC, tick

DEMO_EMAIL = "demo@loja.example"
DEMO_SLUG = "loja-demo"


class AppWorker(SimpleWorker):
    """Runs jobs in this process, inside the app context, returning the DB connection after each job."""

    def perform_job(self, *args, **kwargs):
        try:
            return super().perform_job(*args, **kwargs)
        finally:
            db.session.remove()


def register_commands(app):
    @app.cli.command("worker")
    @click.argument("queues", nargs=-1)
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    def worker(queues, burst):
        """Run an RQ worker (with its scheduler, so delayed jobs and retries fire)."""
        names = queues or QUEUES
        AppWorker(list(names), connection=redis_connection()).work(with_scheduler=True, burst=burst)

    @app.cli.command("scheduler")
    def scheduler():
        """Register the periodic ticks and run rq-scheduler (a second scheduler waits on its lock)."""
        sched = Scheduler(queue_name="default", connection=redis_connection(),
                          interval=max(1, min(5, current_app.config["TICK_INTERVAL"])))
        for job in sched.get_jobs():
            if job.id.startswith("tick-"):
                sched.cancel(job)
        from saas.timeutil import utcnow
        for kind in PERIODIC:
            sched.schedule(scheduled_time=utcnow(), func="saas.jobs.schedule.tick", args=[kind],
                           interval=current_app.config["TICK_INTERVAL"], repeat=None, id=f"tick-{kind}",
                           result_ttl=600)
        click.echo(f"scheduler: ticks {', '.join(PERIODIC)} every {current_app.config['TICK_INTERVAL']}s")
        sched.run()

    @app.cli.command("tick")
    @click.argument("kind", type=click.Choice(sorted(PERIODIC)))
    def tick_command(kind):
        """Fan out one tick of KIND now."""
        for job_id in tick(kind):
            click.echo(job_id)

    @app.cli.command("seed-demo")
    def seed_demo():
        """Create (or refresh) the demo merchant and its tenant; safe to run again."""
        password = seed_demo_merchant()
        click.echo(f"demo login: {DEMO_EMAIL} / {password}")


def demo_password() -> str:
    """DEMO_PASSWORD, or one generated once and kept in instance/, so every run prints the same login."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = INSTANCE / "demo-password.txt"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip()


def seed_demo_merchant() -> str:
    from saas.sandbox.demo import seed
    password = demo_password()
    seed(DEMO_EMAIL, password, DEMO_SLUG)
    return password
