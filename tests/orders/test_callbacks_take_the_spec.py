"""Every body VTEX's marketplace protocol allows is accepted by our callbacks: the spec's own example of each
operation, and its minimal valid body (the required fields only), not only what our simulator happens to send.

The bodies are built from the published file (``shared/specs/vtex/vtex-marketplace-protocol-external-seller-
marketplace.json``): each property's ``example``, for every property (the example) or for the required ones (the
minimal body)."""
import json

import pytest

from saas.orders.models import OrderEvent
from tests.contract.specs import specs_dir
from tests.orders.test_events_e2e import imported, live  # noqa: F401 (a fixture)

SPEC = "vtex/vtex-marketplace-protocol-external-seller-marketplace.json"
# The spec's operations that our marketplaceServicesEndpoint answers, and the event each one stores.
OPERATIONS = {"/pvt/orders/{marketplaceOrderId}/invoice": "invoice",
              "/pvt/orders/{marketplaceOrderId}/invoice/{invoiceNumber}": "tracking",
              "/pvt/orders/{marketplaceOrderId}/invoice/{invoiceNumber}/tracking": "delivered",
              "/pvt/orders/{marketplaceOrderId}/cancel": "cancel"}


def _spec() -> dict:
    return json.loads((specs_dir() / SPEC).read_text())


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def body_of(spec: dict, schema: dict, minimal: bool):
    """A value for ``schema`` from its examples: every property, or only the required ones when ``minimal``."""
    schema = _resolve(spec, schema)
    if schema.get("type") == "object" or "properties" in schema:
        names = schema.get("required", []) if minimal else list(schema.get("properties", {}))
        return {name: body_of(spec, schema["properties"][name], minimal) for name in names}
    if schema.get("type") == "array":
        return [body_of(spec, schema.get("items", {}), minimal)] if "items" in schema else []
    if "example" in schema:
        return schema["example"]
    return {"string": "x", "integer": 1, "number": 1, "boolean": True}.get(schema.get("type"), "x")


def _cases():
    spec = _spec()
    for path, kind in OPERATIONS.items():
        schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        for minimal in (False, True):
            yield pytest.param(path, kind, body_of(spec, schema, minimal),
                               id=f"{kind}-{'minimal' if minimal else 'example'}")


@pytest.mark.parametrize("path, kind, body", list(_cases()))
def test_each_callback_takes_the_specs_example_and_its_minimal_body(live, client, path, kind, body):  # noqa: F811
    mkt_id = imported(live)
    # The services endpoint of today's orders (it names the marketplace), and the one of orders placed before it.
    for endpoint in ("oms/carrefour", "oms"):
        url = f"/api/vtex/loja-a/{live.tenant.webhook_secret}/{endpoint}" + path.replace(
            "{marketplaceOrderId}", mkt_id).replace("{invoiceNumber}", "NFe-00002")
        live.db.session.query(OrderEvent).delete()
        live.db.session.commit()
        response = client.post(url, json=body)
        assert response.status_code == 200, (endpoint, body, response.get_json())
        assert kind in {event.kind for event in live.db.session.query(OrderEvent).all()}


def test_a_delivery_without_a_date_takes_the_last_events_or_the_time_of_the_call(live, client):  # noqa: F811
    mkt_id = imported(live)
    base = f"/api/vtex/loja-a/{live.tenant.webhook_secret}/oms/pvt/orders/{mkt_id}/invoice"
    events = [{"city": "Rio de Janeiro", "description": "Em trânsito", "date": "2026-12-01"},
              {"city": "Niterói", "description": "Entregue", "date": "2026-12-02T15:30:00Z"}]
    assert client.post(base + "/NF-1/tracking", json={"isDelivered": True, "events": events}).status_code == 200
    assert client.post(base + "/NF-2/tracking", json={"isDelivered": True}).status_code == 200
    stored = {e.key: e.payload["deliveredDate"] for e in live.db.session.query(OrderEvent).filter_by(kind="delivered")}
    assert stored["NF-1"] == "2026-12-02T15:30:00Z"
    assert stored["NF-2"].startswith(live.db.session.query(OrderEvent).filter_by(key="NF-2").one()
                                     .created_at.strftime("%Y-%m-%dT%H:"))
