from saas.tenants.models import ConnectorSettings, Invitation, Membership, SettingsAudit, Tenant, User  # noqa: F401
