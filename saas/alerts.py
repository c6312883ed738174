"""Alerts as they happen, to a store's own webhook (an agency routes them to Slack or WhatsApp): a JSON body signed
with HMAC-SHA256 under the store's alert secret, delivered by a job that retries for about an hour.

The URL (a Slack one carries its own token) and the secret are kept in the store's encrypted secrets. The body says
what happened in Portuguese, and the facts as data, so a router can act on them without reading prose.
"""
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
from urllib.parse import urlsplit

import requests
from rq import Retry

from saas.extensions import db
from saas.jobs.queues import enqueue, job
from saas.tenants.models import Tenant
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Conector-Signature"
EVENT_HEADER = "X-Conector-Event"


class WebhookError(RuntimeError):
    """The alert webhook did not take the alert (retried)."""


def configure(tenant: Tenant, url: str | None) -> str | None:
    """Set (or, with no URL, remove) the store's alert webhook; answer its signing secret (kept when the URL
    changes)."""
    stored = dict(tenant.secrets or {})
    if not url:
        stored.pop("alert_webhook_url", None)
    else:
        stored["alert_webhook_url"] = url
        stored.setdefault("alert_webhook_secret", secrets.token_urlsafe(32))
    tenant.secrets = stored
    return stored.get("alert_webhook_secret") if url else None


def webhook_of(tenant: Tenant) -> tuple[str, str] | None:
    stored = tenant.secrets or {}
    url, secret = stored.get("alert_webhook_url"), stored.get("alert_webhook_secret")
    return (url, secret) if url and secret else None


def url_problem(url: str, production: bool) -> str | None:
    """Why this URL cannot receive alerts (None: it can): our server would call it, so never one of our own network."""
    parts = urlsplit(url)
    if parts.scheme not in (("https",) if production else ("https", "http")) or not parts.hostname:
        return "scheme"
    host = parts.hostname
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        internal = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    else:
        internal = address.is_private or address.is_loopback or address.is_link_local
    return "private" if internal and production else None


def alert(tenant: Tenant, event: str, text: str, **facts) -> None:
    """Queue the alert for the store's webhook, if it has one (the caller has already said it in the portal)."""
    if webhook_of(tenant) is None:
        return
    body = {"event": event, "store": tenant.slug, "store_name": tenant.display_name, "text": text,
            "at": utcnow().isoformat(timespec="seconds") + "Z", **facts}
    enqueue(deliver, tenant.id, json.dumps(body, ensure_ascii=False, default=str))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@job("default", 30, Retry(max=5, interval=[10, 60, 300, 900, 1800]), tenant_arg=0)
def deliver(tenant_id: int, body: str) -> str:
    tenant = db.session.get(Tenant, tenant_id)
    hook = webhook_of(tenant) if tenant else None
    if hook is None:
        return "no webhook"  # removed since the alert was queued
    url, secret = hook
    payload = body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(secret, payload),
               EVENT_HEADER: json.loads(body)["event"]}
    try:
        response = requests.post(url, data=payload, headers=headers, timeout=10, allow_redirects=False)
    except requests.RequestException as exc:
        raise WebhookError(f"the alert webhook could not be reached: {type(exc).__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise WebhookError(f"the alert webhook answered {response.status_code}")
    if response.status_code >= 300:
        log.warning("tenant %s: the alert webhook refused an alert (%s); not retried", tenant_id,
                    response.status_code)
        return f"refused {response.status_code}"
    return "delivered"
