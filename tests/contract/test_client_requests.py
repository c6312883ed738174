"""Every request our Mirakl and VTEX clients send, as sent (method, path, query, headers, body; multipart by its
parts), validates against the official specification; a deliberately malformed one does not."""
import io
import json

import pytest
import requests
from openapi_core.validation.request.exceptions import InvalidRequestBody, MissingRequiredParameter

from saas.connectors.mirakl.client import MiraklClient
from saas.connectors.mirakl.mapping import order_from_mirakl
from saas.orders import checks
from saas.vtex.client import VtexClient
from saas.vtex.simulation import Simulation
from tests.contract.specs import MIRAKL_HOST, VTEX_HOST, validate

MIRAKL = "mirakl/mirakl-mmp-seller-openapi.json"
CATALOG = "vtex/vtex-catalog-api.json"
CHECKOUT = "vtex/vtex-marketplace-protocol-external-marketplace-orders.json"
MARKETPLACE = "vtex/vtex-marketplace-apis.json"
ORDERS = "vtex/vtex-orders-api.json"
LOGISTICS = "vtex/vtex-logistics-api.json"
PROMOTIONS = "vtex/vtex-promotions-taxes-api.json"


def mirakl():
    return MiraklClient(MIRAKL_HOST, "shop-key-123", shop_id=2001)


def vtex():
    return VtexClient(VTEX_HOST, "vtexappkey-x", "token-y")


def csv_file():
    return io.BytesIO("sku;product-id;price\n1001;7890000010010;199.90\n".encode())


# (operation, spec, HTTP method, path, mocked answer, the call)
MIRAKL_CASES = [
    ("A01", "GET", "/api/account", {"json": {"shop_id": 2001}}, lambda c: c.account()),
    ("SH12", "GET", "/api/shipping/types", {"json": {"shipping_types": []}}, lambda c: c.shipping_types()),
    ("SH21", "GET", "/api/shipping/carriers", {"json": {"carriers": []}}, lambda c: c.carriers()),
    ("P41", "POST", "/api/products/imports", {"json": {"import_id": 1}, "status_code": 201},
     lambda c: c.import_products(csv_file())),
    ("P42", "GET", "/api/products/imports/1", {"json": {}}, lambda c: c.product_import(1)),
    ("P31", "GET", "/api/products", {"json": {"products": []}},
     lambda c: c.products_by_reference([("EAN", "7890000010016"), ("EAN", "7890000010023")])),
    ("P44", "GET", "/api/products/imports/1/error_report", {"text": "x"}, lambda c: c.product_error_report(1)),
    ("OF01", "POST", "/api/offers/imports", {"json": {"import_id": 2}, "status_code": 201},
     lambda c: c.import_offers(csv_file())),
    ("OF02", "GET", "/api/offers/imports/2", {"json": {}}, lambda c: c.offer_import(2)),
    ("OF03", "GET", "/api/offers/imports/2/error_report", {"text": "x"}, lambda c: c.offer_error_report(2)),
    ("OF21", "GET", "/api/offers", {"json": {"offers": []}}, lambda c: c.list_offers(sku="1001")),
    ("OF52", "POST", "/api/offers/export/async", {"json": {"tracking_id": "t-1"}},
     lambda c: c.export_offers(["shop-sku", "price", "quantity", "active", "deleted"])),
    ("OF53", "GET", "/api/offers/export/async/status/t-1", {"json": {"status": "PENDING"}},
     lambda c: c.offer_export("t-1")),
    ("OR11", "GET", "/api/orders", {"json": {"orders": []}},
     lambda c: c.list_orders(start_update_date="2026-11-26T10:00:00Z", offset=100)),
    ("OR11 by creation", "GET", "/api/orders", {"json": {"orders": []}},
     lambda c: c.list_orders(states=["SHIPPING"], start_date="2026-11-26T10:00:00Z")),
    # The spec's schema admits one state code although its description speaks of a comma-separated list.
    ("OR11 one state", "GET", "/api/orders", {"json": {"orders": []}}, lambda c: c.list_orders(states=["SHIPPING"])),
    ("OR21", "PUT", "/api/orders/O-1/accept", {"status_code": 204},
     lambda c: c.accept_order("O-1", {"O-1-1": True, "O-1-2": False})),
    ("OR23 by code", "PUT", "/api/orders/O-1/tracking", {"status_code": 204},
     lambda c: c.set_tracking("O-1", tracking_number="BR1", carrier_code="correios")),
    ("OR23 by name", "PUT", "/api/orders/O-1/tracking", {"status_code": 204},
     lambda c: c.set_tracking("O-1", tracking_number="BR1", carrier_name="Transp. X", carrier_url="https://t/BR1")),
    ("OR24", "PUT", "/api/orders/O-1/ship", {"status_code": 204}, lambda c: c.ship("O-1")),
    ("OR31", "PUT", "/api/orders/O-1/additional_fields", {"status_code": 204},
     lambda c: c.update_additional_fields("O-1", [{"code": "nfe-key", "type": "STRING", "value": "3526"}])),
    ("OR42", "POST", "/api/orders/O-1/messages", {"status_code": 201},
     lambda c: c.send_message("O-1", "Cancelamento", "Por favor, cancelem o pedido.")),
    ("OR43", "POST", "/api/orders/O-1/threads", {"json": {"thread_id": "T"}, "status_code": 201},
     lambda c: c.create_thread("O-1", "Cancelamento", "Por favor, cancelem o pedido.")),
    ("OR74", "POST", "/api/orders/O-1/documents", {"json": {"errors_count": 0}},
     lambda c: c.upload_documents("O-1", [("nfe-123.xml", io.BytesIO(b"<nfeProc/>"), "CUSTOMER_INVOICE")])),
]


def _mirakl_order(lines, complement="Apto 45", phone="11987654321", shipping=12.9):
    """A paid Carrefour order as Mirakl's OR11 returns it; ``lines`` are (sku, quantity, unit price)."""
    price = sum(quantity * unit for _, quantity, unit in lines)
    return order_from_mirakl({
        "order_id": "CRF1-A", "order_state": "SHIPPING", "last_updated_date": "2026-11-26T10:00:00Z",
        "price": price, "shipping_price": shipping, "total_price": price + shipping, "shipping_type_label": "Normal",
        "customer": {"firstname": "Ana", "lastname": "Conceição", "shipping_address": {
            "firstname": "Ana", "lastname": "Conceição", "street_1": "Rua das Flores, 123", "street_2": complement,
            "zip_code": "01310-100", "city": "São Paulo", "state": "SP", "country_iso_code": "BRA",
            "phone": phone}},
        "order_additional_fields": [{"code": "cpf", "value": "123.456.789-09"}],
        "order_lines": [{"order_line_id": f"L{n}", "offer_sku": sku, "quantity": quantity, "price_unit": unit,
                         "order_line_state": "SHIPPING"} for n, (sku, quantity, unit) in enumerate(lines)]})


def _simulation(order, slas=("Normal",)):
    """VTEX's simulation for the order: each item's SLAs, each with its own price."""
    return Simulation({"logisticsInfo": [{"itemIndex": index, "slas": [
        {"id": name, "name": name, "price": 500 + 100 * index + 10 * offered, "shippingEstimate": f"{3 + offered}bd",
         "deliveryIds": [{"courierName": name}]} for offered, name in enumerate(slas)]}
        for index in range(len(order.lines))]})


# Orders as the product builds them: one line, several lines, several SLAs offered, with and without complement
# and phone.
PLACED_ORDERS = {
    "one line": (_mirakl_order([("1001", 1, 199.9)]), ("Normal",)),
    "several lines": (_mirakl_order([("1001", 2, 49.95), ("1002", 1, 99.9), ("1003", 3, 5)]), ("Normal",)),
    "several SLAs": (_mirakl_order([("1001", 1, 199.9), ("1002", 1, 10)]), ("Expressa", "Normal", "Agendada")),
    "no complement, no phone": (_mirakl_order([("1001", 1, 199.9)], complement="", phone=""), ("Normal",)),
}
VTEX_CASES = [
    ("SKU and context", CATALOG, "GET", "/api/catalog_system/pvt/sku/stockkeepingunitbyid/1001", {"json": {}},
     lambda c: c.sku_context(1001, "1")),
    ("SKUs of a trade policy", CATALOG, "GET", "/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel",
     {"json": []}, lambda c: c.sku_ids_of_trade_policy("1", page=2, page_size=500)),
    ("simulation without CEP", CHECKOUT, "POST", "/api/checkout/pub/orderForms/simulation", {"json": {}},
     lambda c: c.simulate([("1001", 1), ("1002", 1)], trade_policy="1", affiliate_id="CRF")),
    ("simulation with CEP", CHECKOUT, "POST", "/api/checkout/pub/orderForms/simulation", {"json": {}},
     lambda c: c.simulate([("1001", 2)], trade_policy="1", affiliate_id="CRF", postal_code="01310100")),
    ("authorize dispatch", CHECKOUT, "POST", "/api/fulfillment/pvt/orders/CRF-CRF1-A/fulfill", {"json": {}},
     lambda c: c.authorize_dispatch("CRF-CRF1-A", "CRF1-A", trade_policy="1", affiliate_id="CRF")),
    ("get order", ORDERS, "GET", "/api/oms/pvt/orders/CRF-CRF1-A", {"json": {}},
     lambda c: c.get_order("CRF-CRF1-A")),
    ("cancel order", ORDERS, "POST", "/api/oms/pvt/orders/CRF-CRF1-A/cancel", {"json": {}},
     lambda c: c.cancel_order("CRF-CRF1-A", "Cancelado no Carrefour")),
    ("hook config", ORDERS, "POST", "/api/orders/hook/config", {"json": {}},
     lambda c: c.configure_order_hook("https://portal/hook", statuses=["invoiced", "canceled"],
                                      secret="s3cr3t")),
    ("hook config read", ORDERS, "GET", "/api/orders/hook/config", {"json": {}}, lambda c: c.order_hook()),
    ("affiliate save", MARKETPLACE, "PUT", "/api/fulfillment/pvt/affiliates/CRF", {"status_code": 204},
     lambda c: c.save_affiliate("CRF", name="Carrefour", trade_policy="1", follow_up_email="ops@loja.example",
                                notification_url="https://portal/api/vtex/loja/s/notification")),
    ("affiliates list", MARKETPLACE, "GET", "/api/fulfillment/pvt/affiliates", {"json": []},
     lambda c: c.affiliates()),
    ("affiliate read", MARKETPLACE, "GET", "/api/fulfillment/pvt/affiliates/CRF", {"json": {}},
     lambda c: c.get_affiliate("CRF")),
    ("affiliate delete", MARKETPLACE, "DELETE", "/api/fulfillment/pvt/affiliates/CRF", {"status_code": 204},
     lambda c: c.delete_affiliate("CRF")),
    ("carriers", LOGISTICS, "GET", "/api/logistics/pvt/shipping-policies", {"json": {"items": []}},
     lambda c: c.carriers()),
    ("promotions", PROMOTIONS, "GET", "/api/rnb/pvt/benefits/calculatorconfiguration", {"json": {"items": []}},
     lambda c: c.promotions()),
    ("promotion", PROMOTIONS, "GET", "/api/rnb/pvt/calculatorconfiguration/d8a1cd2e-b667-4054-b3ae-b79124c7218e",
     {"json": {}}, lambda c: c.promotion("d8a1cd2e-b667-4054-b3ae-b79124c7218e")),
]


@pytest.mark.parametrize("operation, method, path, answer, call", MIRAKL_CASES, ids=[c[0] for c in MIRAKL_CASES])
def test_mirakl_client_requests_match_the_spec(requests_mock, operation, method, path, answer, call):
    requests_mock.register_uri(method, MIRAKL_HOST + path, **answer)
    call(mirakl())
    sent = requests_mock.last_request
    assert sent.headers["Authorization"] == "shop-key-123"  # the raw key, no "Bearer"
    assert sent.qs["shop_id"] == ["2001"]
    validate(MIRAKL, sent, MIRAKL_HOST)


@pytest.mark.parametrize("operation, spec_name, method, path, answer, call", VTEX_CASES,
                         ids=[c[0] for c in VTEX_CASES])
def test_vtex_client_requests_match_the_spec(requests_mock, operation, spec_name, method, path, answer, call):
    requests_mock.register_uri(method, VTEX_HOST + path, **answer)
    call(vtex())
    sent = requests_mock.last_request
    assert sent.headers["X-VTEX-API-AppKey"] == "vtexappkey-x" and sent.headers["X-VTEX-API-AppToken"] == "token-y"
    validate(spec_name, sent, VTEX_HOST)


def _placed_body(name) -> dict:
    order, offered = PLACED_ORDERS[name]
    slas = checks.select_slas(order, _simulation(order, offered), "Normal")
    return checks.vtex_order(order, slas, services_endpoint="https://portal/api/vtex/loja-a/s/oms")


@pytest.mark.parametrize("name", PLACED_ORDERS)
def test_the_orders_the_product_places_match_the_spec_in_the_array_form_vtex_guides_use(requests_mock, name):
    """The body ``checks.vtex_order`` builds, as the importer sends it. Deviation, named: VTEX's guides
    (shared/reference/vtex-apis.md §6) send the order as a one-element array, while the spec's schema is the order
    object. We send the array, and check its element against the spec."""
    body = _placed_body(name)
    requests_mock.post(VTEX_HOST + "/api/fulfillment/pvt/orders", json=[{"orderId": "CRF-CRF1-A"}])
    assert vtex().place_order(body, trade_policy="1", affiliate_id="CRF") == {"orderId": "CRF-CRF1-A"}
    sent = requests_mock.last_request
    placed = sent.json()
    assert isinstance(placed, list) and len(placed) == 1 and placed[0] == body
    assert sent.qs == {"sc": ["1"], "affiliateid": ["crf"]}  # requests-mock lower-cases the query
    sent._request.body = json.dumps(placed[0]).encode()  # the element, as the spec describes the body
    validate(CHECKOUT, sent, VTEX_HOST)


def test_the_old_body_with_nulls_where_the_spec_has_none_fails_the_same_check(requests_mock):
    requests_mock.post(VTEX_HOST + "/api/fulfillment/pvt/orders", json=[{"orderId": "CRF-CRF1-A"}])
    broken = _placed_body("one line")
    broken["shippingData"]["address"]["reference"] = None
    broken["shippingData"]["logisticsInfo"][0]["deliveryWindow"] = None
    requests.post(VTEX_HOST + "/api/fulfillment/pvt/orders", json=broken, params={"sc": "1", "affiliateId": "CRF"},
                  headers={"X-VTEX-API-AppKey": "k", "X-VTEX-API-AppToken": "t"})
    with pytest.raises(InvalidRequestBody):
        validate(CHECKOUT, requests_mock.last_request, VTEX_HOST)


def test_a_malformed_mirakl_request_fails_the_same_check(requests_mock):
    requests_mock.post(MIRAKL_HOST + "/api/offers/imports", json={"import_id": 1}, status_code=201)
    requests.post(MIRAKL_HOST + "/api/offers/imports", files={"file": ("offers.csv", b"sku\n1\n")},
                  headers={"Authorization": "k"})  # no import_mode
    with pytest.raises(InvalidRequestBody):
        validate(MIRAKL, requests_mock.last_request, MIRAKL_HOST)


def test_a_malformed_accept_fails_the_same_check(requests_mock):
    requests_mock.put(MIRAKL_HOST + "/api/orders/O-1/accept", status_code=204)
    requests.put(MIRAKL_HOST + "/api/orders/O-1/accept", json={"order_lines": [{"accepted": "yes"}]},
                 headers={"Authorization": "k"})
    with pytest.raises(InvalidRequestBody):
        validate(MIRAKL, requests_mock.last_request, MIRAKL_HOST)


def test_a_malformed_vtex_request_fails_the_same_check(requests_mock):
    path = "/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel"
    requests_mock.get(VTEX_HOST + path, json=[])
    requests.get(VTEX_HOST + path, headers={"X-VTEX-API-AppKey": "k", "X-VTEX-API-AppToken": "t",
                                            "Accept": "application/json", "Content-Type": "application/json"})
    with pytest.raises(MissingRequiredParameter):  # sc, the trade policy, is required
        validate(CATALOG, requests_mock.last_request, VTEX_HOST)
