from flask import Blueprint, jsonify
from sqlalchemy import text

from saas.extensions import db
from saas.jobs.queues import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {"database": _check(lambda: db.session.execute(text("SELECT 1"))),
              "redis": _check(lambda: redis_connection().ping())}
    healthy = all(state == "ok" for state in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure of the probe is the answer, not a crash
        return f"error: {type(exc).__name__}"
