"""What a job runs with: the Flask app context (a job started outside one, by an RQ worker of another process, gets
one) and, for the job of one store's marketplace, that integration: the tenant, its settings and its connector."""
import functools
import logging
from dataclasses import dataclass
from functools import cached_property

from flask import has_app_context

log = logging.getLogger(__name__)


def with_app_context(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        from saas import create_app
        with create_app().app_context():
            return func(*args, **kwargs)
    return wrapper


@dataclass
class Integration:
    """One store's marketplace, as a job acts for it."""

    tenant: object
    row: object  # its ConnectorSettings

    @property
    def settings(self) -> dict:
        return self.row.settings

    @cached_property
    def connector(self):
        from saas.tenants.settings import build_connector
        return build_connector(self.tenant, self.row.connector_key, self.row)

    @classmethod
    def active(cls, tenant_id: int, connector_key: str) -> "Integration | None":
        """The integration when it is on; None for an unknown store or marketplace, or one turned off."""
        from saas.extensions import db
        from saas.tenants.models import Tenant
        from saas.tenants.settings import load_settings
        tenant = db.session.get(Tenant, tenant_id)
        row = tenant and load_settings(tenant, connector_key)
        return cls(tenant, row) if row is not None and row.active else None


def for_integration(func, tenant_arg: int = 0):
    """Call ``func`` with an :class:`Integration` in place of the (tenant id, connector key) arguments at
    ``tenant_arg``; an integration that is off is not run (None)."""
    @functools.wraps(func)
    def run(*args):
        tenant_id, connector_key = args[tenant_arg], args[tenant_arg + 1]
        integration = Integration.active(tenant_id, connector_key)
        if integration is None:
            log.info("%s skipped: integration inactive", func.__name__, extra={"tenant": tenant_id})
            return None
        return func(*args[:tenant_arg], integration, *args[tenant_arg + 2:])
    return run
