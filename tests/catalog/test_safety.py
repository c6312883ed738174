"""Safety stock from sales speed: pure arithmetic on a synthetic sales history, then a sync that holds units back
and the Catálogo that says why."""
from datetime import timedelta

import pytest

from saas.catalog import safety
from saas.catalog.models import ImportBatch, SkuBinding
from saas.orders.models import MarketplaceOrder
from saas.tenants.settings import build_connector, save_settings
from saas.timeutil import utcnow
from tests.catalog import test_sync_e2e
from tests.conftest import login

world = test_sync_e2e.world


@pytest.mark.parametrize("per_hour, lead, cap, held", [
    (2.0, 30, 5, 1),     # one unit sells in the half hour an update takes
    (2.0, 60, 5, 2),
    (12.0, 60, 5, 5),    # capped
    (0.1, 13, 5, 0),     # a slow seller keeps its last unit on sale
    (3.0, 13, 0, 0),     # a cap of 0 holds nothing
])
def test_the_units_held_back_are_the_sales_expected_while_an_update_travels(per_hour, lead, cap, held):
    assert safety.units(per_hour, lead, cap).units == held


def _order(db, tenant, number, lines, *, hours_ago=1, status="imported"):
    raw = {"order_id": f"O-{number}", "order_state": "SHIPPING", "order_lines": [
        {"order_line_id": f"O-{number}-{i}", "offer_sku": sku, "quantity": quantity, "price_unit": 10}
        for i, (sku, quantity) in enumerate(lines)]}
    db.session.add(MarketplaceOrder(tenant_id=tenant.id, connector_key="carrefour",
                                    marketplace_order_id=raw["order_id"], marketplace_state="SHIPPING",
                                    marketplace_updated_at="2026-12-01T10:00:00Z", status=status, raw=raw, history=[],
                                    created_at=utcnow() - timedelta(hours=hours_ago)))


def _batch(db, tenant, minutes, *, days_ago=0):
    changed = utcnow() - timedelta(days=days_ago, minutes=minutes)
    db.session.add(ImportBatch(tenant_id=tenant.id, connector_key="carrefour", kind="offer", import_id="1",
                               status="complete", created_at=changed, changed_at=changed,
                               checked_at=changed + timedelta(minutes=minutes)))


def test_sales_speed_counts_the_sales_window_and_lead_time_is_the_p95_of_a_week(db, tenant):
    save_settings(tenant, "carrefour", active=True, settings={"api_url": "https://m.test"}, secrets={"shop_key": "k"})
    _order(db, tenant, 1, [("1001", 36), ("1002", 1)])
    _order(db, tenant, 2, [("1001", 36)], hours_ago=50)
    _order(db, tenant, 3, [("1001", 500)], hours_ago=80)                 # before the window
    _order(db, tenant, 4, [("1001", 500)], status="cancelled")           # never sold
    for minutes in [2] * 18 + [9, 40]:
        _batch(db, tenant, minutes)
    _batch(db, tenant, 600, days_ago=8)                                  # before the lead window
    db.session.commit()
    connector = build_connector(tenant, "carrefour")
    rates = safety.sales_per_hour(tenant, connector, utcnow())
    assert rates == {"1001": 1.0, "1002": 1 / 72}
    assert safety.lead_minutes(tenant, "carrefour", utcnow()) == pytest.approx(9)
    held = safety.for_store(tenant, connector, {"safety_cap": 5})
    assert held["1001"] == safety.Safety(0, 1.0, 9.0)  # 0.15 of a unit sells while an update travels
    assert safety.for_store(tenant, connector, {"safety_stock": False}) == {}


def test_a_fast_seller_is_offered_less_and_the_catalog_says_why(world, client, owner):
    world.cycle()
    world.cycle()
    sku = next(s for s in test_sync_e2e.sellable(world) if s["stock"] >= 20)
    for number in range(6):  # 6 units an hour, for three days
        _order(world.db, world.tenant, number, [(str(sku["Id"]), 72)], hours_ago=number + 1)
    for _ in range(10):
        _batch(world.db, world.tenant, 30)  # an update takes 30 minutes to be accepted
    world.db.session.commit()
    world.vtex_admin(sku["Id"], stock=sku["stock"] + 1)
    world.wait_for_change(str(sku["Id"]))
    world.cycle()
    assert world.offers()[str(sku["Id"])]["quantity"] == sku["stock"] + 1 - 3  # 6 an hour × half an hour
    binding = world.db.session.query(SkuBinding).filter_by(sku_id=str(sku["Id"])).one()
    assert binding.safety == {"units": 3, "per_hour": 6.0, "lead_minutes": 30.0}
    login(client, owner.email)
    page = client.get("/t/loja-a/catalog/", query_string={"q": sku["Id"]}).get_data(as_text=True)
    assert "3 retidas: 6 vendidas por hora × 30 min até o marketplace" in page


def test_the_cap_is_set_on_the_rules_page_and_a_wrong_one_is_refused_on_its_field(client, db, owner, tenant):
    from saas.tenants.settings import load_settings
    save_settings(tenant, "carrefour", active=True, settings={"api_url": "https://m.test"}, secrets={"shop_key": "k"})
    _order(db, tenant, 1, [("1001", 72)])
    db.session.commit()
    login(client, owner.email)
    refused = client.post("/t/loja-a/pricing/carrefour", data={"action": "safety", "safety-safety_stock": "y",
                                                               "safety-safety_cap": "muitos"})
    assert "Informe um número inteiro de 0 a 1000." in refused.get_data(as_text=True)
    assert "safety_cap" not in load_settings(tenant, "carrefour").settings
    client.post("/t/loja-a/pricing/carrefour", data={"action": "safety", "safety-safety_cap": "2"})
    settings = load_settings(tenant, "carrefour").settings
    assert settings["safety_stock"] is False and settings["safety_cap"] == 2
    from saas.catalog.models import SkuChange
    assert [c.sku_id for c in db.session.query(SkuChange)] == ["1001"]  # the SKU sold lately goes again


def test_an_order_that_came_while_the_safety_covered_the_store_is_counted_in_the_months_digest(world):
    from datetime import datetime

    from saas import digest
    from tests.orders.conftest import Shop
    world.cycle()
    world.cycle()
    sku = next(s for s in test_sync_e2e.sellable(world) if s["stock"] >= 20)
    for number in range(6):
        _order(world.db, world.tenant, number, [(str(sku["Id"]), 72)], hours_ago=number + 1)
    for _ in range(10):
        _batch(world.db, world.tenant, 30)
    world.db.session.commit()
    world.vtex_admin(sku["Id"], stock=20)
    world.wait_for_change(str(sku["Id"]))
    world.cycle()  # 17 offered, 3 held back
    vtex_store = world.vtex.extensions["store"]
    vtex_store.put("sku", sku["Id"], {**vtex_store.get("sku", sku["Id"]), "stock": 18})  # sold elsewhere, not told
    shop = Shop(world.app, world.db, world.tenant, world.vtex, world.mirakl)
    covered = shop.carrefour_order(sku["Id"], state="SHIPPING")
    shop.poll()
    assert shop.import_pending() == {covered: "imported"}
    assert shop.order(covered).safety_covered  # 18 at VTEX, where Carrefour would have shown 20 without it
    vtex_store.put("sku", sku["Id"], {**vtex_store.get("sku", sku["Id"]), "stock": 40})
    plenty = shop.carrefour_order(sku["Id"], state="SHIPPING")
    shop.poll()
    assert shop.import_pending() == {plenty: "imported"}
    assert not shop.order(plenty).safety_covered  # VTEX had more than Carrefour could show either way
    first_of_next_month = datetime(2027, 1, 1, 12) if utcnow().month == 12 else \
        datetime(utcnow().year, utcnow().month + 1, 1, 12)
    order = shop.order(covered)
    order.created_at = first_of_next_month - timedelta(days=3)
    world.db.session.commit()
    assert digest.facts(world.tenant, "carrefour", now=first_of_next_month)["safety_month"] == 1
    assert digest.facts(world.tenant, "carrefour", now=first_of_next_month + timedelta(days=1))["safety_month"] is None
    body = digest._body(digest.facts(world.tenant, "carrefour", now=first_of_next_month), "Carrefour")
    assert "Estoque de segurança no mês passado: 1 pedido chegou" in body
