"""Mirakl (outro operador): a merchant connects a Mirakl marketplace other than Carrefour through the portal, by its
URL and key; the shipping types come from the operator's own API (SH12), the form maps them, and the store's
catalog and orders flow through the same Mirakl connector as Carrefour's, in the operator's name."""
import re

import pytest
import requests

from saas.bridge.models import BridgeEntry
from saas.catalog import activation, reports
from saas.catalog.models import ImportBatch
from saas.jobs import schedule
from saas.orders import importer
from saas.orders.models import MarketplaceOrder
from saas.sandbox import mirakl
from saas.tenants.models import ConnectorSettings
from saas.timeutil import utcnow
from tests.conftest import login, public, serve, wire_to_vtex

OPERATOR_TYPES = [{"code": "STD", "label": "Padrão"}, {"code": "EXP-24", "label": "Entrega em 24h"}]
FORM = {"operator_name": "Leroy Merlin", "notification_email": "ops@loja.example", "divergence": "50",
        "trade_policy": "1", "min_stock": "0", "auto_accept": "y", "affiliate_id": "MRK", "shop_id": ""}


@pytest.fixture
def operator(tmp_path):
    """Another Mirakl marketplace: its own shop, key and shipping types."""
    sim = mirakl.create_app(tmp_path / "operator.db")
    sim.config.update(SHOP_KEY="operator-key-123", SHOP_ID=3003, SHIPPING_TYPES=OPERATOR_TYPES, IMPORT_SECONDS=0,
                      APPROVAL_SECONDS=0, ACCEPTANCE_SECONDS=0, PAYMENT_SECONDS=0)
    with serve(sim) as url:
        sim.config["URL"] = url
        yield sim


@pytest.fixture
def page(app, db, client, owner, tenant, vtex_sim, operator):
    wire_to_vtex(tenant, vtex_sim)
    login(client, owner.email)
    url = f"/t/{tenant.slug}/marketplace/mirakl"
    with public(app):
        yield lambda **fields: client.post(url, data={**FORM, "api_url": operator.config["URL"], **fields}) \
            if fields else client.get(url)


def test_an_operator_is_connected_by_url_and_key_with_the_shipping_types_it_lists(client, db, tenant, page,
                                                                                   operator, vtex_sim):
    cards = client.get(f"/t/{tenant.slug}/marketplace").get_data(as_text=True)
    assert "Mirakl (outro operador)" in cards and "Carrefour" in cards
    first = page().get_data(as_text=True)
    assert "Os tipos de entrega são lidos do Mirakl com a chave" in first and 'name="sla_' not in first
    assert re.search(r'name="affiliate_id"[^>]* value="(\w+)"', first).group(1) == "MRK"

    # Active before any shipping type is known: refused, nothing saved.
    refused = page(active="yes", shop_key="operator-key-123").get_data(as_text=True)
    assert "Salve uma vez com “Integração ativa” em Não" in refused
    assert db.session.query(ConnectorSettings).count() == 0

    # A wrong key is refused on its field when the types are read.
    refused = page(active="no", shop_key="not-the-operator-key").get_data(as_text=True)
    assert "recusou esta chave" in refused and db.session.query(ConnectorSettings).count() == 0

    # Saved inactive with the key: the operator's types are read and stored, and the form maps them.
    saved = page(active="no", shop_key="operator-key-123")
    assert saved.status_code == 302
    row = db.session.query(ConnectorSettings).one()
    assert row.settings["shipping_types"] == [["STD", "Padrão"], ["EXP-24", "Entrega em 24h"]]
    mapped = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Tipos de entrega lidos do Mirakl: Padrão, Entrega em 24h" in mapped
    assert 'name="sla_std"' in mapped and 'name="sla_exp_24"' in mapped
    assert "Mapeamento de SLA de tipo Entrega em 24h" in mapped

    # Active with none of them mapped: a field error; with one mapped: active, its own affiliate at VTEX.
    assert "Associe pelo menos um tipo de entrega" in page(active="yes", sla_std="", sla_exp_24="") \
        .get_data(as_text=True)
    assert page(active="yes", sla_std="Normal", sla_exp_24="").status_code == 302
    db.session.expire_all()
    row = db.session.query(ConnectorSettings).one()
    assert row.active and row.account_id == "3003" and row.settings["sla_std"] == "Normal"
    assert row.settings["shipping_types"] == [["STD", "Padrão"], ["EXP-24", "Entrega em 24h"]]
    affiliates = requests.get(vtex_sim.config["URL"] + "/api/fulfillment/pvt/affiliates", headers={
        "X-VTEX-API-AppKey": vtex_sim.config["APP_KEY"], "X-VTEX-API-AppToken": vtex_sim.config["APP_TOKEN"]}).json()
    assert "MRK" in {a["id"] for a in affiliates}


def test_an_operators_catalog_and_orders_flow_in_its_own_name(db, tenant, page, operator, vtex_sim):
    page(active="no", shop_key="operator-key-123")
    assert page(active="yes", sla_std="Normal", sla_exp_24="").status_code == 302

    # The initial load reaches the operator; its report speaks of the operator by the name the merchant gave.
    assert activation.initial_load(tenant.id, "mirakl") > 0
    assert schedule.run_periodic("sync", tenant.id, "mirakl")["products"] > 0
    batch = db.session.query(ImportBatch).filter_by(connector_key="mirakl", kind="product").first()
    batch.next_check_at = utcnow()
    db.session.commit()
    reports.check_import(batch.id)
    texts = {e.text for e in db.session.query(BridgeEntry).filter_by(entity="product")}
    assert "Produto recebido pelo Leroy Merlin; aguardando a aprovação dele." in texts

    # An order of the operator's "Padrão" type is placed at VTEX with the carrier mapped to it.
    price = vtex_sim.extensions["store"].get("sku", 1001)["price"] / 100
    order_id = requests.post(operator.config["URL"] + "/_admin/orders", json={
        "lines": [{"sku": "1001", "quantity": 1, "price": price}], "zip_code": "01310100", "shipping_price": 0,
        "shipping_type": "STD", "state": "SHIPPING"}).json()["order_id"]
    schedule.run_periodic("orders", tenant.id, "mirakl")
    order = db.session.query(MarketplaceOrder).one()
    assert order.connector_key == "mirakl" and order.marketplace_order_id == order_id
    order.next_attempt_at = utcnow()
    db.session.commit()
    assert importer.import_order(order.id, order.series) == "imported"
    placed = requests.get(vtex_sim.config["URL"] + "/_admin/orders").json()
    assert [o["orderId"] for o in placed] == [f"MRK-{order_id}"]
    assert {li["selectedSla"] for li in placed[0]["shippingData"]["logisticsInfo"]} == {"Normal"}


def test_each_marketplace_is_known_at_vtex_by_its_own_affiliate_unless_the_store_set_one():
    """Written once (``saas.tenants.settings``): Carrefour's CRF is never another operator's default."""
    from saas.tenants.settings import affiliate_of, trade_policy_of
    assert (affiliate_of("carrefour", {}), affiliate_of("mirakl", {"affiliate_id": ""})) == ("CRF", "MRK")
    assert affiliate_of("mirakl", {"affiliate_id": "OUT"}) == "OUT"
    assert (trade_policy_of({}), trade_policy_of({"trade_policy": 2})) == ("1", "2")
