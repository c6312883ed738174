"""The addresses VTEX and the marketplaces call, per tenant; the secret in the path authenticates VTEX."""
from flask import current_app


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def notification_url(tenant) -> str:
    """VTEX's affiliate search endpoint: SKU change notifications."""
    return f"{_base()}/api/vtex/{tenant.slug}/{tenant.ensure_webhook_secret()}/notification"


def freight_url(tenant, connector_key: str) -> str:
    """The freight quote a marketplace is given, in the shape VTEX's own connectors use."""
    return f"{_base()}/api/{connector_key}integration/pub/{tenant.slug}/freight"


def services_endpoint(tenant, connector_key: str) -> str:
    """The order's ``marketplaceServicesEndpoint``: VTEX appends /pvt/orders/{id}/invoice, …/cancel, …; it names
    the order's marketplace, whose numbers may be another marketplace's too."""
    return f"{_base()}/api/vtex/{tenant.slug}/{tenant.ensure_webhook_secret()}/oms/{connector_key}"


def hook_url(tenant) -> str:
    """VTEX's OMS hook: order changes, the safety net of the callbacks."""
    return f"{_base()}/api/vtex/{tenant.slug}/{tenant.ensure_webhook_secret()}/hook"
