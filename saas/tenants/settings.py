"""A tenant's connector settings: read, save with an audit entry, and turn into a ready connector."""
from flask import current_app
from sqlalchemy import select

from saas.connectors import get_connector_class
from saas.connectors.base import Connector, ConnectorContext
from saas.crypto import mask
from saas.extensions import db
from saas.tenants.models import ConnectorSettings, SettingsAudit, Tenant
from saas.tenants.scoping import scoped


def load_settings(tenant: Tenant, key: str) -> ConnectorSettings | None:
    return scoped(ConnectorSettings, tenant).filter(ConnectorSettings.connector_key == key).one_or_none()


def connected_since(tenant: Tenant, key: str):
    """When this store last turned the marketplace on (naive UTC), or None when no activation is on record."""
    return scoped(SettingsAudit, tenant).filter(SettingsAudit.connector_key == key,
                                                SettingsAudit.action == "activate") \
        .with_entities(SettingsAudit.created_at).order_by(SettingsAudit.id.desc()).limit(1).scalar()


DEFAULT_TRADE_POLICY = "1"  # VTEX's main trade policy


def trade_policy_of(settings: dict) -> str:
    """The VTEX trade policy a store sells on at this marketplace."""
    return str(settings.get("trade_policy") or DEFAULT_TRADE_POLICY)


def affiliate_of(connector_key: str, settings: dict) -> str:
    """The affiliate id VTEX knows this marketplace by in the store: the one set, or the marketplace's default."""
    connector = get_connector_class(connector_key)  # None: a plug-in no longer installed
    return settings.get("affiliate_id") or (connector.default_affiliate if connector else "")


def active_connectors(tenant_id: int) -> list[str]:
    """The keys of the store's marketplaces that are switched on."""
    return list(db.session.scalars(select(ConnectorSettings.connector_key).where(
        ConnectorSettings.tenant_id == tenant_id, ConnectorSettings.active.is_(True))))


def configured_connectors() -> list[str]:
    """The current store's marketplaces that have settings, active ones first."""
    rows = scoped(ConnectorSettings).with_entities(ConnectorSettings.connector_key, ConnectorSettings.active).all()
    return [key for key, _active in sorted(rows, key=lambda r: (not r[1], r[0])) if get_connector_class(key)]


def account_connected_elsewhere(tenant: Tenant, key: str, account_id: str) -> bool:
    """Whether another store has this marketplace shop connected through the same connector. It looks at other
    tenants on purpose, and answers only yes or no."""
    return db.session.scalars(select(ConnectorSettings.id).where(
        ConnectorSettings.connector_key == key, ConnectorSettings.account_id == str(account_id),
        ConnectorSettings.tenant_id != tenant.id).limit(1)).first() is not None


def save_settings(tenant: Tenant, key: str, *, active: bool, settings: dict, secrets: dict, user=None,
                  action: str = "update", account_id: str | None = None) -> ConnectorSettings:
    """Store the settings and, in the same transaction, an audit entry naming each changed field. ``account_id``,
    the marketplace shop the key opens, is kept while the integration is active and released when it is not."""
    row = load_settings(tenant, key) or ConnectorSettings(tenant_id=tenant.id, connector_key=key, settings={},
                                                          secrets={})
    changes = _changes(key, {"active": row.active, **(row.settings or {})}, {"active": active, **settings},
                       row.secrets or {}, secrets)
    row.active, row.settings, row.secrets = active, dict(settings), dict(secrets)
    row.account_id = (account_id or row.account_id) if active else None
    db.session.add(row)
    if changes or action != "update":
        db.session.add(SettingsAudit(tenant_id=tenant.id, user_id=getattr(user, "id", None), connector_key=key,
                                     action=action, changes=changes))
    db.session.commit()
    return row


def _changes(key, old_plain, new_plain, old_secrets, new_secrets) -> dict:
    """The fields whose value changed, as the merchant sees them: a field blank before and after (missing, None, "",
    a mapping of blanks) did not change."""
    changes = {}
    for name in sorted(set(old_plain) | set(new_plain)):
        if _meant(old_plain.get(name)) != _meant(new_plain.get(name)):
            changes[name] = {"from": old_plain.get(name), "to": new_plain.get(name)}
    for name in sorted(set(old_secrets) | set(new_secrets)):
        if old_secrets.get(name) != new_secrets.get(name):
            changes[name] = {"from": mask(old_secrets.get(name)), "to": mask(new_secrets.get(name))}
    return changes


def _meant(value):
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if _meant(v) is not None}
    return None if value in (None, "", {}, []) else value


def build_connector(tenant: Tenant, key: str, row: ConnectorSettings | None = None,
                    timeout: float | None = None) -> Connector:
    row = row or load_settings(tenant, key)
    context = ConnectorContext(tenant_id=tenant.id, settings=dict(row.settings if row else {}),
                               secrets=dict(row.secrets if row else {}),
                               timeout=timeout or current_app.config["HTTP_TIMEOUT"])
    return get_connector_class(key)(context)
