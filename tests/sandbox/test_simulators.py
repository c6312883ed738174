"""The simulators behave like the services, through our real clients over HTTP: imports, approval, orders, faults."""
import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from saas.connectors.mirakl.client import MiraklClient
from saas.integration_errors import AuthError, PermanentError, RetryableError
from saas.sandbox import catalog
from saas.vtex.client import VtexClient
from tests.conftest import serve

KEY = "sandbox-shop-key-demo"


def mirakl(sim, key=KEY):
    return MiraklClient(sim.config["URL"], key, timeout=5)


def vtex(sim):
    return VtexClient(sim.config["URL"], sim.config["APP_KEY"], sim.config["APP_TOKEN"], timeout=5)


def csv_bytes(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode())


def wait_complete(read):
    for _ in range(50):
        status = read()
        if status.get("import_status", status.get("status")) == "COMPLETE":
            return status
        time.sleep(0.05)
    raise AssertionError("import never completed")


def test_seeded_catalog_is_realistic():
    skus = catalog.generate(300)
    assert len(skus) == 300 and len({s["Id"] for s in skus}) == 300
    names = " ".join(s["NameComplete"] for s in skus)
    axes = {spec["FieldName"] for s in skus for spec in s["SkuSpecifications"]}
    assert {"Cor", "Tamanho", "Voltagem", "Certificado ANATEL", "Certificado INMETRO"} <= axes
    assert "ç" in names or "ã" in names
    eans = [s["AlternateIds"]["Ean"] for s in skus if s["AlternateIds"]["Ean"]]
    assert all(len(e) == 13 and e.isdigit() for e in eans) and len(eans) == 297


def test_product_import_reports_bad_lines_and_waits_for_approval(mirakl_sim):
    client = mirakl(mirakl_sim)
    mirakl_sim.config["APPROVAL_SECONDS"] = 0.5
    header = ["sku", "ean", "title"]
    import_id = client.import_products(csv_bytes(header, [["1001", catalog.ean13(1001), "Camiseta Básica; Algodão"],
                                                           ["1002", "", "Sem EAN"]]))
    status = wait_complete(lambda: client.product_import(import_id))
    assert status["has_error_report"] and status["transform_lines_in_success"] == 1
    report = list(csv.DictReader(io.StringIO(client.product_error_report(import_id).decode()), delimiter=";"))
    assert report == [{"sku": "1002", "ean": "", "title": "Sem EAN", "error-line": "3",
                       "error-message": "The EAN is required"}]
    offers = [["1001", catalog.ean13(1001), "EAN", "99.90", "5", "11", ""]]
    header = ["sku", "product-id", "product-id-type", "price", "quantity", "state", "update-delete"]
    first = client.import_offers(csv_bytes(header, offers))
    assert wait_complete(lambda: client.offer_import(first))["lines_in_error"] == 1  # not approved yet: discarded
    assert b"not yet approved" in client.offer_error_report(first)
    time.sleep(0.6)
    second = client.import_offers(csv_bytes(header, offers))
    assert wait_complete(lambda: client.offer_import(second))["offer_inserted"] == 1
    assert client.list_offers()["offers"][0]["price"] == 99.9


def test_offer_lines_with_price_zero_or_unknown_product_are_errors(mirakl_sim):
    client = mirakl(mirakl_sim)
    header = ["sku", "product-id", "product-id-type", "price", "quantity", "state", "update-delete"]
    import_id = client.import_offers(csv_bytes(header, [["1", "7890000000000", "EAN", "0", "1", "11", ""],
                                                        ["2", "7890000000017", "EAN", "10", "1", "11", ""]]))
    wait_complete(lambda: client.offer_import(import_id))
    report = client.offer_error_report(import_id).decode()
    assert "The price must be greater than 0" in report and "The product does not exist" in report


def test_order_lifecycle_and_state_machine(mirakl_sim):
    client = mirakl(mirakl_sim)
    created = requests.post(mirakl_sim.config["URL"] + "/_admin/orders",
                            json={"lines": [{"sku": "1001", "quantity": 2, "price": 50}]}).json()
    order_id = created["order_id"]
    (order,) = client.list_orders(order_ids=[order_id])["orders"]
    assert order["order_state"] == "WAITING_ACCEPTANCE"  # STAGING passed
    with pytest.raises(PermanentError, match="ORDER_INVALID_STATE"):
        client.ship(order_id)
    with pytest.raises(PermanentError, match="DECISION_MISSING"):
        client.accept_order(order_id, {})
    client.accept_order(order_id, {line["order_line_id"]: True for line in order["order_lines"]})
    assert client.list_orders(order_ids=[order_id])["orders"][0]["order_state"] == "SHIPPING"
    with pytest.raises(PermanentError, match="tracking"):
        client.ship(order_id)
    client.set_tracking(order_id, tracking_number="BR123", carrier_code="correios")
    client.ship(order_id)
    assert client.list_orders(order_ids=[order_id])["orders"][0]["order_state"] == "SHIPPED"
    client.send_message(order_id, "Cancelamento", "Pedimos o cancelamento.")
    client.create_thread(order_id, "Cancelamento", "Pedimos o cancelamento.")
    result = client.upload_documents(order_id, [("nfe.xml", io.BytesIO(b"<nfe/>"), "CUSTOMER_INVOICE")])
    assert result["errors_count"] == 0
    state = requests.get(mirakl_sim.config["URL"] + "/_admin/state").json()["orders"][0]
    assert state["documents"][0]["file_name"] == "nfe.xml" and len(state["messages"]) == 1


def test_or11_pages_by_update_date_with_max_100(mirakl_sim):
    client = mirakl(mirakl_sim)
    for _ in range(3):
        requests.post(mirakl_sim.config["URL"] + "/_admin/orders", json={"skus": "1001"})
    assert client.list_orders(max_results=2)["total_count"] == 3
    assert len(client.list_orders(max_results=2, offset=2)["orders"]) == 1
    with pytest.raises(PermanentError, match="at most 100"):
        client.list_orders(max_results=101)
    assert client.list_orders(start_update_date="2999-01-01T00:00:00Z")["total_count"] == 0


def test_a_wrong_shop_key_is_an_auth_error(mirakl_sim):
    with pytest.raises(AuthError):
        mirakl(mirakl_sim, "wrong-key").account()


def test_throttle_knob_gives_retryable_error_with_the_delay(mirakl_sim):
    requests.post(mirakl_sim.config["URL"] + "/_admin/knobs", json={"throttle_rate": 1.0, "retry_after": 7})
    with pytest.raises(RetryableError) as caught:
        mirakl(mirakl_sim).account()
    assert caught.value.status == 429 and caught.value.retry_after == 7.0


def test_error_knob_gives_retryable_error(vtex_sim):
    requests.post(vtex_sim.config["URL"] + "/_admin/knobs", json={"error_rate": 1.0})
    with pytest.raises(RetryableError) as caught:
        vtex(vtex_sim).sku_context(1001)
    assert caught.value.status == 503


def test_latency_knob_and_client_timeout(vtex_sim):
    requests.post(vtex_sim.config["URL"] + "/_admin/knobs", json={"latency_ms": 400})
    client = VtexClient(vtex_sim.config["URL"], "k", "t", timeout=0.1)
    with pytest.raises(RetryableError, match="did not answer"):
        client.sku_context(1001)


def test_a_simulations_latency_grows_with_its_items(vtex_sim):
    requests.post(vtex_sim.config["URL"] + "/_admin/knobs", json={"item_latency_ms": 40})
    client = vtex(vtex_sim)
    started = time.perf_counter()
    client.simulate([("1001", 1)], trade_policy="1")
    one = time.perf_counter() - started
    started = time.perf_counter()
    client.simulate([(str(sku), 1) for sku in range(1001, 1011)], trade_policy="1")
    ten = time.perf_counter() - started
    assert one >= 0.04 and ten >= 0.4 and ten > one


def test_a_dead_service_is_retryable(app):
    app.extensions["egress"].allow("http://127.0.0.1:9")  # allowed, as make run's simulators are, but nothing there
    try:
        with pytest.raises(RetryableError, match="could not be reached"):
            VtexClient("http://127.0.0.1:9", "k", "t", timeout=1).sku_context(1)
    finally:
        app.extensions["egress"].allowed.discard(("127.0.0.1", 9))


def test_vtex_bad_credentials_are_an_auth_error(vtex_sim):
    with pytest.raises(AuthError):
        VtexClient(vtex_sim.config["URL"], "wrong", "wrong").sku_context(1001)


def test_vtex_simulation_prices_stock_and_slas_by_cep(vtex_sim):
    client = vtex(vtex_sim)
    simulation = client.simulate([("1001", 1), ("1002", 1), ("999999", 1)], trade_policy="1",
                                 postal_code="01310-100")
    assert list(simulation.items) == ["1001", "1002"] and not simulation.sells("999999") and simulation.messages
    assert {"Normal", "Econômica", "Expressa", "Agendada"} <= {s["id"] for s in simulation.slas(0)}
    assert simulation.stock(0) is not None and simulation.price("1001") > 0
    far = client.simulate([("1001", 1)], trade_policy="1", postal_code="69900000")
    assert "Expressa" not in {s["id"] for s in far.slas(0)}
    assert client.simulate([("1001", 1)], trade_policy="1", postal_code="99999999").slas(0) == []


def test_vtex_notifies_affiliates_of_a_price_change(vtex_sim):
    from flask import Flask, request
    received = []
    receiver = Flask("receiver")
    receiver.post("/notify")(lambda: received.append(request.get_json()) or ("", 200))
    with serve(receiver) as url:
        vtex(vtex_sim).save_affiliate("CRF", name="Carrefour", trade_policy="1", follow_up_email="a@b.example",
                                      notification_url=url + "/notify")
        requests.post(vtex_sim.config["URL"] + "/_admin/skus/1001", json={"price": 12345})
        for _ in range(50):
            if received:
                break
            time.sleep(0.05)
    assert received and received[0]["IdSku"] == "1001" and received[0]["PriceModified"] is True
    assert received[0]["IdAffiliate"] == "CRF" and received[0]["An"] == "lojademo"


def test_vtex_place_order_rejects_a_duplicate_and_an_unoffered_sla(vtex_sim):
    client = vtex(vtex_sim)
    order = {"marketplaceOrderId": "CRF9-A", "marketplaceServicesEndpoint": "http://x", "items": [
        {"id": "1001", "quantity": 1, "seller": "1", "price": 100}],
        "clientProfileData": {"email": "a@b.c"}, "shippingData": {
        "address": {"postalCode": "01310100"}, "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal"}]}}
    requests.post(vtex_sim.config["URL"] + "/_admin/skus/1001", json={"stock": 5})
    placed = client.place_order(order, trade_policy="1", affiliate_id="CRF")
    assert placed["orderId"] == "CRF-CRF9-A"
    with pytest.raises(PermanentError, match="already exists"):
        client.place_order(order, trade_policy="1", affiliate_id="CRF")
    bad = {**order, "marketplaceOrderId": "CRF10-A", "shippingData": {
        "address": {"postalCode": "69900000"}, "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Expressa"}]}}
    with pytest.raises(PermanentError, match="SLA Expressa is not available"):
        client.place_order(bad, trade_policy="1", affiliate_id="CRF")
    client.authorize_dispatch("CRF-CRF9-A", "CRF9-A", trade_policy="1", affiliate_id="CRF")
    assert client.get_order("CRF-CRF9-A")["status"] == "ready-for-handling"
    assert requests.get(vtex_sim.config["URL"] + "/_admin/placements").json() == {"orders": 1,
                                                                                  "refused_duplicates": 1}


def test_vtex_places_one_order_when_the_same_one_comes_twice_at_once(vtex_sim):
    order = {"marketplaceOrderId": "CRF11-A", "marketplaceServicesEndpoint": "http://x", "items": [
        {"id": "1001", "quantity": 1, "seller": "1", "price": 100}],
        "clientProfileData": {"email": "a@b.c"}, "shippingData": {
        "address": {"postalCode": "01310100"}, "logisticsInfo": [{"itemIndex": 0, "selectedSla": "Normal"}]}}
    requests.post(vtex_sim.config["URL"] + "/_admin/skus/1001", json={"stock": 50})
    url = vtex_sim.config["URL"] + "/api/fulfillment/pvt/orders?affiliateId=CRF&sc=1"
    headers = {"X-VTEX-API-AppKey": "vtexappkey-lojademo", "X-VTEX-API-AppToken": "sandbox-app-token"}
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(lambda _: requests.post(url, json=[order], headers=headers).status_code, range(8)))
    assert codes == [200] + [409] * 7
    assert requests.get(vtex_sim.config["URL"] + "/_admin/placements").json() == {"orders": 1,
                                                                                  "refused_duplicates": 7}


def test_imports_are_processed_in_the_order_they_came(mirakl_sim):
    client = mirakl(mirakl_sim)
    mirakl_sim.config["APPROVAL_SECONDS"] = 3600
    client.import_products(csv_bytes(["sku", "ean", "title"], [["1001", catalog.ean13(1001), "Camiseta"]]))
    header = ["sku", "product-id", "product-id-type", "price", "quantity", "state", "update-delete"]
    offer = client.import_offers(csv_bytes(header, [["1001", catalog.ean13(1001), "EAN", "9.90", "1", "11", ""]]))
    wait_complete(lambda: client.offer_import(offer))  # read before the product import's own status
    assert b"not yet approved" in client.offer_error_report(offer)


def test_the_sandbox_cli_acts_as_merchant_and_as_carrefour(vtex_sim, mirakl_sim, monkeypatch):
    from click.testing import CliRunner

    from saas.sandbox.cli import cli
    monkeypatch.setenv("SANDBOX_VTEX_URL", vtex_sim.config["URL"])
    monkeypatch.setenv("SANDBOX_MIRAKL_URL", mirakl_sim.config["URL"])
    runner = CliRunner()
    assert runner.invoke(cli, ["vtex", "price", "1001", "49.90"]).exit_code == 0
    assert vtex_sim.extensions["store"].get("sku", 1001)["price"] == 4990
    assert runner.invoke(cli, ["vtex", "stock", "1001", "7"]).exit_code == 0
    assert vtex_sim.extensions["store"].get("sku", 1001)["stock"] == 7
    result = runner.invoke(cli, ["carrefour", "order", "1001", "--paid", "--price", "49.9"])
    assert result.exit_code == 0 and '"order_state": "SHIPPING"' in result.output
    assert runner.invoke(cli, ["knobs", "vtex", "--latency-ms", "5"]).exit_code == 0
    assert vtex_sim.extensions["store"].get("knobs", "current")["latency_ms"] == 5
    failed = runner.invoke(cli, ["vtex", "invoice", "CRF-NOPE"])
    assert failed.exit_code == 1 and "404" in failed.output
