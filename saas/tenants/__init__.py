from saas.tenants.models import (  # noqa: F401
    ConnectorSettings, Invitation, Membership, SettingsAudit, Tenant, User)
