"""Alerts as they happen, to a store's own webhook (an agency routes them to Slack or WhatsApp): a JSON body signed
with HMAC-SHA256 under the store's alert secret, delivered by a job that retries for about an hour.

The URL (a Slack one carries its own token) and the secret are kept in the store's encrypted secrets. The body says
what happened in Portuguese, and the facts as data, so a router can act on them without reading prose.
"""
import hashlib
import hmac
import json
import logging
import secrets

from flask_babel import gettext as _
from rq import Retry

from saas.egress import outcome
from saas.extensions import db
from saas.httpclient import current_policy, send, session_for
from saas.integration_errors import IntegrationError, RefusedAddress, RetryableError
from saas.jobs.queues import enqueue, job
from saas.tenants.models import Tenant
from saas.timeutil import utcnow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Conector-Signature"
EVENT_HEADER = "X-Conector-Event"
SERVICE = "alert webhook"


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


def address_refused(url: str) -> RefusedAddress | None:
    """Why the egress policy would not deliver to this URL (None: it would). Checked when it is saved, and again at
    every delivery, since the name may resolve elsewhere by then; a name that does not resolve now is not refused."""
    policy = current_policy()
    try:
        policy.addresses(*policy.check_url(url))
    except RefusedAddress as refused:
        return refused
    except RetryableError:
        pass
    return None


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
    try:
        post(hook, body)
    except RetryableError as exc:
        raise WebhookError(f"the alert webhook did not take the alert: {exc.message}") from None
    except IntegrationError as exc:  # a 4xx, a redirect, an address refused: the same answer next time
        log.warning("tenant %s: the alert webhook refused an alert (%s); not retried", tenant_id,
                    exc.status or "address refused")
        return f"refused {exc.status or 'address'}"
    return "delivered"


def post(hook: tuple[str, str], body: str) -> None:
    """POST one signed alert through the egress policy; the errors of ``httpclient``."""
    url, secret = hook
    payload = body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(secret, payload),
               EVENT_HEADER: json.loads(body)["event"]}
    send(session_for("alerts", url), "POST", url, service=SERVICE, timeout=10, data=payload, headers=headers)


def send_test(tenant: Tenant) -> str:
    """Deliver a test alert now and say what happened, in a fixed sentence (never the webhook's answer)."""
    hook = webhook_of(tenant)
    if hook is None:
        return _("Save an alert webhook first.")
    body = {"event": "test", "store": tenant.slug, "store_name": tenant.display_name,
            "text": _("Test alert from the connector: the webhook receives alerts."),
            "at": utcnow().isoformat(timespec="seconds") + "Z"}
    try:
        post(hook, json.dumps(body, ensure_ascii=False))
    except IntegrationError as exc:
        return outcome(exc)
    return _("The test alert was delivered.")
