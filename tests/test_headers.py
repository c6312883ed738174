"""Security headers on every page and route, and HTTPS-only cookies and redirects under the production
configuration."""
import re

import pytest
from cryptography.fernet import Fernet

from saas import create_app
from tests.conftest import PASSWORD


def test_every_answer_carries_the_security_headers(client, tenant):
    for path in ("/login", "/api/carrefourintegration/pub/loja-a/freight", "/no-such-page"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def production(app, monkeypatch):
    """The app as `APP_ENV=production` builds it from the environment, behind one proxy (Heroku's router)."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-key-for-this-test")
    monkeypatch.setenv("ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("REDIS_URL", app.config["REDIS_URL"])
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    production = create_app({"RATELIMIT_STORAGE_URI": app.config["RATELIMIT_STORAGE_URI"]})
    yield production.test_client()
    from saas import logs
    logs.configure("text", app.config["LOG_LEVEL_RQ"])


def test_in_production_plain_http_is_sent_to_https_and_https_is_pinned(production):
    plain = production.get("/login")
    assert plain.status_code == 302 and plain.headers["Location"] == "https://localhost/login"
    secure = production.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_in_production_the_session_cookie_is_secure(production, owner):
    https = {"X-Forwarded-Proto": "https", "Referer": "https://localhost/login"}  # CSRF checks it over HTTPS
    page = production.get("/login", headers=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = production.post("/login", headers=https,
                               data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_in_production_the_platforms_health_probe_may_use_plain_http(production):
    assert production.get("/healthz").status_code in (200, 503)
