import secrets

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from saas.crypto import EncryptedJSON
from saas.extensions import db
from saas.i18n import N_, Words
from saas.timeutil import utcnow

ROLES = ("owner", "admin", "viewer")
AUDIT_ACTIONS = Words(activate=N_("activated"), deactivate=N_("deactivated"), update=N_("changed"))
EDITOR_ROLES = ("owner", "admin")


class User(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)
    # A platform administrator (``flask users make-admin``): sees the queue view; never a merchant role.
    is_admin = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    locale = db.Column(db.String(10))  # the portal's language this user chose; None: the browser's
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    memberships = db.relationship("Membership", back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Tenant(db.Model):
    """One VTEX store (one store of a multistore), with its own Carrefour shop."""

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(63), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    vtex_account = db.Column(db.String(63), nullable=False)
    store_label = db.Column(db.String(120))
    # Empty means VTEX's production host for the account; the demo points it at the VTEX simulator.
    vtex_base_url = db.Column(db.String(255))
    # {"app_key", "app_token", "webhook_secret"}: one encrypted value, never shown back in full.
    secrets = db.Column(EncryptedJSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    memberships = db.relationship("Membership", back_populates="tenant", cascade="all, delete-orphan")

    @property
    def vtex_app_key(self):
        return (self.secrets or {}).get("app_key", "")

    @property
    def vtex_app_token(self):
        return (self.secrets or {}).get("app_token", "")

    @property
    def webhook_secret(self):
        return (self.secrets or {}).get("webhook_secret", "")

    def set_vtex_credentials(self, app_key: str, app_token: str) -> None:
        self.secrets = {**(self.secrets or {}), "app_key": app_key, "app_token": app_token}

    def ensure_webhook_secret(self) -> str:
        if not self.webhook_secret:
            self.secrets = {**(self.secrets or {}), "webhook_secret": secrets.token_urlsafe(24)}
        return self.webhook_secret

    @property
    def vtex_url(self) -> str:
        return (self.vtex_base_url or f"https://{self.vtex_account}.vtexcommercestable.com.br").rstrip("/")

    @property
    def vtex_admin_url(self) -> str:
        """The store's VTEX admin (the sandbox serves its own pages at the same paths)."""
        return (self.vtex_base_url or f"https://{self.vtex_account}.myvtex.com").rstrip("/") + "/admin"

    def vtex_sku_admin_url(self, sku_id) -> str:
        return f"{self.vtex_admin_url}/Site/SkuForm.aspx?IdSku={sku_id}"

    def vtex_order_admin_url(self, order_id) -> str:
        return f"{self.vtex_admin_url}/orders/{order_id}"

    @property
    def display_name(self) -> str:
        return f"{self.name} · {self.store_label}" if self.store_label else self.name


class Membership(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False, index=True)
    role = db.Column(db.String(16), nullable=False)

    user = db.relationship("User", back_populates="memberships")
    tenant = db.relationship("Tenant", back_populates="memberships")

    __table_args__ = (db.UniqueConstraint("user_id", "tenant_id", name="uq_membership_user_tenant"),)

    @property
    def can_edit(self) -> bool:
        return self.role in EDITOR_ROLES


class Invitation(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False, index=True)
    email = db.Column(db.String(254), nullable=False)
    role = db.Column(db.String(16), nullable=False)
    token = db.Column(db.String(64), nullable=False, unique=True, default=lambda: secrets.token_urlsafe(32))
    invited_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    accepted_at = db.Column(db.DateTime)

    tenant = db.relationship("Tenant")


class ConnectorSettings(db.Model):
    """A tenant's settings for one marketplace connector: plain settings and encrypted secrets apart."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    connector_key = db.Column(db.String(40), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=False)
    settings = db.Column(db.JSON, nullable=False, default=dict)
    secrets = db.Column(EncryptedJSON, nullable=False, default=dict)
    # The marketplace's own id of the shop the key opens (Mirakl's shop_id), while active: one store per shop.
    account_id = db.Column(db.String(64))
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    tenant = db.relationship("Tenant")

    __table_args__ = (db.UniqueConstraint("tenant_id", "connector_key", name="uq_connector_settings_tenant_key"),
                      db.UniqueConstraint("connector_key", "account_id", name="uq_connector_settings_key_account"))


class SettingsAudit(db.Model):
    """Who changed which settings field, and when; secret values appear masked."""

    id = db.Column(db.Integer, primary_key=True)
    tenant_id = db.Column(db.Integer, db.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    connector_key = db.Column(db.String(40), nullable=False)
    action = db.Column(db.String(20), nullable=False)
    changes = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

    __table_args__ = (db.Index("ix_settings_audit_tenant_time", "tenant_id", "created_at"),)
