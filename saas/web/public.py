"""Public routes called by VTEX and Carrefour. They authenticate by the tenant's secret in the path and answer the
same 404 for an unknown store and a wrong secret, so neither can be probed."""
import hmac

from flask import Blueprint, abort, jsonify, request

from saas.catalog import changes as sku_changes
from saas.extensions import csrf, db
from saas.tenants.models import Tenant

bp = Blueprint("public", __name__, url_prefix="/api")
csrf.exempt(bp)


def tenant_by_secret_or_404(slug: str, secret: str) -> Tenant:
    tenant = db.session.query(Tenant).filter(Tenant.slug == slug).one_or_none()
    if tenant is None or not tenant.webhook_secret or not hmac.compare_digest(tenant.webhook_secret, secret):
        abort(404)
    return tenant


def bad_request(reason: str):
    return jsonify(error=reason), 400


@bp.post("/vtex/<slug>/<secret>/notification")
def sku_notification(slug, secret):
    """VTEX's SKU change notification: stored (merged with the SKU's pending change) and answered at once."""
    tenant = tenant_by_secret_or_404(slug, secret)
    try:
        change = sku_changes.parse_notification(request.get_json(silent=True))
    except sku_changes.NotificationError as exc:
        return bad_request(str(exc))
    sku_changes.record(tenant.id, [change])
    return jsonify(received=change.sku_id), 200
