"""Every setting of the product, read from the environment in one place.

Development gets safe defaults; production (``APP_ENV=production``) refuses to start without a real
``SECRET_KEY`` and ``ENCRYPTION_KEY``, because a default key there would make every session forgeable and every
stored ShopKey readable by anyone who has the source.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

# Development-only keys. They are public (they are in the repository), so production refuses them.
DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_ENCRYPTION_KEY = "ZGV2LWVuY3J5cHRpb24ta2V5LW5vdC1mb3ItcHJvZCE="


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _int(env, name, default):
    return int(env.get(name, default))


def _bool(env, name, default):
    return env.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def load_config(env=None):
    env = os.environ if env is None else env
    production = env.get("APP_ENV", "development") == "production"
    config = {
        "APP_ENV": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "ENCRYPTION_KEY": env.get("ENCRYPTION_KEY", DEV_ENCRYPTION_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(env),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Mail: with no MAIL_SERVER, mail lands in the outbox (a table and the log) instead of SMTP.
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int(env, "MAIL_PORT", 587),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(env, "MAIL_USE_TLS", True),
        "MAIL_FROM": env.get("MAIL_FROM", "Conector Carrefour <no-reply@conector.example>"),
        # Job intervals, in seconds (the seed's 10 minutes, 5 minutes and 3 minutes by default).
        "SYNC_INTERVAL": _int(env, "SYNC_INTERVAL", 600),
        "ORDERS_INTERVAL": _int(env, "ORDERS_INTERVAL", 300),
        "REPORT_DELAY": _int(env, "REPORT_DELAY", 180),
        "CREDENTIALS_CHECK_INTERVAL": _int(env, "CREDENTIALS_CHECK_INTERVAL", 86400),
        "TICK_INTERVAL": _int(env, "TICK_INTERVAL", 30),
        "HTTP_TIMEOUT": float(env.get("HTTP_TIMEOUT", "10")),
        # VTEX allows 15,000 catalog requests a minute per endpoint; we stay below it, shared by every worker.
        "VTEX_CATALOG_RATE": env.get("VTEX_CATALOG_RATE", "240/second"),
        "VTEX_CONCURRENCY": _int(env, "VTEX_CONCURRENCY", 16),
        "SYNC_BATCH_LIMIT": _int(env, "SYNC_BATCH_LIMIT", 100000),
        "ORDER_IMPORT_CONCURRENCY": _int(env, "ORDER_IMPORT_CONCURRENCY", 8),
        # The freight quote: Carrefour gives up after about 0.8 s, so VTEX gets 0.6 s of it.
        "FREIGHT_VTEX_TIMEOUT": float(env.get("FREIGHT_VTEX_TIMEOUT", "0.6")),
        "FREIGHT_CACHE_SECONDS": _int(env, "FREIGHT_CACHE_SECONDS", 60),
        "FREIGHT_RATE_LIMIT": env.get("FREIGHT_RATE_LIMIT", "1200 per minute"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Proxies in front of the web process (Heroku's router is one): their X-Forwarded-For and -Proto are
        # believed, so that a rate limit sees the client's address rather than the router's. Never more than there
        # are, or a client could name its own address.
        "PROXY_HOPS": _int(env, "PROXY_HOPS", 1 if production else 0),
        "MIRAKL_DEFAULT_URL": env.get("MIRAKL_DEFAULT_URL", "https://carrefourbr.mirakl.net"),
        # Cookies: HttpOnly and SameSite always; Secure where the site is served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
    }
    if production:
        _refuse_development_keys(config)
    return config


def _database_url(env):
    url = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'saas.db'}"
    # Heroku-style add-ons still hand out the scheme SQLAlchemy dropped.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def _refuse_development_keys(config):
    missing = [name for name, dev in (("SECRET_KEY", DEV_SECRET_KEY), ("ENCRYPTION_KEY", DEV_ENCRYPTION_KEY))
               if not config[name] or config[name] == dev]
    if missing:
        raise ConfigError(
            f"APP_ENV=production needs real values for {', '.join(missing)}; "
            "generate an ENCRYPTION_KEY with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'")
