"""The operators' view of the queues: rq-dashboard at ``/admin/rq``, for platform administrators only
(``flask users make-admin EMAIL``). Anyone else, merchants included, gets the same 404 as for a page that does not
exist. Failed jobs are inspected and requeued there.

rq-dashboard's buttons post from its own scripts without our CSRF token, so the blueprint is exempt from CSRF. Its
actions (requeue, delete, empty, compact) are taken only by a POST that names this site in ``Origin`` (or, without
it, ``Referer``): rq-dashboard also requeues a whole queue on a GET, which a link on any site could trigger for a
signed-in administrator (``SameSite=Lax`` sends the cookie on a cross-site GET), so that GET is refused.
"""
from urllib.parse import urlsplit

import rq_dashboard
from flask import abort, request
from flask_login import current_user

from saas.extensions import csrf

PREFIX = "/admin/rq"
ACTIONS = {"delete_job_view", "requeue_job_view", "requeue_all", "empty_queue", "compact_queue"}


def register(app) -> None:
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    rq_dashboard.web.setup_rq_connection(app)
    csrf.exempt(rq_dashboard.blueprint)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)
    app.before_request(_administrators_only)


def _administrators_only():
    if request.blueprint != rq_dashboard.blueprint.name:
        return
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(404)
    if request.method == "GET" and request.endpoint.rpartition(".")[2] not in ACTIONS:
        return
    if request.method != "POST":
        abort(405)
    if not _from_this_site():
        abort(403)


def _from_this_site() -> bool:
    said = request.headers.get("Origin") or request.headers.get("Referer")
    return bool(said) and urlsplit(said).netloc == request.host
