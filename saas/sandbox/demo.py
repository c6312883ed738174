"""The demo merchant that ``make run`` signs in with: one tenant wired to the two simulators."""
import os

from saas.catalog import activation
from saas.extensions import db
from saas.jobs.queues import enqueue
from saas.sandbox.shops import SANDBOX_SHOPS
from saas.tenants.models import Tenant, User
from saas.tenants.service import create_tenant, find_user
from saas.tenants.settings import load_settings, save_settings

DEMO_SHOP_KEY = SANDBOX_SHOPS[0].key
DEMO_SETTINGS = {
    "notification_email": "demo@loja.example", "shop_id": "", "divergence": 5.0, "trade_policy": "1",
    "affiliate_id": "CRF", "min_stock": 0, "auto_accept": True,
    "sla_normal": "Normal", "sla_expressa": "Expressa", "sla_economica": "Econômica", "sla_agendada": "",
}


def sandbox_urls() -> tuple[str, str]:
    return (os.environ.get("SANDBOX_VTEX_URL", "http://127.0.0.1:5101"),
            os.environ.get("SANDBOX_MIRAKL_URL", "http://127.0.0.1:5102"))


def signup_hints() -> dict | None:
    """What a newcomer types at sign-up to reach the sandbox (``make run`` sets SANDBOX_VTEX_URL); None elsewhere."""
    if not os.environ.get("SANDBOX_VTEX_URL"):
        return None
    return {"account": "lojademo", "app_key": "vtexappkey-lojademo", "app_token": "sandbox-app-token",
            "vtex_url": sandbox_urls()[0], "mirakl_url": sandbox_urls()[1],
            "shop_keys": [shop.key for shop in SANDBOX_SHOPS if shop.key != DEMO_SHOP_KEY]}


def seed(email: str, password: str, slug: str) -> Tenant:
    vtex_url, mirakl_url = sandbox_urls()
    user = find_user(email)
    if user is None:
        user = User(email=email)
        db.session.add(user)
    user.set_password(password)
    tenant = db.session.query(Tenant).filter_by(slug=slug).one_or_none()
    if tenant is None:
        tenant = create_tenant(user, name="Loja Demo", slug=slug, vtex_account="lojademo", vtex_base_url=vtex_url,
                               vtex_app_key="vtexappkey-lojademo", vtex_app_token="sandbox-app-token",
                               commit=False)
    tenant.vtex_base_url = vtex_url
    db.session.commit()
    row = load_settings(tenant, "carrefour")
    settings = {**DEMO_SETTINGS, **(row.settings if row else {}), "api_url": mirakl_url}
    secrets = {"shop_key": DEMO_SHOP_KEY, **(row.secrets if row else {})}
    save_settings(tenant, "carrefour", active=row.active if row else True, settings=settings, secrets=secrets,
                  action="update" if row else "activate", account_id=str(SANDBOX_SHOPS[0].shop_id))
    if row is None:
        # The simulators start with the worker; the job waits for them through its retries.
        enqueue(activation.activate, tenant.id, "carrefour", job_id=f"activate-{tenant.id}")
    return tenant
