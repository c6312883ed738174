"""Tenant pages live under ``/t/<slug>/``: the slug becomes ``g.tenant`` for a member, a 404 for anyone else."""
from flask import abort, g, request
from flask_login import login_required

from saas.tenants.scoping import load_membership_or_404

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def attach_tenant(blueprint):
    @blueprint.url_value_preprocessor
    def pull_slug(_endpoint, values):
        g.tenant_slug = values.pop("slug", None)

    @blueprint.url_defaults
    def add_slug(_endpoint, values):
        if "slug" not in values and getattr(g, "tenant", None) is not None:
            values["slug"] = g.tenant.slug

    @blueprint.before_request
    @login_required
    def load_tenant():
        g.membership = load_membership_or_404(g.tenant_slug)
        g.tenant = g.membership.tenant
        # A viewer sees everything of the tenant and changes nothing.
        if request.method not in SAFE_METHODS and not g.membership.can_edit:
            abort(403)
