"""Two Mirakl marketplaces of one store that number their orders alike: each order is its marketplace's, placed at
VTEX under its own affiliate, and VTEX's callbacks reach the right one."""
import requests

from saas.jobs import schedule
from saas.orders import importer
from saas.orders.models import MarketplaceOrder, OrderEvent
from saas.sandbox import mirakl
from saas.tenants.settings import save_settings
from saas.timeutil import utcnow
from tests.conftest import serve
from tests.orders.conftest import SETTINGS

INVOICE = {"type": "Output", "invoiceNumber": "NF-1", "invoiceValue": 1000, "issuanceDate": "2026-12-08",
           "invoiceKey": "35261200000000000000550010000000011000000010", "items": []}


def test_the_same_order_number_at_two_marketplaces_makes_two_orders_each_called_back_apart(shop, tmp_path, client):
    other = mirakl.create_app(tmp_path / "other-mirakl.db")
    other.config.update(IMPORT_SECONDS=0, APPROVAL_SECONDS=0, ACCEPTANCE_SECONDS=0, PAYMENT_SECONDS=0)
    with serve(other) as other_url:
        save_settings(shop.tenant, "mirakl", active=True,
                      settings={**SETTINGS, "affiliate_id": "MKP", "api_url": other_url,
                                "shipping_types": [["NORMAL", "Normal"]], "sla_normal": "Normal"},
                      secrets={"shop_key": "sandbox-shop-key-demo"})
        number = shop.carrefour_order(1001)
        body = {"lines": [{"sku": "1002", "quantity": 1, "price": shop.sku(1002)["price"] / 100}],
                "zip_code": "01310100", "shipping_price": 0}
        assert requests.post(other_url + "/_admin/orders", json=body).json()["order_id"] == number
        for _ in range(2):  # the first poll accepts, the second imports the paid order
            for marketplace in ("carrefour", "mirakl"):
                schedule.run_periodic("orders", shop.tenant.id, marketplace)
            pending = shop.db.session.query(MarketplaceOrder).filter_by(status="importing").all()
            for order in pending:
                order.next_attempt_at = utcnow()
            shop.db.session.commit()
            for order_id, series in [(o.id, o.series) for o in pending]:
                assert importer.import_order(order_id, series) == "imported"

    shop.db.session.expire_all()
    orders = {o.connector_key: o for o in shop.db.session.query(MarketplaceOrder).all()}
    assert sorted(orders) == ["carrefour", "mirakl"]
    assert {o.marketplace_order_id for o in orders.values()} == {number}
    assert (orders["carrefour"].vtex_order_id, orders["mirakl"].vtex_order_id) == (f"CRF-{number}", f"MKP-{number}")
    placed = {o["orderId"]: o for o in shop.vtex_orders()}
    assert [i["id"] for i in placed[f"MKP-{number}"]["items"]] == ["1002"]
    assert placed[f"MKP-{number}"]["marketplaceServicesEndpoint"].endswith("/oms/mirakl")

    secret = shop.tenant.webhook_secret
    assert client.post(f"/api/vtex/loja-a/{secret}/oms/mirakl/pvt/orders/{number}/invoice",
                       json=INVOICE).status_code == 200
    (event,) = shop.db.session.query(OrderEvent).all()
    assert event.order_id == orders["mirakl"].id and event.kind == "invoice"
    # Without the marketplace in the address the number names two orders: a conflict, nothing stored.
    ambiguous = client.post(f"/api/vtex/loja-a/{secret}/oms/pvt/orders/{number}/invoice", json=INVOICE)
    assert ambiguous.status_code == 409 and "marketplaceServicesEndpoint" in ambiguous.get_json()["error"]
    assert shop.db.session.query(OrderEvent).count() == 1
    # VTEX's own order id names one order, with or without the marketplace.
    assert client.post(f"/api/vtex/loja-a/{secret}/oms/pvt/orders/CRF-{number}/invoice",
                       json={**INVOICE, "invoiceNumber": "NF-2"}).status_code == 200
    assert shop.db.session.query(OrderEvent).filter_by(order_id=orders["carrefour"].id).count() == 1
    assert client.post(f"/api/vtex/loja-a/{secret}/oms/nope/pvt/orders/{number}/invoice",
                       json=INVOICE).status_code == 404
