"""Error tracking: Sentry's SDK with its Flask and RQ integrations when ``SENTRY_DSN`` is set, in every process (web,
worker, scheduler). An event leaves the process only through :func:`scrub`: no secret, key, token, cookie or
customer data goes to Sentry.

What is removed, wherever it appears in the event (request, breadcrumbs, extra, contexts, exception values):
- the values of keys that name a secret or a person (authorization, cookie, shop_key, app_token, password, secret,
  token, cpf, document, e-mail, phone, name, address…);
- request bodies, cookies and query strings whole (a form may carry a key; a webhook, an order);
- inside any text: the webhook secret in ``/api/vtex/<slug>/<secret>/…`` paths (as the logs do), e-mail addresses,
  CPF/CNPJ numbers, bearer tokens and long key-like strings.
Local variables are never sent (``include_local_variables=False``): a frame's locals hold orders and keys.
"""
import re

from saas.logs import redact

SENSITIVE_KEY = re.compile(
    r"authorization|cookie|key|token|secret|password|passwd|dsn|signature|cpf|cnpj|document|e-?mail|phone|"
    r"first_?name|last_?name|full_?name|customer|address|street|zip|postal|cep|receiver|ip_address", re.I)
REMOVED = "[removed]"
# The event's own fields, kept as they are: its ids (hex strings that look like keys) and what describes it.
EXEMPT_KEYS = {"event_id", "trace_id", "span_id", "parent_span_id", "release", "dist", "timestamp", "start_timestamp",
               "platform", "level", "logger", "environment", "server_name", "type", "module", "function", "filename",
               "abs_path", "lineno", "sdk", "modules", "packages", "integrations"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CPF_CNPJ = re.compile(r"\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b|\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[\w\-.~+/=]+")
_KEYLIKE = re.compile(r"\b[A-Za-z0-9_\-]{32,}\b")


def install(app) -> bool:
    """Start Sentry when the app has a DSN; answers whether it did."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration
    sentry_sdk.init(dsn=dsn, environment=app.config["APP_ENV"], integrations=[FlaskIntegration(), RqIntegration()],
                    send_default_pii=False, include_local_variables=False, max_request_body_size="never",
                    before_send=scrub, before_breadcrumb=_scrub_breadcrumb)
    return True


def scrub(event: dict, _hint=None) -> dict:
    """The event with every secret and every person's data taken out (see the module's docstring)."""
    request = event.get("request")
    if isinstance(request, dict):
        for part in ("data", "cookies", "query_string", "env"):
            request.pop(part, None)
    event.pop("user", None)
    return _clean(event)


def _scrub_breadcrumb(crumb: dict, _hint=None) -> dict:
    return _clean(crumb)


def _clean(value, key: str = ""):
    if key in EXEMPT_KEYS:
        return value
    if key and SENSITIVE_KEY.search(key) and not isinstance(value, (dict, list)):
        return REMOVED if value not in (None, "") else value
    if isinstance(value, dict):
        return {k: _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, key if isinstance(v, (dict, list)) else "") for v in value]
    if isinstance(value, str):
        return _clean_text(value)
    return value


def _clean_text(text: str) -> str:
    text = redact(text)
    text = _BEARER.sub(r"\1 " + REMOVED, text)
    text = _EMAIL.sub(REMOVED, text)
    text = _CPF_CNPJ.sub(REMOVED, text)
    return _KEYLIKE.sub(REMOVED, text)
