"""Invoice, tracking, delivery and cancellation at the store reach Carrefour: the VTEX simulator calls our live app,
the events are stored once and forwarded by the worker to the Mirakl simulator."""
import time

import pytest
import requests
from rq.registry import ScheduledJobRegistry

from saas.bridge.models import BridgeEntry
from saas.connectors.mirakl.client import MiraklClient
from saas.extensions import redis_connection
from saas.jobs.queues import queue
from saas.jobs.worker import AppWorker
from saas.orders import events
from saas.orders.models import OrderEvent
from tests.conftest import public


@pytest.fixture
def live(app, shop):
    """Our app on a real port, so the VTEX simulator's callbacks and hook reach it."""
    with public(app):
        yield shop


def imported(shop, sku=1001):
    mkt_id = shop.carrefour_order(sku, state="SHIPPING")
    shop.poll()
    assert shop.import_pending() == {mkt_id: "imported"}
    return mkt_id


def vtex_action(shop, mkt_id, action, **body):
    url = f"{shop.vtex.config['URL']}/_admin/orders/CRF-{mkt_id}/{action}"
    requests.post(url, json=body).raise_for_status()


def wait_for_events(shop, count):
    for _ in range(100):
        shop.db.session.expire_all()
        if shop.db.session.query(OrderEvent).count() >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected {count} events, have {shop.db.session.query(OrderEvent).count()}")


def work():
    AppWorker(["orders"], connection=redis_connection()).work(burst=True)


def test_invoice_with_tracking_reaches_carrefour_and_ships_the_order(live):
    mkt_id = imported(live)
    vtex_action(live, mkt_id, "invoice", courier="Correios", trackingNumber="BR123456789",
                trackingUrl="https://rastreio/BR123456789", embeddedInvoice="<nfeProc>…</nfeProc>")
    wait_for_events(live, 2)
    work()
    order = live.mirakl_order(mkt_id)
    assert order["order_state"] == "SHIPPED"
    assert order["shipping_tracking"] == "BR123456789" and order["shipping_carrier_code"] == "correios"
    state = requests.get(live.mirakl.config["URL"] + "/_admin/state").json()
    documents = next(o for o in state["orders"] if o["order_id"] == mkt_id)["documents"]
    assert documents[0]["file_name"].endswith(".xml") and documents[0]["type_code"] == "CUSTOMER_INVOICE"
    entries = live.db.session.query(BridgeEntry).filter_by(entity="tracking", entity_id=mkt_id).all()
    assert {e.status for e in entries} == {"success"} and len(entries) == 2
    assert any("marcado como enviado" in e.text for e in entries)


def test_delivery_is_recorded_at_carrefour(live):
    mkt_id = imported(live)
    vtex_action(live, mkt_id, "invoice", courier="Transportadora Própria", trackingNumber="TP-1")
    vtex_action(live, mkt_id, "deliver")
    wait_for_events(live, 3)
    work()
    state = requests.get(live.mirakl.config["URL"] + "/_admin/state").json()
    order = next(o for o in state["orders"] if o["order_id"] == mkt_id)
    assert order["shipping_company"] == "Transportadora Própria"  # not a Carrefour carrier: sent by name
    assert any(m["subject"] == "Pedido entregue" for m in order["messages"])


def test_a_cancellation_at_the_store_asks_carrefour_and_a_repeated_callback_changes_nothing(live, client):
    mkt_id = imported(live)
    tenant = live.tenant
    url = f"/api/vtex/loja-a/{tenant.webhook_secret}/oms/pvt/orders/{mkt_id}/cancel"
    first = client.post(url, json={"reason": "Cliente desistiu"})
    again = client.post(url, json={"reason": "Cliente desistiu"})
    assert first.status_code == again.status_code == 200
    body = first.get_json()
    assert body["orderId"] == f"CRF-{mkt_id}" and body["receipt"] and body["date"]
    assert again.get_json() == body
    assert live.db.session.query(OrderEvent).filter_by(kind="cancel").count() == 1
    assert [job.func_name for job in queue("orders").jobs].count("saas.orders.events.forward") == 1
    work()
    state = requests.get(live.mirakl.config["URL"] + "/_admin/state").json()
    order = next(o for o in state["orders"] if o["order_id"] == mkt_id)
    assert order["messages"][0]["subject"] == "Solicitação de cancelamento"
    assert order["order_state"] == "SHIPPING"  # Carrefour has not cancelled: it must confirm
    entry = live.db.session.query(BridgeEntry).filter_by(entity="tracking", entity_id=mkt_id).one()
    assert entry.status == "warning"
    assert "só é cancelado quando o Carrefour confirma" in entry.text  # the connector's name, not a hard-coded one


def test_callbacks_answer_under_pub_too_and_take_either_order_id(live, client):
    mkt_id = imported(live)
    base = f"/api/vtex/loja-a/{live.tenant.webhook_secret}/oms/pub/orders/CRF-{mkt_id}"
    response = client.post(base + "/invoice", json={"type": "Output", "invoiceNumber": "77", "invoiceValue": 100,
                                                    "issuanceDate": "2026-11-26T10:00:00Z", "carrier": "Jadlog",
                                                    "trackingNumber": "JD1"})
    assert response.status_code == 200 and response.get_json()["received"] is True
    assert {e.kind for e in live.db.session.query(OrderEvent).all()} == {"invoice", "tracking"}
    assert live.db.session.query(OrderEvent).filter_by(kind="tracking").one().payload["courier"] == "Jadlog"


@pytest.mark.parametrize("path, body, reason", [
    ("/invoice", {"invoiceValue": 1}, "Missing fields: invoiceNumber"),
    ("/invoice", [1], "JSON object"),
    ("/invoice", {"invoiceNumber": "1", "issuanceDate": "2026-11-26", "invoiceValue": "lots"},
     "whole number of cents"),
    ("/invoice", {"invoiceNumber": "1", "issuanceDate": "ontem"}, "issuanceDate must be an ISO 8601 date"),
    ("/invoice", {"invoiceNumber": "1 OR 1=1", "issuanceDate": "2026-11-26"}, "invoiceNumber must be 1 to 50"),
    ("/invoice", {"invoiceNumber": "1", "issuanceDate": "2026-11-26", "invoiceKey": "123"}, "44 digits"),
    ("/invoice", {"invoiceNumber": "1", "issuanceDate": "2026-11-26", "invoiceValue": -5}, "between 0 and"),
    ("/invoice", {"invoiceNumber": "1", "issuanceDate": "2026-11-26", "trackingNumber": "BR1",
                  "trackingUrl": "javascript:alert(1)"}, "trackingUrl must be an http"),
    ("/invoice/1", {"trackingNumber": "BR1", "trackingUrl": "http://["}, "trackingUrl must be an http"),  # no parse
    ("/invoice/1", {"trackingNumber": "BR1", "trackingUrl": "http://[rastreio]/x"}, "trackingUrl must be an http"),
    ("/invoice/1", {"courier": "X"}, "Missing fields: trackingNumber"),
    ("/invoice/1", {"trackingNumber": ""}, "Missing fields: trackingNumber"),
    ("/invoice/1", {"trackingNumber": "\U0001F600" * 100}, "trackingNumber must be 1 to 64"),
    ("/invoice/1", {"trackingNumber": "BR" + "1" * 80}, "trackingNumber must be 1 to 64"),
    ("/invoice/1", {"trackingNumber": "BR1", "courier": ["x"]}, "courier must be text"),
    ("/invoice/%F0%9F%98%80/tracking", {"isDelivered": True, "deliveredDate": "2026-11-26"},
     "The invoice number in the address must be"),
    ("/invoice/1/tracking", {"isDelivered": "yes"}, "isDelivered must be true or false"),
    ("/invoice/1/tracking", {"isDelivered": True, "deliveredDate": "ontem"}, "deliveredDate must be an ISO 8601"),
    ("/cancel", {"reason": {"x": 1}}, "reason must be text"),
    ("/cancel", [1], "JSON object"),
])
def test_a_malformed_callback_is_a_400_with_the_reason_and_stores_nothing(live, client, path, body, reason):
    mkt_id = imported(live)
    url = f"/api/vtex/loja-a/{live.tenant.webhook_secret}/oms/pvt/orders/{mkt_id}{path}"
    response = client.post(url, json=body)
    assert response.status_code == 400 and reason in response.get_json()["error"]
    assert live.db.session.query(OrderEvent).count() == 0


def test_a_callback_for_an_order_never_placed_at_vtex_is_a_404_and_forwards_nothing(live, client):
    """The order still fails its price check: VTEX cannot have invoiced, shipped or cancelled it."""
    mkt_id = live.carrefour_order(1001, price=1.0, state="SHIPPING")
    live.poll()
    live.import_pending()
    assert live.order(mkt_id).vtex_order_id is None
    base = f"/api/vtex/loja-a/{live.tenant.webhook_secret}/oms/pvt/orders/{mkt_id}"
    calls = [("/invoice", {"invoiceNumber": "1", "issuanceDate": "2026-11-26", "trackingNumber": "BR1"}),
             ("/invoice/1", {"trackingNumber": "BR1"}),
             ("/invoice/1/tracking", {"isDelivered": True, "deliveredDate": "2026-11-26"}), ("/cancel", {})]
    assert [client.post(base + path, json=body).status_code for path, body in calls] == [404] * 4
    assert live.db.session.query(OrderEvent).count() == 0
    assert live.mirakl_order(mkt_id)["order_state"] == "SHIPPING"


def test_unknown_tenant_wrong_secret_and_unknown_order_are_404(live, client):
    mkt_id = imported(live)
    body = {"invoiceNumber": "1", "issuanceDate": "2026-11-26"}
    secret = live.tenant.webhook_secret
    for url in (f"/api/vtex/loja-a/wrong/oms/pvt/orders/{mkt_id}/invoice",
                f"/api/vtex/nope/{secret}/oms/pvt/orders/{mkt_id}/invoice",
                f"/api/vtex/loja-a/{secret}/oms/pvt/orders/NOT-OURS/invoice"):
        assert client.post(url, json=body).status_code == 404
    assert live.db.session.query(OrderEvent).count() == 0


def test_the_hook_delivers_what_the_callback_missed(live, client):
    mkt_id = imported(live)
    store = live.vtex.extensions["store"]
    order = store.get("order", f"CRF-{mkt_id}")  # invoiced and delivered at VTEX, no callback ever came
    order["status"] = "invoiced"
    order["packageAttachment"]["packages"].append({
        "type": "Output", "invoiceNumber": "991", "invoiceKey": "35261100000000000000550010000009911000000000",
        "invoiceValue": order["value"], "issuanceDate": "2026-11-26T12:00:00Z", "courier": "Loggi",
        "trackingNumber": "LG-1", "trackingUrl": "", "courierStatus": {"finished": True}})
    store.put("order", order["orderId"], order)
    tenant_id, hook = live.tenant.id, f"/api/vtex/loja-a/{live.tenant.webhook_secret}/hook"
    assert client.post(hook, json={"hookConfig": "ping"}).status_code == 200
    assert client.post(hook, json={"OrderId": f"CRF-{mkt_id}", "State": "invoiced"}).status_code == 200
    work()  # the hook job reads OMS, records three events, and their forwarding runs
    kinds = sorted(e.kind for e in live.db.session.query(OrderEvent).all())
    assert kinds == ["delivered", "invoice", "tracking"]
    assert live.mirakl_order(mkt_id)["order_state"] == "SHIPPED"
    assert events.from_hook(tenant_id, f"CRF-{mkt_id}") == 0  # seen again: nothing new


def test_activation_registers_the_hook_and_vtex_pings_it(live):
    from saas.catalog.activation import register_affiliate
    from saas.tenants.settings import load_settings
    register_affiliate(live.tenant, "carrefour", load_settings(live.tenant, "carrefour").settings)
    hook = requests.get(live.vtex.config["URL"] + "/api/orders/hook/config",
                        headers={"X-VTEX-API-AppKey": live.vtex.config["APP_KEY"],
                                 "X-VTEX-API-AppToken": live.vtex.config["APP_TOKEN"]}).json()
    assert hook["hook"]["url"].endswith(f"/api/vtex/loja-a/{live.tenant.webhook_secret}/hook")
    assert hook["hook"]["headers"] == {"key": live.tenant.webhook_secret}


def test_tracking_before_payment_waits_for_shipping_instead_of_failing(live):
    mkt_id = imported(live)
    requests.post(f"{live.mirakl.config['URL']}/_admin/orders", json={"skus": "1001"})  # unrelated noise
    store = live.mirakl.extensions["store"]
    raw = store.get("order", mkt_id)
    raw["order_state"] = "WAITING_DEBIT_PAYMENT"  # Carrefour has not released it yet
    store.put("order", mkt_id, raw)
    order = live.order(mkt_id)
    event = events.record(order, "tracking", "BR9", {"trackingNumber": "BR9", "trackingUrl": "", "courier": "X"})
    assert events.forward(event.id) == "waiting for the order to be paid"
    live.db.session.refresh(event)
    assert event.status == "waiting"
    assert len(ScheduledJobRegistry(queue=queue("orders")).get_job_ids()) == 1


def test_a_waiting_tracking_is_sent_once_and_ships_when_carrefour_releases_the_order(live, monkeypatch):
    mkt_id = imported(live)
    store = live.mirakl.extensions["store"]
    raw = store.get("order", mkt_id)
    raw["order_state"] = "WAITING_DEBIT_PAYMENT"
    store.put("order", mkt_id, raw)
    sent = []
    set_tracking = MiraklClient.set_tracking
    monkeypatch.setattr(MiraklClient, "set_tracking",
                        lambda self, *a, **k: sent.append(a) or set_tracking(self, *a, **k))
    event = events.record(live.order(mkt_id), "tracking", "BR10",
                          {"trackingNumber": "BR10", "trackingUrl": "", "courier": "Correios"})
    assert events.forward(event.id) == "waiting for the order to be paid"
    assert events.forward(event.id) == "waiting for the order to be paid"
    raw = store.get("order", mkt_id)
    raw["order_state"] = "SHIPPING"
    store.put("order", mkt_id, raw)
    assert events.forward(event.id) == "sent"
    assert len(sent) == 1
    assert store.get("order", mkt_id)["order_state"] == "SHIPPED"
