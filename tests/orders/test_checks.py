"""The order checks and the VTEX order body, as pure functions over plain data."""
import pytest

from saas.connectors.carrefour.settings import SHIPPING_TYPES
from saas.connectors.mirakl.mapping import order_from_mirakl
from saas.orders import checks
from saas.vtex.simulation import Simulation
from tests.factories import CarrefourSettings

RAW = {
    "order_id": "CRF000001-A", "order_state": "SHIPPING", "last_updated_date": "2026-11-26T10:00:00.000Z",
    "price": 199.8, "shipping_price": 12.9, "total_price": 212.7, "shipping_type_label": "Econômica",
    "shipping_type_code": "ECONOMICA", "customer_notification_email": "x@anon.carrefour.example",
    "customer": {"firstname": "Ana", "lastname": "Conceição", "shipping_address": {
        "firstname": "Ana", "lastname": "Conceição", "street_1": "Rua das Flores, 123", "street_2": "Apto 45",
        "zip_code": "01310-100", "city": "São Paulo", "state": "SP", "country_iso_code": "BRA",
        "phone": "11987654321"}},
    "order_additional_fields": [{"code": "cpf", "value": "123.456.789-09"}, {"code": "bairro", "value": "Bela Vista"}],
    "order_lines": [
        {"order_line_id": "L1", "offer_sku": "1001", "quantity": 2, "price_unit": 49.95,
         "order_line_state": "SHIPPING"},
        {"order_line_id": "L2", "offer_sku": "1002", "quantity": 1, "price_unit": 99.9,
         "order_line_state": "SHIPPING"},
        {"order_line_id": "L3", "offer_sku": "1003", "quantity": 1, "price_unit": 5, "order_line_state": "REFUSED"}],
}
SETTINGS = CarrefourSettings(sla_economica="PAC Correios")


def simulation(stock=(5, 5), prices=(4995, 9990), slas=("PAC Correios", "Normal"), freight=(400, 890)):
    return Simulation({"items": [{"id": "1001", "requestIndex": 0, "price": prices[0], "sellingPrice": prices[0]},
                      {"id": "1002", "requestIndex": 1, "price": prices[1], "sellingPrice": prices[1]}],
            "logisticsInfo": [{"itemIndex": i, "stockBalance": stock[i],
                               "slas": [{"id": name, "name": name, "price": freight[i], "shippingEstimate": "5bd",
                                         "deliveryIds": [{"courierName": name}]} for name in slas]}
                              for i in range(2)]})


@pytest.fixture
def order():
    return order_from_mirakl(RAW)


def test_mirakl_order_is_read_with_cpf_number_and_neighbourhood(order):
    assert order.state == "paid" and order.total_cents == 21270 and order.shipping_cents == 1290
    lines = [(line.sku_id, line.quantity, line.unit_price_cents) for line in order.lines]
    assert lines == [("1001", 2, 4995), ("1002", 1, 9990)]
    assert order.document == "12345678909"
    a = order.address
    assert (a.street, a.number, a.complement, a.neighborhood, a.postal_code) == (
        "Rua das Flores", "123", "Apto 45", "Bela Vista", "01310100")


def test_an_unmapped_shipping_type_is_its_own_cause(order):
    with pytest.raises(checks.CheckFailed) as failure:
        checks.mapped_carrier(order, {**SETTINGS, "sla_economica": ""}, SHIPPING_TYPES)
    assert failure.value.cause == "shipping_unmapped" and "Econômica" in str(failure.value.message)
    assert checks.mapped_carrier(order, SETTINGS, SHIPPING_TYPES) == "PAC Correios"


def test_no_stock_is_its_own_cause(order):
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_stock(order, simulation(stock=(1, 5)))
    assert failure.value.cause == "out_of_stock" and "SKU 1001 (pedido 2, tem 1)" in str(failure.value.message)
    checks.check_stock(order, simulation())


def test_a_carrier_not_offered_at_the_cep_is_its_own_cause(order):
    with pytest.raises(checks.CheckFailed) as failure:
        checks.select_slas(order, simulation(slas=("Normal",)), "PAC Correios")
    assert failure.value.cause == "sla_unavailable" and "01310100" in str(failure.value.message)
    assert [s["id"] for s in checks.select_slas(order, simulation(), "pac correios")] == ["PAC Correios"] * 2


def test_price_divergence_beyond_the_tolerance_shows_both_values(order):
    slas = checks.select_slas(order, simulation(), "PAC Correios")
    checks.check_price(order, simulation(), slas, tolerance_pct=0.5)  # 212.70 vs 212.70
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_price(order, simulation(prices=(3995, 9990)), slas, tolerance_pct=5)
    details = failure.value.details
    assert failure.value.cause == "price_divergence"
    assert details["marketplace_cents"] == 21270 and details["vtex_cents"] == 19270
    assert details["difference_pct"] == 10.38
    assert "R$\xa0212,70" in str(failure.value.message) and "R$\xa0192,70" in str(failure.value.message)
    checks.check_price(order, simulation(prices=(3995, 9990)), slas, tolerance_pct=10.5)


def test_the_vtex_order_carries_cents_buyer_address_and_the_chosen_sla(order):
    slas = checks.select_slas(order, simulation(), "PAC Correios")
    body = checks.vtex_order(order, slas, services_endpoint="https://app/api/vtex/loja/s/oms")
    assert body["marketplaceOrderId"] == "CRF000001-A" and body["marketplacePaymentValue"] == 21270
    assert body["paymentData"] is None
    assert [(i["id"], i["quantity"], i["price"]) for i in body["items"]] == [("1001", 2, 4995), ("1002", 1, 9990)]
    assert body["clientProfileData"]["document"] == "12345678909"
    assert body["clientProfileData"]["documentType"] == "cpf"
    assert body["shippingData"]["address"]["number"] == "123"
    freight = [li["price"] for li in body["shippingData"]["logisticsInfo"]]
    assert freight == [400, 890]  # each item's own price in the simulation, not Carrefour's total split evenly
    assert {li["selectedSla"] for li in body["shippingData"]["logisticsInfo"]} == {"PAC Correios"}


def test_the_vtex_order_sends_no_null_where_vtexs_spec_has_none(order):
    body = checks.vtex_order(order, checks.select_slas(order, simulation(), "PAC Correios"),
                             services_endpoint="https://app/api/vtex/loja/s/oms")
    nulls = [path for path, value in _leaves(body) if value is None]
    assert nulls == ["clientProfileData.corporateName", "clientProfileData.tradeName",
                     "clientProfileData.corporateDocument", "clientProfileData.stateInscription",
                     "clientProfileData.corporatePhone", "paymentData"]  # the fields the spec marks nullable


def _leaves(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, f"{path}[{index}]")
    else:
        yield path, node
