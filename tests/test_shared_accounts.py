"""Two stores of a multistore on one VTEX account, each with its own Carrefour shop, set up through the portal as a
merchant would: neither takes the other's affiliate, a shop serves one store, and notifications, orders and events
never cross."""
import re
import time

import pytest
import requests

from saas.bridge.models import BridgeEntry
from saas.catalog.models import SkuChange
from saas.jobs import schedule
from saas.orders import events, importer
from saas.orders.models import MarketplaceOrder
from saas.sandbox import mirakl
from saas.tenants.models import ConnectorSettings, Tenant
from saas.timeutil import utcnow
from tests.conftest import login, make_tenant, public, serve

FORM = {"active": "yes", "notification_email": "ops@multiloja.example", "shop_id": "", "divergence": "50",
        "min_stock": "0", "auto_accept": "y", "sla_normal": "Normal", "sla_expressa": "", "sla_economica": "",
        "sla_agendada": ""}


@pytest.fixture
def second_shop(tmp_path):
    """Store B's Carrefour shop: another Mirakl shop, with its own key and id."""
    sim = mirakl.create_app(tmp_path / "mirakl-b.db")
    sim.config.update(SHOP_KEY="shop-key-loja-b", SHOP_ID=2002, IMPORT_SECONDS=0, APPROVAL_SECONDS=0,
                      ACCEPTANCE_SECONDS=0, PAYMENT_SECONDS=0)
    with serve(sim) as url:
        sim.config["URL"] = url
        yield sim


@pytest.fixture
def multistore(app, db, client, owner, vtex_sim, mirakl_sim, second_shop):
    vtex = {"vtex_account": "multiloja", "vtex_base_url": vtex_sim.config["URL"],
            "vtex_app_key": vtex_sim.config["APP_KEY"], "vtex_app_token": vtex_sim.config["APP_TOKEN"]}
    make_tenant(owner, "loja-a", store_label="Loja A", **vtex)
    make_tenant(owner, "loja-b", store_label="Loja B", **vtex)
    login(client, owner.email)
    with public(app):
        yield {"a": mirakl_sim, "b": second_shop, "vtex": vtex_sim}


def settings_page(client, slug, **fields):
    url = f"/t/{slug}/marketplace/carrefour"
    return client.post(url, data={**FORM, **fields}) if fields else client.get(url)


def test_two_stores_of_one_vtex_account_never_cross(app, db, client, multistore):
    shop_a, shop_b, vtex = multistore["a"], multistore["b"], multistore["vtex"]
    activated = settings_page(client, "loja-a", shop_key="sandbox-shop-key-demo", api_url=shop_a.config["URL"],
                              trade_policy="1", affiliate_id="CRF")
    assert activated.status_code == 302

    # Store B's first visit proposes an affiliate id that store A does not use …
    page = settings_page(client, "loja-b").get_data(as_text=True)
    assert re.search(r'name="affiliate_id"[^>]* value="(\w+)"', page).group(1) == "CRB"
    # … refuses A's, and refuses A's Carrefour shop, without naming store A.
    refused = settings_page(client, "loja-b", shop_key="shop-key-loja-b", api_url=shop_b.config["URL"],
                            trade_policy="2", affiliate_id="CRF").get_data(as_text=True)
    assert "já usa o afiliado CRF" in refused and "Use CRB" in refused
    refused = settings_page(client, "loja-b", shop_key="sandbox-shop-key-demo", api_url=shop_a.config["URL"],
                            trade_policy="2", affiliate_id="CRB").get_data(as_text=True)
    (error,) = re.findall(r'<p class="error" role="alert">(.*?)</p>', refused)
    assert "já está ligada a outra loja" in error and "loja-a" not in error and "Loja A" not in error
    assert settings_page(client, "loja-b", shop_key="shop-key-loja-b", api_url=shop_b.config["URL"],
                         trade_policy="2", affiliate_id="CRB").status_code == 302

    a, b = (db.session.query(Tenant).filter_by(slug=slug).one() for slug in ("loja-a", "loja-b"))
    affiliates = {x["id"]: x for x in requests.get(vtex.config["URL"] + "/api/fulfillment/pvt/affiliates",
                                                   headers=_vtex_headers(vtex)).json()}
    assert affiliates["CRF"]["searchURIEndpoint"].endswith(f"/api/vtex/loja-a/{a.webhook_secret}/notification")
    assert affiliates["CRB"]["searchURIEndpoint"].endswith(f"/api/vtex/loja-b/{b.webhook_secret}/notification")
    assert {r.tenant_id: r.account_id for r in db.session.query(ConnectorSettings)} == {a.id: "2001", b.id: "2002"}

    # A price change at VTEX reaches each store through its own affiliate, each sync to its own shop.
    db.session.query(SkuChange).delete()
    db.session.commit()
    requests.post(f"{vtex.config['URL']}/_admin/skus/1001", json={"price": 12345}).raise_for_status()
    _wait(lambda: {c.tenant_id for c in db.session.query(SkuChange).filter_by(sku_id="1001")} == {a.id, b.id})

    # An order at store A's shop is A's alone: B's poll does not see it, B's callbacks do not reach it.
    order_id = requests.post(shop_a.config["URL"] + "/_admin/orders", json={
        "lines": [{"sku": "1001", "quantity": 1, "price": 123.45}], "zip_code": "01310100", "shipping_price": 0,
        "state": "SHIPPING"}).json()["order_id"]
    schedule.run_periodic("orders", b.id, "carrefour")
    schedule.run_periodic("orders", a.id, "carrefour")
    orders = db.session.query(MarketplaceOrder).all()
    assert [(o.tenant_id, o.marketplace_order_id) for o in orders] == [(a.id, order_id)]
    orders[0].next_attempt_at = utcnow()
    db.session.commit()
    assert importer.import_order(orders[0].id, orders[0].series) == "imported"
    placed = requests.get(vtex.config["URL"] + "/_admin/orders").json()
    assert [o["orderId"] for o in placed] == [f"CRF-{order_id}"]
    invoice = {"invoiceNumber": "1", "issuanceDate": "2026-11-27T10:00:00Z", "invoiceValue": 12345}
    assert client.post(f"/api/vtex/loja-b/{b.webhook_secret}/oms/pvt/orders/{order_id}/invoice",
                       json=invoice).status_code == 404
    assert client.post(f"/api/vtex/loja-a/{a.webhook_secret}/oms/pvt/orders/{order_id}/invoice",
                       json=invoice).status_code == 200
    assert not db.session.query(BridgeEntry).filter_by(tenant_id=b.id, entity="order").count()

    # VTEX keeps one order hook per account, registered last by store B: A's order reaches A through it.
    requests.post(f"{vtex.config['URL']}/_admin/orders/CRF-{order_id}/invoice", json={}).raise_for_status()
    events.from_hook(b.id, f"CRF-{order_id}")
    db.session.expire_all()
    assert db.session.get(MarketplaceOrder, orders[0].id).vtex_status == "invoiced"


def _vtex_headers(vtex):
    return {"X-VTEX-API-AppKey": vtex.config["APP_KEY"], "X-VTEX-API-AppToken": vtex.config["APP_TOKEN"]}


def _wait(condition, timeout=10.0):
    from saas.extensions import db
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
