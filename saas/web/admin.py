"""The operators' view of the queues: rq-dashboard at ``/admin/rq``, for platform administrators only
(``flask users make-admin EMAIL``). Anyone else, merchants included, gets the same 404 as for a page that does not
exist. Failed jobs are inspected and requeued there.

rq-dashboard's buttons post from its own scripts without our CSRF token, so the blueprint is exempt from CSRF; a
cross-site form still cannot act, because the session cookie is ``SameSite=Lax`` (never sent on a cross-site POST)
and a POST whose ``Origin`` names another site is refused.
"""
from urllib.parse import urlsplit

import rq_dashboard
from flask import abort, request
from flask_login import current_user

from saas.extensions import csrf

PREFIX = "/admin/rq"


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
    origin = request.headers.get("Origin")
    if request.method != "GET" and origin and urlsplit(origin).netloc != request.host:
        abort(403)
