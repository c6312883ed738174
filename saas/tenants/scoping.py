"""The one way to read tenant-owned rows: always filtered by the tenant the request (or job) is about.

A row of another tenant is indistinguishable from a row that does not exist: both are a 404.
"""
from flask import abort, g
from flask_login import current_user

from saas.extensions import LOOKUP, among, db
from saas.tenants.models import Membership, Tenant


def current_tenant() -> Tenant:
    return g.tenant


def scoped(model, tenant=None, connector_key: str | None = None):
    """A query of ``model`` limited to one tenant (the current one by default) and, for the state a marketplace
    owns, to one of the tenant's connectors."""
    tenant_id = (tenant or g.tenant).id
    query = db.session.query(model).filter(model.tenant_id == tenant_id)
    return query.filter(model.connector_key == connector_key) if connector_key else query


def scoped_among(model, column, values: list, tenant=None, connector_key: str | None = None):
    """The rows of ``scoped`` whose ``column`` is one of ``values``, however many: ``LOOKUP`` at a time."""
    query = scoped(model, tenant, connector_key)
    for start in range(0, len(values), LOOKUP):
        yield from query.filter(among(column, values[start:start + LOOKUP]))


def get_scoped_or_404(model, ident, tenant=None):
    row = scoped(model, tenant).filter(model.id == ident).one_or_none()
    if row is None:
        abort(404)
    return row


def load_membership_or_404(slug: str) -> Membership:
    """The signed-in user's membership of the tenant ``slug``; 404 when there is none (or no such tenant)."""
    membership = (db.session.query(Membership).join(Tenant)
                  .filter(Tenant.slug == slug, Membership.user_id == current_user.id).one_or_none())
    if membership is None:
        abort(404)
    return membership
