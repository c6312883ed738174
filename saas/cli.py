"""Flask CLI commands: the worker and scheduler processes, a manual tick, platform administrators, and the demo
merchant."""
import os
import secrets

import click
from flask.cli import AppGroup

from saas.config import INSTANCE
from saas.extensions import db
from saas.jobs.queues import QUEUES
from saas.jobs.schedule import PERIODIC, tick
from saas.tenants.service import find_user

DEMO_EMAIL = "demo@loja.example"
DEMO_SLUG = "loja-demo"


def register_commands(app):
    @app.cli.command("worker")
    @click.argument("queues", nargs=-1)
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--processes", type=click.IntRange(min=1), help="How many workers (default: WORKER_PROCESSES).")
    def worker(queues, burst, processes):
        """Run the RQ workers (each with its scheduler, so delayed jobs and retries fire); they outlive outages."""
        from saas.jobs.worker import run_pool
        run_pool(list(queues or QUEUES), processes or app.config["WORKER_PROCESSES"], burst=burst)

    @app.cli.command("scheduler")
    def scheduler():
        """Fire the periodic ticks and the recovery sweep (a second scheduler waits on the first one's lock)."""
        from saas.jobs.clock import run_clock
        run_clock()

    @app.cli.command("tick")
    @click.argument("kind", type=click.Choice(sorted(PERIODIC)))
    def tick_command(kind):
        """Fan out one tick of KIND now."""
        for job_id in tick(kind):
            click.echo(job_id)

    users = AppGroup("users", help="Platform accounts.")

    @users.command("make-admin")
    @click.argument("email")
    def make_admin(email):
        """Make the account EMAIL a platform administrator (it sees the queue view at /admin/rq)."""
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account with the e-mail {email}; it must sign up first")
        user.is_admin = True
        db.session.commit()
        click.echo(f"{user.email} is a platform administrator")

    app.cli.add_command(users)

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
