"""Creating tenants and granting access to them."""
from sqlalchemy import func, select

from saas.extensions import db
from saas.orders.models import MarketplaceOrder
from saas.tenants.models import ConnectorSettings, Membership, SettingsAudit, Tenant, User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == normalize_email(email))).first()


def slug_taken(slug: str) -> bool:
    return db.session.scalars(select(Tenant.id).where(Tenant.slug == slug)).first() is not None


def slug_in_public_urls(tenant: Tenant) -> bool:
    """Whether VTEX or a marketplace may hold URLs naming the slug: the affiliate's search endpoint and the OMS hook
    (registered at activation), each placed order's marketplaceServicesEndpoint, the freight URL pasted at the
    marketplace. From the first activation on, the slug stays, so none of them ever answers 404."""
    def exists(model, *conditions):
        return db.session.scalars(select(model.id).where(model.tenant_id == tenant.id, *conditions).limit(1)
                                  ).first() is not None
    return (exists(ConnectorSettings, ConnectorSettings.active.is_(True))
            or exists(SettingsAudit, SettingsAudit.action == "activate") or exists(MarketplaceOrder))


def create_tenant(owner: User, *, name, slug, vtex_account, store_label=None, vtex_base_url=None,
                  vtex_app_key="", vtex_app_token="", commit=True) -> Tenant:
    tenant = Tenant(name=name.strip(), slug=slug, vtex_account=vtex_account.strip(),
                    store_label=(store_label or "").strip() or None, vtex_base_url=vtex_base_url or None,
                    secrets={})
    tenant.set_vtex_credentials(vtex_app_key or "", vtex_app_token or "")
    tenant.ensure_webhook_secret()
    db.session.add(tenant)
    db.session.add(Membership(user=owner, tenant=tenant, role="owner"))
    if commit:
        db.session.commit()
    return tenant


def grant(user: User, tenant: Tenant, role: str) -> Membership:
    membership = db.session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                             Membership.tenant_id == tenant.id)).first()
    if membership is None:
        membership = Membership(user=user, tenant=tenant, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    return membership


def user_tenants(user: User) -> list[Tenant]:
    return db.session.scalars(select(Tenant).join(Membership).where(Membership.user_id == user.id)
                              .order_by(Tenant.name, Tenant.id)).all()
