"""Every setting of the product, read from the environment in one place and checked once, at start.

Each variable of the README's table is declared below with its parser. A bad value stops the web, the worker and the
scheduler before they do anything, with an error that names the variable, says what is wrong and gives an example:
a mistake is found at deploy time, not at the first encryption or the first tick.

Development gets safe defaults; production (``APP_ENV=production``) refuses to start without a real
``SECRET_KEY`` and ``ENCRYPTION_KEY``, because a default key there would make every session forgeable and every
stored ShopKey readable by anyone who has the source.
"""
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from limits import parse as parse_rate
from sqlalchemy.engine import make_url

from saas.crypto import fernet_key

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

# Development-only keys. They are public (they are in the repository), so production refuses them.
DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_ENCRYPTION_KEY = "ZGV2LWVuY3J5cHRpb24ta2V5LW5vdC1mb3ItcHJvZCE="
ENVIRONMENTS = ("development", "test", "production")
LOG_FORMATS = ("text", "json")


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration; the message says which variable and why."""


class _Invalid(ValueError):
    """A value's problem, without the variable's name (added by the caller)."""


def _integer(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise _Invalid("must be a whole number") from None
        if value < minimum:
            raise _Invalid(f"must be at least {minimum}")
        return value
    return parse


def _seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise _Invalid("must be a number of seconds") from None
    if value <= 0:
        raise _Invalid("must be more than 0")
    return value


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise _Invalid("must be true or false")


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise _Invalid(f"must be one of {', '.join(options)}")
        return value
    return parse


def _rate(raw: str) -> str:
    try:
        parse_rate(raw)
    except ValueError:
        raise _Invalid("must be a rate such as '10 per minute' or '240/second'") from None
    return raw


def _fernet_keys(raw: str) -> str:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise _Invalid("must hold at least one Fernet key")
    for key in keys:
        try:
            Fernet(fernet_key(key))
        except (ValueError, TypeError):
            raise _Invalid("must be Fernet keys (32 bytes in URL-safe base64) or 64 hexadecimal characters, "
                           "comma-separated") from None
    return raw


def _non_empty(raw: str) -> str:
    if not raw.strip():
        raise _Invalid("must not be empty")
    return raw


def _http_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _Invalid("must be an http:// or https:// address")
    return raw.strip().rstrip("/")


def _host_ports(raw: str) -> list[str]:
    from saas.egress import host_port
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        try:
            host_port(item)
        except ValueError:
            raise _Invalid("must be host:port pairs, comma-separated") from None
    return items


def _host_names(raw: str) -> list[str]:
    names = [item.strip().lower() for item in raw.split(",") if item.strip()]
    if any(not re.fullmatch(r"[a-z0-9.-]+", name) for name in names):
        raise _Invalid("must be host names or domains, comma-separated") from None
    return names


def _token(raw: str) -> str:
    token = raw.strip()
    if token and len(token) < 24:
        raise _Invalid("must be at least 24 characters (a guessable token would open the metrics to anyone)")
    return token


def _redis_url(raw: str) -> str:
    if urlsplit(raw.strip()).scheme not in ("redis", "rediss", "unix"):
        raise _Invalid("must be a redis://, rediss:// or unix:// address")
    return raw.strip()


def _database_url(raw: str) -> str:
    url = raw.strip()
    if url.startswith("postgres://"):  # Heroku-style add-ons still hand out the scheme SQLAlchemy dropped
        url = "postgresql://" + url[len("postgres://"):]
    try:
        make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError or ValueError depending on the flaw
        raise _Invalid("must be a database address such as postgresql://user@host/db") from None
    return url


@dataclass(frozen=True)
class Variable:
    name: str
    parse: Callable[[str], Any]
    default: str | None  # None: computed from other values (see _defaults)
    example: str
    key: str = ""        # the config key, when it differs from the variable's name

    @property
    def config_key(self) -> str:
        return self.key or self.name


VARIABLES = (
    Variable("APP_ENV", _choice(*ENVIRONMENTS), "development", "production"),
    Variable("SECRET_KEY", _non_empty, DEV_SECRET_KEY, "a long random string"),
    Variable("ENCRYPTION_KEY", _fernet_keys, DEV_ENCRYPTION_KEY,
             "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"),
    Variable("DATABASE_URL", _database_url, None, "postgresql://user:password@host:5432/db",
             key="SQLALCHEMY_DATABASE_URI"),
    Variable("REDIS_URL", _redis_url, "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    Variable("PUBLIC_BASE_URL", _http_url, "http://127.0.0.1:5000", "https://conector.example"),
    # Mail: with no MAIL_SERVER, mail lands in the outbox (a table and the log) instead of SMTP.
    Variable("MAIL_SERVER", str, "", "smtp.example.com"),
    Variable("MAIL_PORT", _integer(1), "587", "587"),
    Variable("MAIL_USERNAME", str, "", "no-reply@conector.example"),
    Variable("MAIL_PASSWORD", str, "", "the SMTP password"),
    Variable("MAIL_USE_TLS", _boolean, "true", "true"),
    Variable("MAIL_FROM", _non_empty, "Conector Carrefour <no-reply@conector.example>",
             "Conector <no-reply@conector.example>"),
    # Job intervals, in seconds (the seed's 10 minutes, 5 minutes and 3 minutes by default).
    Variable("SYNC_INTERVAL", _integer(1), "600", "600 (seconds)"),
    # false: a notification waits for the store's next SYNC_INTERVAL (the freshness benchmark's plain-cycle baseline).
    Variable("SYNC_ON_NOTIFICATION", _boolean, "true", "true"),
    Variable("ORDERS_INTERVAL", _integer(1), "300", "300 (seconds)"),
    Variable("REPORT_DELAY", _integer(0), "180", "180 (seconds)"),
    Variable("CREDENTIALS_CHECK_INTERVAL", _integer(1), "86400", "86400 (seconds)"),
    Variable("DIGEST_INTERVAL", _integer(60), "86400", "86400 (seconds)"),
    # Mirakl allows one full export of the offers a day.
    Variable("RECONCILE_INTERVAL", _integer(60), "86400", "86400 (seconds)"),
    # Short, so that a change reaches the marketplace within Mirakl's minute; a tick costs a few statements.
    Variable("TICK_INTERVAL", _integer(1), "10", "10 (seconds)"),
    # VTEX notifies nothing when a promotion starts or ends: its promotions are read this often, and each boundary
    # is handled at its time. Notifications are hints: a notified SKU is read again every REREAD_EVERY for
    # REREAD_DELAY (VTEX merges changes within about 2 minutes), and every offer once per ROLLING_REREAD_PERIOD.
    Variable("VTEX_RECHECKS", _boolean, "true", "true"),  # false: notifications alone (the staleness baseline)
    Variable("PROMOTIONS_INTERVAL", _integer(60), "300", "300 (seconds)"),
    Variable("REREAD_DELAY", _integer(1), "150", "150 (seconds)"),
    Variable("REREAD_EVERY", _integer(1), "30", "30 (seconds)"),
    Variable("ROLLING_REREAD_INTERVAL", _integer(60), "600", "600 (seconds)"),
    Variable("ROLLING_REREAD_PERIOD", _integer(600), "21600", "21600 (seconds)"),
    Variable("BRIDGE_RETENTION_DAYS", _integer(1), "90", "90 (days)"),
    Variable("HTTP_TIMEOUT", _seconds, "10", "10 (seconds)"),
    # VTEX allows 15,000 catalog requests a minute per endpoint; we stay below it, shared by every worker.
    Variable("VTEX_CATALOG_RATE", _rate, "240/second", "240/second"),
    Variable("VTEX_CONCURRENCY", _integer(1), "16", "16"),
    Variable("SYNC_BATCH_LIMIT", _integer(1), "100000", "100000"),
    # SKU contexts one run of the sync reads ahead of a bigger product file: about 20 s at VTEX's catalog rate.
    Variable("SYNC_STAGE_CHUNK", _integer(1), "5000", "5000"),
    Variable("ORDER_IMPORT_CONCURRENCY", _integer(1), "8", "8"),
    # The freight quote: Carrefour gives up after about 0.8 s, so VTEX gets 0.6 s of it.
    Variable("FREIGHT_VTEX_TIMEOUT", _seconds, "0.6", "0.6 (seconds)"),
    Variable("FREIGHT_CACHE_SECONDS", _integer(0), "60", "60"),
    # Valid quotes only: per store, and per client address within a store (half the store's, so that one noisy
    # client never starves Carrefour's own quotes).
    Variable("FREIGHT_RATE_LIMIT", _rate, "1200 per minute", "1200 per minute"),
    Variable("FREIGHT_CLIENT_RATE_LIMIT", _rate, "600 per minute", "600 per minute"),
    Variable("LOGIN_RATE_LIMIT", _rate, "10 per minute", "10 per minute"),
    # Proxies in front of the web process (Heroku's router is one): their X-Forwarded-For and -Proto are believed,
    # so that a rate limit sees the client's address rather than the router's. Never more than there are, or a
    # client could name its own address.
    Variable("PROXY_HOPS", _integer(0), None, "1"),
    # The egress policy (saas/egress.py): the private host:port pairs that typed addresses may reach all the same
    # (make run's simulators), and the hosts besides VTEX's own domains a store's VTEX URL may name in production.
    Variable("OUTBOUND_ALLOW", _host_ports, "", "127.0.0.1:5101,127.0.0.1:5102"),
    Variable("OUTBOUND_HOSTS", _host_names, "", "vtex-proxy.example.com"),
    Variable("MIRAKL_DEFAULT_URL", _http_url, "https://carrefourbr.mirakl.net", "https://carrefourbr.mirakl.net"),
    Variable("LOG_FORMAT", _choice(*LOG_FORMATS), None, "json"),
    # Sentry's project DSN: errors of every process go there, scrubbed of secrets and customer data (saas/errors.py).
    Variable("SENTRY_DSN", str, "", "https://key@o0.ingest.sentry.io/0"),
    # The bearer token a Prometheus scraper presents at /metrics (saas/web/metrics.py); unset, /metrics is a 404.
    Variable("METRICS_TOKEN", _token, "", "python -c 'import secrets; print(secrets.token_urlsafe(32))'"),
    Variable("RQ_LOG_LEVEL", _choice("debug", "info", "warning", "error"), "warning", "info"),
    Variable("WEB_CONCURRENCY", _integer(1), "2", "2"),
    Variable("WEB_THREADS", _integer(1), "32", "32"),
    # One of them takes only the urgent queue (order imports and events), so they never wait behind catalog work.
    Variable("WORKER_PROCESSES", _integer(1), "3", "3"),
)


def load_config(env=None) -> dict:
    """The settings from ``env`` (the process environment by default); ConfigError lists every bad variable."""
    env = os.environ if env is None else env
    values, problems = {}, []
    defaults = _defaults(env)
    for variable in VARIABLES:
        raw = env.get(variable.name)
        raw = defaults[variable.name] if raw is None else raw
        try:
            values[variable.config_key] = variable.parse(raw)
        except _Invalid as problem:
            problems.append(f"{variable.name}={raw!r} {problem} (example: {variable.example})")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    production = values["APP_ENV"] == "production"
    if production:
        _refuse_development_keys(values)
    values["LOG_LEVEL_RQ"] = values.pop("RQ_LOG_LEVEL").upper()
    return {
        **values,
        # A connection for each thread importing orders at once, kept: one opened and closed an order costs the
        # database a process start (PostgreSQL) each time.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                      "pool_size": max(5, values["ORDER_IMPORT_CONCURRENCY"] + 2)},
        # Cookies: HttpOnly and SameSite always; Secure where the site is served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
    }


def _defaults(env) -> dict[str, str]:
    production = env.get("APP_ENV", "development").strip().lower() == "production"
    computed = {"DATABASE_URL": f"sqlite:///{INSTANCE / 'saas.db'}", "PROXY_HOPS": "1" if production else "0",
                "LOG_FORMAT": "json" if production else "text"}
    return {v.name: computed[v.name] if v.default is None else v.default for v in VARIABLES}


def _refuse_development_keys(values) -> None:
    missing = [name for name, dev in (("SECRET_KEY", DEV_SECRET_KEY), ("ENCRYPTION_KEY", DEV_ENCRYPTION_KEY))
               if values[name] == dev]
    if missing:
        raise ConfigError(
            f"APP_ENV=production needs real values for {', '.join(missing)}; "
            "generate an ENCRYPTION_KEY with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'")
