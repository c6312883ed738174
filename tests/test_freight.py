"""The public freight quote: mapped options from one VTEX simulation, clear errors, 503 in time, cached."""
import time

import pytest
import requests

from saas.connectors.base import FreightOption
from saas.freight import quote as freight_quote
from saas.tenants.settings import save_settings
from saas.vtex.simulation import Simulation
from tests.conftest import wire_to_vtex
from tests.factories import CarrefourSettings

SETTINGS = CarrefourSettings(sla_expressa="Expressa", sla_agendada="Agendada")


@pytest.fixture
def store(db, tenant, vtex_sim):
    wire_to_vtex(tenant, vtex_sim)
    save_settings(tenant, "carrefour", active=True, settings={**SETTINGS, "api_url": "https://mirakl.test"},
                  secrets={"shop_key": "k"})
    for sku in (1001, 1002):
        requests.post(f"{vtex_sim.config['URL']}/_admin/skus/{sku}", json={"stock": 50})
    return tenant


URL = "/api/carrefourintegration/pub/loja-a/freight"


def test_a_known_store_answers_its_mapped_options(client, store):
    response = client.get(URL, query_string={"postalCode": "01310-100", "items": "1001:2,1002:1"})
    assert response.status_code == 200 and response.headers["X-Cache"] == "miss"
    body = response.get_json()
    assert body["postalCode"] == "01310100"
    options = {o["shippingType"]: o for o in body["options"]}
    assert set(options) == {"Normal", "Expressa", "Agendada"}  # Econômica is not mapped
    assert options["Normal"]["carrier"] == "Normal" and options["Normal"]["currency"] == "BRL"
    assert options["Normal"]["deliveryDays"] == 3 and options["Normal"]["price"] > 0


def test_post_gives_the_same_answer_and_far_ceps_lose_express(client, store):
    get = client.get(URL, query_string={"postalCode": "01310100", "items": "1001:1"}).get_json()
    post = client.post(URL, json={"postalCode": "01310-100", "items": [{"sku": "1001", "quantity": 1}]}).get_json()
    assert get == post
    far = client.post(URL, json={"postalCode": "69900-000", "items": [{"sku": "1001", "quantity": 1}]}).get_json()
    assert [o["shippingType"] for o in far["options"]] == ["Normal"]
    assert far["options"][0]["deliveryDays"] == 9


def test_options_sum_the_items_prices_and_take_the_longest_delay():
    simulation = Simulation({"logisticsInfo": [
        {"itemIndex": 0, "slas": [{"id": "Normal", "price": 1000, "shippingEstimate": "3bd"}]},
        {"itemIndex": 1, "slas": [{"id": "Normal", "price": 290, "shippingEstimate": "6bd"},
                                  {"id": "Expressa", "price": 5000, "shippingEstimate": "1bd"}]}]})
    options = freight_quote.options_from_simulation(simulation, (("Normal", "normal"), ("Expressa", "Expressa")), 2)
    assert options == [FreightOption("Normal", "normal", 1290, 6)]  # Expressa does not serve item 0


def test_a_carrier_mapped_by_its_courier_id_quotes_freight_as_it_places_orders():
    """One matcher for both: a carrier that places orders also quotes (the freight's own copy did not know ids)."""
    from saas.connectors.mirakl.mapping import order_from_mirakl
    from saas.orders import checks
    simulation = Simulation({"logisticsInfo": [{"itemIndex": 0, "slas": [
        {"id": "Normal", "name": "Normal", "price": 990, "shippingEstimate": "4bd",
         "deliveryIds": [{"courierId": "1a2b", "courierName": "Transportadora X"}]}]}]})
    options = freight_quote.options_from_simulation(simulation, (("Normal", "1A2B"),), 1)
    assert options == [FreightOption("Normal", "1A2B", 990, 4)]
    order = order_from_mirakl({"order_id": "O-1", "order_state": "SHIPPING", "order_lines": [
        {"order_line_id": "L1", "offer_sku": "1001", "quantity": 1, "price_unit": 10}]})
    assert checks.select_slas(order, simulation, "1A2B")[0]["id"] == "Normal"


def test_unknown_and_inactive_stores_are_the_same_404(client, db, store, owner):
    from tests.conftest import make_tenant
    make_tenant(owner, "loja-inativa")
    unknown = client.get("/api/carrefourintegration/pub/no-such-store/freight?postalCode=01310100&items=1:1")
    inactive = client.get("/api/carrefourintegration/pub/loja-inativa/freight?postalCode=01310100&items=1:1")
    assert unknown.status_code == inactive.status_code == 404
    assert unknown.get_json() == inactive.get_json() == {"error": "Unknown store."}


@pytest.mark.parametrize("query, reason", [
    ({"postalCode": "0131", "items": "1001:1"}, "CEP of 8 digits"),
    ({"postalCode": "01310100"}, "items is required"),
    ({"postalCode": "01310100", "items": "1001"}, "sku:quantity pairs"),
    ({"postalCode": "01310100", "items": "1001:0"}, "between 1 and 999"),
    ({"postalCode": "01310100", "items": "abc:1"}, "1 to 18 digits"),
    ({"postalCode": "01310100", "items": "1" * 401 + ":1"}, "1 to 18 digits"),
])
def test_a_bad_request_is_a_400_with_the_reason(client, store, query, reason):
    response = client.get(URL, query_string=query)
    assert response.status_code == 400 and reason in response.get_json()["error"]


def test_vtex_slow_is_a_503_within_the_budget(client, store, vtex_sim):
    requests.post(vtex_sim.config["URL"] + "/_admin/knobs", json={"latency_ms": 3000})
    started = time.perf_counter()
    response = client.get(URL, query_string={"postalCode": "01310100", "items": "1001:1"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 503 and "could not be quoted" in response.get_json()["error"]
    assert elapsed < 1.0


def test_vtex_failing_is_a_503(client, store, vtex_sim):
    requests.post(vtex_sim.config["URL"] + "/_admin/knobs", json={"error_rate": 1.0})
    assert client.get(URL, query_string={"postalCode": "01310100", "items": "1001:1"}).status_code == 503


def test_identical_quotes_come_from_the_cache_and_the_store_lookup_is_cached(client, store, vtex_sim, db):
    from sqlalchemy import event
    first = client.get(URL, query_string={"postalCode": "01310100", "items": "1001:1"})
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    requests.post(vtex_sim.config["URL"] + "/_admin/knobs", json={"error_rate": 1.0})  # VTEX is not asked again
    try:
        second = client.get(URL, query_string={"postalCode": "01310100", "items": "1001:1"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert second.status_code == 200 and second.headers["X-Cache"] == "hit"
    assert second.get_json() == first.get_json()
    assert statements == []  # neither the store nor the quote touched the database


VALID = {"postalCode": "01310100", "items": "1001:1"}


def _quote(client, address, query=VALID):
    return client.get(URL, query_string=query, environ_base={"REMOTE_ADDR": address}).status_code


def test_quotes_are_rate_limited_per_store(client, store, monkeypatch):
    monkeypatch.setitem(client.application.config, "FREIGHT_RATE_LIMIT", "3 per minute")
    codes = [_quote(client, f"10.0.0.{n}") for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_requests_that_fail_validation_or_name_no_store_spend_nothing(client, store, monkeypatch):
    monkeypatch.setitem(client.application.config, "FREIGHT_RATE_LIMIT", "3 per minute")
    junk = [_quote(client, "10.0.0.9", {"junk": "1"}) for _ in range(20)]
    unknown = [client.get("/api/carrefourintegration/pub/no-such-store/freight", query_string=VALID).status_code
               for _ in range(20)]
    assert set(junk) == {400} and set(unknown) == {404}
    assert [_quote(client, "10.0.0.1") for _ in range(3)] == [200, 200, 200]


def test_one_noisy_client_spends_its_own_budget_not_the_stores(client, store, monkeypatch):
    monkeypatch.setitem(client.application.config, "FREIGHT_CLIENT_RATE_LIMIT", "3 per minute")
    noisy = [_quote(client, "203.0.113.7") for _ in range(6)]
    assert noisy == [200, 200, 200, 429, 429, 429]
    assert _quote(client, "198.51.100.1") == 200  # Carrefour


def test_under_a_flood_of_junk_and_valid_quotes_carrefour_still_gets_its_quote(client, store):
    """The issue's attack with the production limits: 1,250 junk and 1,250 valid quotes from one address."""
    for _ in range(1250):
        _quote(client, "203.0.113.7", {"junk": "1"})
    flood = [_quote(client, "203.0.113.7") for _ in range(1250)]
    assert flood.count(429) >= 600
    started = time.perf_counter()
    assert _quote(client, "198.51.100.1") == 200
    assert time.perf_counter() - started < 0.8


def test_the_settings_page_shows_the_freight_url(client, owner, store, requests_mock):
    from tests.conftest import login
    requests_mock.real_http = True
    login(client, owner.email)
    page = client.get("/t/loja-a/marketplace/carrefour").get_data(as_text=True)
    assert "http://portal.test/api/carrefourintegration/pub/loja-a/freight" in page


def test_answers_match_the_documented_contract(client, store):
    """docs/public-api.yaml describes the route; the real answers validate against it."""
    import yaml
    from openapi_core import Config, OpenAPI
    from openapi_core.testing import MockRequest, MockResponse

    from saas.config import ROOT
    spec = OpenAPI.from_dict(yaml.safe_load((ROOT / "docs" / "public-api.yaml").read_text()),
                             config=Config(spec_validator_cls=None))
    for query in ({"postalCode": "01310-100", "items": "1001:2"}, {"postalCode": "1", "items": "1001:2"}):
        response = client.get(URL, query_string=query)
        request = MockRequest("https://your-deployment.example", "get", URL, args=query)
        spec.validate_response(request, MockResponse(response.get_data(), status_code=response.status_code,
                                                      content_type="application/json"))
