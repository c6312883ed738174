"""A store that takes over a marketplace shop another store had (or another integrator) never imports the orders
that one accepted: it may have placed them at VTEX already. The merchant can still import one from its page."""
import time

from saas.bridge.models import BridgeEntry
from saas.jobs import schedule
from saas.orders.models import MarketplaceOrder
from saas.tenants.settings import load_settings, save_settings
from tests.conftest import login, make_tenant, wire_to_vtex
from tests.orders.conftest import SETTINGS


def _orders_of(db, tenant):
    db.session.expire_all()
    return {o.marketplace_order_id: o for o in db.session.query(MarketplaceOrder).filter_by(tenant_id=tenant.id)}


def test_a_store_taking_over_a_shop_never_imports_the_orders_the_previous_one_accepted(app, db, client, owner, shop):
    integrated = shop.carrefour_order(1001)  # store A accepts and integrates this one …
    shop.poll()
    shop.poll()
    shop.import_pending()
    accepted_only = shop.carrefour_order(1002)  # … and only accepts this one before it lets the shop go
    shop.poll()
    assert shop.order(integrated).status == "imported" and shop.order(accepted_only).status == "accepted"
    assert len(shop.vtex_orders()) == 1

    row = load_settings(shop.tenant, "carrefour")
    save_settings(shop.tenant, "carrefour", active=False, settings=row.settings, secrets={}, action="deactivate")
    time.sleep(1.1)  # the marketplace writes acceptance dates to the millisecond; our audit to the microsecond
    store_b = make_tenant(owner, "loja-b")  # store B, another VTEX account, connects the same shop
    wire_to_vtex(store_b, shop.vtex)
    save_settings(store_b, "carrefour", active=True, settings={**SETTINGS, "affiliate_id": "CRB",
                                                                "api_url": shop.mirakl.config["URL"]},
                  secrets={"shop_key": "sandbox-shop-key-demo"}, action="activate", account_id="2001")
    new = shop.carrefour_order(1003)
    for _ in range(2):
        schedule.run_periodic("orders", store_b.id, "carrefour")
    shop.import_pending()

    orders = _orders_of(db, store_b)
    assert orders[integrated].status == orders[accepted_only].status == "before_connection"
    assert orders[new].status == "imported"
    assert sorted(o["marketplaceOrderId"] for o in shop.vtex_orders()) == sorted([integrated, new])
    warning = db.session.query(BridgeEntry).filter_by(tenant_id=store_b.id, entity_id=accepted_only).one()
    assert warning.status == "warning" and warning.message.startswith("Accepted at the marketplace before this store")

    # The one store A never placed: the merchant checks VTEX and imports it from its page, once.
    login(client, owner.email)
    page = client.get(f"/t/loja-b/orders/{orders[accepted_only].id}").get_data(as_text=True)
    assert "aceito antes de esta loja se conectar" in page and "Importar para a VTEX por esta loja" in page
    assert client.post(f"/t/loja-a/orders/{orders[accepted_only].id}/adopt").status_code == 404  # not A's order
    assert client.post(f"/t/loja-b/orders/{orders[accepted_only].id}/adopt").status_code == 302
    assert client.post(f"/t/loja-b/orders/{orders[accepted_only].id}/adopt").status_code == 409  # once
    shop.import_pending()
    assert _orders_of(db, store_b)[accepted_only].status == "imported"
    assert sorted(o["marketplaceOrderId"] for o in shop.vtex_orders()) == sorted([integrated, new, accepted_only])
