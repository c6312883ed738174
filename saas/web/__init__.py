"""Blueprints: auth, portal (tenant pages), bridge, public (webhooks, freight), health, the operators' queue view."""
import contextlib
import json
import logging

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from saas import text
from saas.bridge.models import ENTITY_LABELS, STATUS_LABELS
from saas.connectors.base import ORDER_STATES
from saas.crypto import mask
from saas.extensions import db, login_manager
from saas.jobs.outage import STORE_OUTAGES
from saas.orders.models import ATTEMPT_OUTCOMES
from saas.orders.models import STATUS_LABELS as ORDER_STATUS_LABELS
from saas.tenants.models import User
from saas.timeutil import local_time, local_time_text
from saas.vtex import ORDER_STATUSES as VTEX_ORDER_STATUSES

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


def register_blueprints(app):
    from saas.web import (
        admin,
        auth,
        bridge,
        catalog,
        freight,
        freight_stats,
        health,
        metrics,
        orders,
        pending,
        portal,
        pricing,
        public,
    )
    app.register_blueprint(auth.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(pricing.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(portal.account_bp)
    app.register_blueprint(bridge.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(freight.bp)
    app.register_blueprint(freight_stats.bp)
    app.register_blueprint(pending.bp)
    admin.register(app)

    @app.context_processor
    def pending_count():
        """How many items wait for the merchant, for the header's Pendências link on the store's pages."""
        return {"pending_count": pending.count() if getattr(g, "tenant", None) is not None else 0}
    app.add_template_filter(mask, "mask")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(pretty_json, "pretty")
    for name, shown_as in (("document", text.document), ("cep", text.cep), ("phone", text.phone)):
        app.add_template_filter(shown_as, name)
    app.add_template_global(ENTITY_LABELS, "bridge_entities")
    app.add_template_global(STATUS_LABELS, "bridge_statuses")
    app.add_template_filter(local_time_text, "local_time_text")
    for name, words in (("order_statuses", ORDER_STATUS_LABELS), ("attempt_outcomes", ATTEMPT_OUTCOMES),
                        ("order_states", ORDER_STATES), ("vtex_statuses", VTEX_ORDER_STATUSES)):
        app.add_template_global(words, name)

    @app.errorhandler(404)
    def not_found(_error):
        if request.path.startswith("/api/"):
            return jsonify(error="not found"), 404
        return render_template("error.html", code=404, message=_("Page not found.")), 404

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("error.html", code=403,
                               message=_("Your role in this store only lets you look.")), 403

    for outage in STORE_OUTAGES:
        app.register_error_handler(outage, unavailable)

    @app.errorhandler(429)
    def too_many(_error):
        if request.path.startswith("/api/"):
            return jsonify(error="Too many requests; try again in a minute."), 429
        return render_template("error.html", code=429,
                               message=_("Too many attempts; wait a minute.")), 429

    @app.errorhandler(500)
    def internal_error(_error):
        """What escaped every other handler: logged by Flask already; the caller gets an answer, not a stack."""
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(error="Internal error; try again shortly."), 500
        return render_template("error.html", code=500,
                               message=_("Something went wrong on our side; try again in a moment.")), 500


def pretty_json(value) -> str:
    """A payload for people: indented, accents as they are (not \\u00e3)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def unavailable(error):
    """Redis or the database is down: VTEX and the marketplaces get a JSON 503 they retry on; a person gets a page that
    says so. Nothing was half-stored: a request's transaction commits whole or not at all."""
    log.warning("answered 503: %s unreachable (%s)", "Redis" if "redis" in type(error).__module__ else "database",
                type(error).__name__)
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    if request.path.startswith("/api/"):
        response = jsonify(error="Service temporarily unavailable; try again shortly.")
    else:
        g.reader_unknown = True  # the signed-in user's language would be read from what may be down
        response = render_template("unavailable.html")
    return response, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
