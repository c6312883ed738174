"""The VTEX ⇄ Carrefour connector: a multi-tenant Flask application."""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from saas import errors, logs, metrics
from saas.config import INSTANCE, load_config
from saas.egress import EgressPolicy
from saas.extensions import csrf, db, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE))
    app.config.update(load_config())
    app.config.update(config or {})
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.extensions["egress"] = EgressPolicy.from_config(app.config)
    INSTANCE.mkdir(exist_ok=True)
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL_RQ"])
    errors.install(app)
    metrics.init_app(app)

    _import_models()
    _import_jobs()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Entre para continuar. (Sign in to continue.)"

    from saas import i18n
    from saas.web import headers, inputs, register_blueprints
    i18n.install(app)
    inputs.install(app)
    headers.install(app)
    register_blueprints(app)
    headers.after_blueprints(app)
    from saas.cli import register_commands
    register_commands(app)
    return app


def _import_jobs():
    """Every module that declares scheduled work (``@periodic``, ``@every_tick``, ``@hands_back``, ``@sweep``) or
    fills a seam of another feature (``@sales_source``, ``@also``): importing them registers it, so the scheduler, the
    workers and the web know it all whichever process starts."""
    import saas.bridge.retention  # noqa: F401
    import saas.catalog.credentials  # noqa: F401
    import saas.catalog.promotions  # noqa: F401
    import saas.catalog.reconcile  # noqa: F401
    import saas.catalog.reports  # noqa: F401
    import saas.catalog.rereads  # noqa: F401
    import saas.catalog.sync  # noqa: F401
    import saas.digest  # noqa: F401
    import saas.jobs.recovery  # noqa: F401
    import saas.orders.events  # noqa: F401
    import saas.orders.polling  # noqa: F401
    import saas.orders.sales  # noqa: F401
    import saas.orders.sweep  # noqa: F401


def _import_models():
    """Every model module, so that ``db.metadata`` (and Alembic's autogenerate) sees every table."""
    import saas.bridge.models  # noqa: F401
    import saas.catalog.models  # noqa: F401
    import saas.freight.models  # noqa: F401
    import saas.jobs.models  # noqa: F401
    import saas.mail  # noqa: F401
    import saas.orders.models  # noqa: F401
    import saas.tenants.models  # noqa: F401
