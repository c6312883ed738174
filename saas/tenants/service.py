"""Creating tenants and granting access to them."""
from sqlalchemy import func, select

from saas.extensions import db
from saas.tenants.models import Membership, Tenant, User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == normalize_email(email))).first()


def slug_taken(slug: str) -> bool:
    return db.session.scalars(select(Tenant.id).where(Tenant.slug == slug)).first() is not None


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
