"""``GET /healthz``: the database, Redis, and the age of the scheduler's and of each worker's last heartbeat.

503 when a store is down, or a heartbeat is older than three ticks (``TICK_INTERVAL``): a platform's health check
then restarts what is stuck. A worker's heartbeat comes at least every tick, even while it runs a long job
(``saas.jobs.worker``); the scheduler's at every pass (``saas.jobs.clock``).
"""
import time

from flask import Blueprint, current_app, jsonify
from rq import Worker
from sqlalchemy import text

from saas.extensions import db, redis_connection
from saas.jobs.clock import HEARTBEAT_KEY

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {"database": _check(lambda: db.session.execute(text("SELECT 1"))),
              "redis": _check(lambda: redis_connection().ping())}
    healthy = all(state == "ok" for state in checks.values())
    if checks["redis"] == "ok":
        stale_after = 3 * current_app.config["TICK_INTERVAL"]
        scheduler, workers = _scheduler(stale_after), _workers(stale_after)
        checks.update(scheduler=scheduler, workers=workers)
        healthy = healthy and scheduler["status"] == "ok" and bool(workers) and \
            all(w["status"] == "ok" for w in workers)
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure of the probe is the answer, not a crash
        return f"error: {type(exc).__name__}"


def _age(stale_after: int, beat: float | None) -> dict:
    if beat is None:
        return {"status": "missing", "heartbeat_age_seconds": None}
    age = round(max(0.0, time.time() - beat), 1)
    return {"status": "ok" if age <= stale_after else "stale", "heartbeat_age_seconds": age}


def _scheduler(stale_after: int) -> dict:
    beat = redis_connection().get(HEARTBEAT_KEY)
    return _age(stale_after, float(beat) if beat else None)


def _workers(stale_after: int) -> list[dict]:
    return [{"name": w.name, "queues": w.queue_names(), "state": w.get_state(),
             **_age(stale_after, w.last_heartbeat.timestamp() if w.last_heartbeat else None)}
            for w in Worker.all(connection=redis_connection())]
