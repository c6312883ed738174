"""Turning a marketplace on and off for a tenant: on registers the VTEX affiliate and loads the whole trade policy;
off deletes the affiliate and erases the marketplace's key (the seed's rules)."""
import logging
from datetime import timedelta

from rq import Retry
from sqlalchemy import func, or_, select

from saas import bridge
from saas.catalog import changes as sku_changes
from saas.connectors import get_connector_class
from saas.extensions import db
from saas.i18n import msg
from saas.integration_errors import IntegrationError, PermanentError
from saas.jobs.context import Integration
from saas.jobs.queues import enqueue, job
from saas.jobs.schedule import run_soon
from saas.tenants.models import ConnectorSettings, Tenant
from saas.tenants.public_urls import hook_url, notification_url
from saas.tenants.settings import affiliate_of, trade_policy_of
from saas.vtex.client import VtexClient

log = logging.getLogger(__name__)
PAGE_SIZE = 1000


HOOK_STATUSES = ["ready-for-handling", "handling", "invoiced", "canceled"]
HOOK_ATTEMPTS, HOOK_RETRY = 3, timedelta(minutes=1)
CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"


# -- affiliate ids: VTEX keeps one affiliate per id and account ------------------------------------------------------
def affiliate_ids_taken(tenant, connector_key: str) -> set[str]:
    """The affiliate ids our other active integrations on the same VTEX account registered (other stores', and this
    store's other marketplaces'): saving one of them here would repoint that affiliate (and its notifications).

    It reads other tenants' settings on purpose, and answers only ids, never which store holds them."""
    rows = db.session.execute(
        select(ConnectorSettings.connector_key, ConnectorSettings.settings)
        .join(Tenant, Tenant.id == ConnectorSettings.tenant_id).where(
            func.lower(Tenant.vtex_account) == tenant.vtex_account.lower(),
            or_(Tenant.id != tenant.id, ConnectorSettings.connector_key != connector_key),
            ConnectorSettings.active.is_(True))).all()
    return {affiliate_of(key, settings).upper() for key, settings in rows} - {""}


def free_affiliate_id(tenant, connector_key: str, preferred: str) -> str:
    """``preferred`` unless another of our integrations on the account uses it or VTEX already has it for something
    else; else the first free id of three consonants that starts like it (CRB, CRC, … then CBB, …)."""
    taken = affiliate_ids_taken(tenant, connector_key)
    try:
        own = notification_url(tenant)
        taken |= {str(a.get("id") or "").upper() for a in VtexClient.for_tenant(tenant, timeout=3).affiliates()
                  if a.get("searchURIEndpoint") != own}
    except IntegrationError:
        pass  # VTEX unreachable or the key not set yet: our own stores are still avoided
    preferred = preferred.upper()
    candidates = [preferred] + [preferred[:2] + c for c in CONSONANTS] + [
        preferred[0] + a + b for a in CONSONANTS for b in CONSONANTS]
    return next((c for c in candidates if c not in taken), preferred)



def register_affiliate(tenant, connector_key: str, settings: dict) -> None:
    """Create or update the affiliate at VTEX (raises IntegrationError when VTEX refuses), then the OMS hook (a
    failure there is reported, not fatal: the callbacks still bring the events)."""
    client = VtexClient.for_tenant(tenant)
    client.save_affiliate(
        affiliate_of(connector_key, settings),
        name=f"{get_connector_class(connector_key).name} ({tenant.display_name})"[:60],
        trade_policy=trade_policy_of(settings),
        follow_up_email=settings.get("notification_email") or "", notification_url=notification_url(tenant))
    db.session.commit()  # the webhook secret, when it was created just now
    _configure_hook(tenant, connector_key, attempt=1)


@job("default", 60, Retry(max=2, interval=[30, 120]), integration=True)
def configure_hook(integration: Integration, attempt: int) -> str:
    """The OMS hook again, a while after VTEX could not reach us (our web still starting, a deploy)."""
    return _configure_hook(integration.tenant, integration.row.connector_key, attempt)


def _configure_hook(tenant, connector_key: str, attempt: int) -> str:
    """Register the OMS hook. VTEX pings the hook's URL before it saves it, and our web may be starting (a deploy,
    ``make run``'s first seconds): it is tried again ``HOOK_ATTEMPTS`` times, a minute apart, before the merchant
    hears of it."""
    try:
        VtexClient.for_tenant(tenant).configure_order_hook(hook_url(tenant), statuses=HOOK_STATUSES,
                                                           secret=tenant.webhook_secret)
        return "registered"
    except IntegrationError as exc:
        if attempt < HOOK_ATTEMPTS:
            enqueue(configure_hook, tenant.id, connector_key, attempt + 1, delay=HOOK_RETRY)
            return "again later"
        bridge.record(tenant.id, "integration", "hook", "warning",
                      msg("VTEX's order hook could not be registered (%(detail)s); invoices and tracking still "
                          "arrive through the order callbacks.", detail=exc.said))
        return "failed"


def start_initial_load(tenant, connector_key: str) -> None:
    enqueue(initial_load, tenant.id, connector_key,
            job_id=f"initial-load-{tenant.id}-{connector_key}")


def deactivate(tenant, connector_key: str, settings: dict) -> None:
    """Delete the affiliate at VTEX (a failure is reported, not fatal: the marketplace's key is erased anyway)."""
    affiliate = affiliate_of(connector_key, settings)
    key_name = get_connector_class(connector_key).credentials_label
    try:
        VtexClient.for_tenant(tenant).delete_affiliate(affiliate)
        message = msg("Integration turned off: affiliate %(affiliate)s deleted at VTEX and the %(key_name)s erased.",
                      affiliate=affiliate, key_name=key_name)
        status = "success"
    except PermanentError as exc:
        message = msg("Integration turned off; the affiliate %(affiliate)s was already gone at VTEX (%(detail)s).",
                      affiliate=affiliate, detail=exc.said)
        status = "success"
    except IntegrationError as exc:
        message = msg("Integration turned off and the %(key_name)s erased, but VTEX could not delete the affiliate "
                      "%(affiliate)s (%(detail)s); delete it in VTEX's admin.",
                      key_name=key_name, affiliate=affiliate, detail=exc.said)
        status = "warning"
    bridge.record(tenant.id, "integration", connector_key, status, message, connector_key=connector_key)


@job("sync", 600, Retry(max=10, interval=3), integration=True)
def activate(integration: Integration) -> int:
    """Register the affiliate, then load the catalog: for a tenant activated outside the portal (the demo seed)."""
    register_affiliate(integration.tenant, integration.row.connector_key, integration.settings)
    return _load(integration)


@job("sync", 3600, Retry(max=2, interval=[60, 300]), integration=True)
def initial_load(integration: Integration) -> int:
    """Every SKU of the trade policy becomes a pending change of the connector; its next sync sends them."""
    return _load(integration)


def _load(integration: Integration) -> int:
    tenant, row = integration.tenant, integration.row
    connector_key = row.connector_key
    client = VtexClient.for_tenant(tenant)
    trade_policy = trade_policy_of(row.settings)
    total, page = 0, 1
    while True:
        ids = client.sku_ids_of_trade_policy(trade_policy, page=page, page_size=PAGE_SIZE)
        if not ids:
            break
        sku_changes.record(tenant.id, [sku_changes.Change.everything(i) for i in ids], connectors=[row.connector_key])
        total += len(ids)
        if len(ids) < PAGE_SIZE:
            break
        page += 1
    bridge.record(tenant.id, "integration", connector_key, "success",
                  msg("Initial load: %(count)d SKUs of trade policy %(trade_policy)s queued for %(marketplace)s.",
                      count=total, trade_policy=trade_policy, marketplace=get_connector_class(connector_key).name),
                  connector_key=connector_key)
    run_soon("sync", tenant.id, row.connector_key)
    return total
