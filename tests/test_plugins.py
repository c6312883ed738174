"""Connectors are plugins: a marketplace written against the connector interface alone (``tests/plugins``), found
through the ``saas.connectors`` entry point as an installed package would be, goes through activation, catalog
sync, order import and order events with no change to the core, beside Carrefour for the same store, and neither
sees the other's state."""
import time

import pytest
import requests
from rq import Queue

from saas.bridge.models import BridgeEntry
from saas.catalog import activation, reports
from saas.catalog.models import ImportBatch, SkuBinding, SkuChange
from saas.connectors import get_connector_class, registry
from saas.extensions import redis_connection
from saas.jobs import schedule
from saas.orders import events, importer
from saas.orders.models import MarketplaceOrder, OrderEvent
from saas.tenants.models import ConnectorSettings
from saas.tenants.settings import save_settings
from saas.timeutil import utcnow
from tests.conftest import login, public, wire_to_vtex
from tests.factories import CarrefourSettings
from tests.plugins import fakemarket

FAKE = {"trade_policy": "1", "affiliate_id": "FKM", "sla_padrao": "Normal", "divergence": 50, "auto_accept": True,
        "notification_email": "ops@loja-a.example"}
CARREFOUR = CarrefourSettings(divergence=50)


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The plugin as an installed distribution: its metadata and entry point on sys.path."""
    dist = tmp_path / "fakemarket-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakemarket\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[saas.connectors]\nfakemarket = tests.plugins.fakemarket:FakeMarketConnector\n"
        "broken = tests.plugins.no_such_module:Connector\n"  # its import fails
        "notaconnector = tests.plugins.fakemarket:reset\n")  # loads, but is no Connector
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    fakemarket.reset()
    yield
    registry.cache_clear()


@pytest.fixture
def store(app, db, tenant, vtex_sim, mirakl_sim, installed):
    with public(app):
        wire_to_vtex(tenant, vtex_sim)
        save_settings(tenant, "carrefour", active=True, settings={**CARREFOUR, "api_url": mirakl_sim.config["URL"]},
                      secrets={"shop_key": "sandbox-shop-key-demo"}, action="activate")
        save_settings(tenant, "fakemarket", active=True, settings=FAKE, secrets={}, action="activate")
        yield tenant


def test_a_plugin_is_found_through_its_entry_point_and_a_broken_one_is_skipped(installed, tmp_path, caplog):
    found = registry()
    assert found["fakemarket"] is fakemarket.FakeMarketConnector
    assert found["carrefour"].name == "Carrefour"
    assert "broken" not in found and "notaconnector" not in found and "reset" not in found
    logged = caplog.text
    assert "connector entry point broken failed to load" in logged
    assert "entry point notaconnector is not a Connector subclass with a key" in logged


def test_a_plugin_marketplace_runs_every_flow_beside_carrefour(app, db, store, vtex_sim, mirakl_sim):
    assert get_connector_class("fakemarket") is fakemarket.FakeMarketConnector
    # Activation: the plugin's affiliate at VTEX and its initial load, Carrefour's state untouched.
    activation.activate(store.id, "fakemarket")
    affiliates = {a["id"] for a in requests.get(vtex_sim.config["URL"] + "/api/fulfillment/pvt/affiliates", headers={
        "X-VTEX-API-AppKey": vtex_sim.config["APP_KEY"], "X-VTEX-API-AppToken": vtex_sim.config["APP_TOKEN"]}).json()}
    assert "FKM" in affiliates
    pending = {(c.connector_key) for c in db.session.query(SkuChange)}
    assert pending == {"fakemarket"}

    # Catalog: the plugin's sync sends to the plugin, its reports give it its bindings.
    result = schedule.run_periodic("sync", store.id, "fakemarket")
    assert result["products"] > 0 and fakemarket.MARKET["offers"]
    for batch_id, in db.session.query(ImportBatch.id).filter_by(status="sent"):
        db.session.query(ImportBatch).filter_by(id=batch_id).update({ImportBatch.next_check_at: utcnow()})
        db.session.commit()
        assert reports.check_import(batch_id) == "PROCESSED"
    assert {b.connector_key for b in db.session.query(SkuBinding)} == {"fakemarket"}
    assert db.session.query(SkuChange).count() == 0
    assert requests.get(mirakl_sim.config["URL"] + "/_admin/state").json()["offers"] == []  # Carrefour got nothing
    assert schedule.run_periodic("sync", store.id, "carrefour") == {"changes": 0}

    # Orders: the plugin's paid order is placed at VTEX under the plugin's affiliate; Carrefour's poll sees none.
    price = vtex_sim.extensions["store"].get("sku", 1001)["price"]
    fakemarket.MARKET["orders"]["FM-1"] = {"id": "FM-1", "updated": "2026-11-27T10:00:00Z",
                                           "lines": [("1001", 1, price)]}
    schedule.run_periodic("orders", store.id, "carrefour")
    schedule.run_periodic("orders", store.id, "fakemarket")
    order = db.session.query(MarketplaceOrder).one()
    assert order.connector_key == "fakemarket"
    order.next_attempt_at = utcnow()
    db.session.commit()
    assert importer.import_order(order.id, order.series) == "imported"
    assert [o["orderId"] for o in requests.get(vtex_sim.config["URL"] + "/_admin/orders").json()] == ["FKM-FM-1"]

    # Events: VTEX invoices the order; the callback reaches the plugin, not Carrefour.
    requests.post(f"{vtex_sim.config['URL']}/_admin/orders/FKM-FM-1/invoice",
                  json={"trackingNumber": "FM123"}).raise_for_status()
    deadline = time.monotonic() + 10
    while db.session.query(OrderEvent).count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.expire_all()
    for event in db.session.query(OrderEvent).order_by(OrderEvent.id):
        events.forward(event.id)
    kinds = [e[0] for e in fakemarket.MARKET["events"]]
    assert "invoice" in kinds and "tracking" in kinds and "shipped" in kinds


def test_each_marketplace_quotes_freight_at_its_own_url_with_its_own_shipping_types(client, store):
    query = {"postalCode": "01310-100", "items": "1001:1"}
    fake = client.get("/api/fakemarketintegration/pub/loja-a/freight", query_string=query).get_json()
    carrefour = client.get("/api/carrefourintegration/pub/loja-a/freight", query_string=query).get_json()
    assert [(o["shippingType"], o["carrier"]) for o in fake["options"]] == [("Padrão", "Normal")]
    assert [o["shippingType"] for o in carrefour["options"]] == ["Normal"]
    assert client.get("/api/nosuchintegration/pub/loja-a/freight", query_string=query).status_code == 404


def test_a_plugin_is_activated_from_its_card_in_the_portal(app, db, client, owner, tenant, vtex_sim, installed):
    with public(app):
        wire_to_vtex(tenant, vtex_sim)
        login(client, owner.email)
        cards = client.get(f"/t/{tenant.slug}/marketplace").get_data(as_text=True)
        assert "Fake Market" in cards and f"/t/{tenant.slug}/marketplace/fakemarket" in cards
        assert 'name="api_key"' in client.get(f"/t/{tenant.slug}/marketplace/fakemarket").get_data(as_text=True)
        form = {"active": "yes", "notification_email": "ops@loja-a.example", "trade_policy": "1",
                "affiliate_id": "FKM", "divergence": "50", "sla_padrao": "Normal"}
        refused = client.post(f"/t/{tenant.slug}/marketplace/fakemarket", data=form).get_data(as_text=True)
        assert "Fake Market key" in refused and db.session.query(ConnectorSettings).count() == 0
        saved = client.post(f"/t/{tenant.slug}/marketplace/fakemarket", data={**form, "api_key": "fake-key"})
        assert saved.status_code == 302
    row = db.session.query(ConnectorSettings).one()
    assert (row.connector_key, row.active, row.account_id, row.secrets) == ("fakemarket", True, "fm-1",
                                                                          {"api_key": "fake-key"})
    affiliates = requests.get(vtex_sim.config["URL"] + "/api/fulfillment/pvt/affiliates", headers={
        "X-VTEX-API-AppKey": vtex_sim.config["APP_KEY"], "X-VTEX-API-AppToken": vtex_sim.config["APP_TOKEN"]}).json()
    assert "FKM" in {a["id"] for a in affiliates}
    assert [j.args for j in Queue("sync", connection=redis_connection()).jobs] == [(tenant.id, "fakemarket")]


def test_bridge_entries_name_their_marketplace_and_the_bridge_shows_one_or_all(app, db, client, owner, store):
    activation.initial_load(store.id, "fakemarket")
    schedule.run_periodic("sync", store.id, "fakemarket")
    for batch_id, in db.session.query(ImportBatch.id).filter_by(status="sent"):
        db.session.query(ImportBatch).filter_by(id=batch_id).update({ImportBatch.next_check_at: utcnow()})
        db.session.commit()
        reports.check_import(batch_id)
    keys = {e.connector_key for e in db.session.query(BridgeEntry).filter_by(entity="product")}
    assert keys == {"fakemarket"}
    db.session.add(BridgeEntry(tenant_id=store.id, connector_key="carrefour", entity="product", entity_id="1001",
                               status="error", message="Recusado pelo Carrefour"))
    db.session.commit()
    login(client, owner.email)
    both = client.get(f"/t/{store.slug}/bridge/product").get_data(as_text=True)
    assert "Taken by Fake Market." in both and "Recusado pelo Carrefour" in both
    assert '<option value="fakemarket"' in both
    fake = client.get(f"/t/{store.slug}/bridge/product?connector=fakemarket").get_data(as_text=True)
    assert "Taken by Fake Market." in fake and "Recusado pelo Carrefour" not in fake
    carrefour = client.get(f"/t/{store.slug}/bridge/product?connector=carrefour").get_data(as_text=True)
    assert "Taken by Fake Market." not in carrefour and "Recusado pelo Carrefour" in carrefour
