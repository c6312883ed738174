"""An online shop for order tests: the tenant wired to both simulators, with helpers to act on either side."""
import pytest
import requests

from saas.jobs import schedule
from saas.orders import importer
from saas.orders.models import MarketplaceOrder
from saas.tenants.settings import load_settings, save_settings
from saas.timeutil import utcnow
from tests.conftest import wire_to_vtex
from tests.factories import CarrefourSettings

SETTINGS = CarrefourSettings(notification_email="ops@loja-a.example", divergence=5.0, sla_expressa="Expressa")


class Shop:
    def __init__(self, app, db, tenant, vtex, mirakl):
        self.app, self.db, self.tenant, self.vtex, self.mirakl = app, db, tenant, vtex, mirakl

    def sku(self, sku_id):
        return self.vtex.extensions["store"].get("sku", sku_id)

    def stock(self, sku_id, quantity):
        requests.post(f"{self.vtex.config['URL']}/_admin/skus/{sku_id}", json={"stock": quantity})

    def carrefour_order(self, *skus, quantity=1, price=None, **fields):
        lines = [{"sku": str(s), "quantity": quantity,
                  "price": price if price is not None else self.sku(s)["price"] / 100} for s in skus]
        body = {"lines": lines, "zip_code": "01310100", "shipping_price": 0, **fields}
        return requests.post(self.mirakl.config["URL"] + "/_admin/orders", json=body).json()["order_id"]

    def poll(self):
        return schedule.run_periodic("orders", self.tenant.id, "carrefour")

    def import_pending(self):
        """What the worker does with the import jobs the poll enqueued (each attempt once, its delay passed)."""
        importing = self.db.session.query(MarketplaceOrder).filter_by(status="importing").all()
        for order in importing:
            order.next_attempt_at = utcnow()
        self.db.session.commit()
        return {order.marketplace_order_id: importer.import_order(order.id, order.series) for order in importing}

    def order(self, mkt_id):
        self.db.session.expire_all()
        return self.db.session.query(MarketplaceOrder).filter_by(marketplace_order_id=mkt_id).one()

    def vtex_orders(self):
        return requests.get(self.vtex.config["URL"] + "/_admin/orders").json()

    def mirakl_order(self, mkt_id):
        return next(o for o in requests.get(self.mirakl.config["URL"] + "/_admin/orders").json()
                    if o["order_id"] == mkt_id)

    def settings(self, **changes):
        row = load_settings(self.tenant, "carrefour")
        save_settings(self.tenant, "carrefour", active=True, settings={**row.settings, **changes},
                      secrets=row.secrets)


@pytest.fixture
def shop(app, db, tenant, vtex_sim, mirakl_sim):
    wire_to_vtex(tenant, vtex_sim)
    save_settings(tenant, "carrefour", active=True, settings={**SETTINGS, "api_url": mirakl_sim.config["URL"]},
                  secrets={"shop_key": "sandbox-shop-key-demo"})
    shop = Shop(app, db, tenant, vtex_sim, mirakl_sim)
    for sku in (1001, 1002, 1003):
        shop.stock(sku, 10)
    return shop


