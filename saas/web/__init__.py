"""Blueprints: auth, portal (tenant pages), bridge, public (webhooks, freight), health, the operators' queue view."""
import contextlib
import logging

from flask import jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from saas.crypto import mask
from saas.extensions import db, login_manager
from saas.jobs.outage import STORE_OUTAGES
from saas.tenants.models import User
from saas.timeutil import local_time

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


def register_blueprints(app):
    from saas.web import admin, auth, bridge, freight, health, orders, portal, public
    app.register_blueprint(auth.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(portal.account_bp)
    app.register_blueprint(bridge.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(freight.bp)
    admin.register(app)
    app.add_template_filter(mask, "mask")
    app.add_template_filter(local_time, "local_time")

    @app.errorhandler(404)
    def not_found(_error):
        if request.path.startswith("/api/"):
            return jsonify(error="not found"), 404
        return render_template("error.html", code=404, message="Página não encontrada."), 404

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("error.html", code=403,
                               message="Seu papel nesta loja só permite consultar."), 403

    for outage in STORE_OUTAGES:
        app.register_error_handler(outage, unavailable)

    @app.errorhandler(429)
    def too_many(_error):
        if request.path.startswith("/api/"):
            return jsonify(error="Too many requests; try again in a minute."), 429
        return render_template("error.html", code=429,
                               message="Muitas tentativas; aguarde um minuto."), 429

    @app.errorhandler(500)
    def internal_error(_error):
        """What escaped every other handler: logged by Flask already; the caller gets an answer, not a stack."""
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(error="Internal error; try again shortly."), 500
        return render_template("error.html", code=500,
                               message="Algo deu errado do nosso lado; tente de novo em instantes."), 500


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
        response = render_template("unavailable.html")
    return response, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
