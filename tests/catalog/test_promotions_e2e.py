"""What Carrefour shows is what VTEX says, even when VTEX says nothing: a promotion that starts or ends sends no
notification (VTEX's published known issue), so its SKUs are sent again at each boundary; a notification can come
merged or be read stale, so notified SKUs are read again; and every offer is verified on a rolling basis. Against a
VTEX simulator that behaves that way."""
from datetime import timedelta

import requests

from saas.catalog import promotions, rereads
from saas.catalog.models import DriftTally, Promotion, SkuBinding, SkuChange
from saas.jobs.context import Integration
from saas.jobs.models import JobSchedule
from saas.tenants.settings import load_settings
from saas.timeutil import utcnow
from tests.catalog.test_sync_e2e import sellable, world  # noqa: F401 (a fixture)
from tests.conftest import login


def iso(moment) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def promote(shop, **fields):
    answer = requests.post(shop.vtex.config["URL"] + "/_admin/promotions", json=fields, timeout=5)
    answer.raise_for_status()
    return answer.json()


def vtex_selling_price(shop, sku) -> int:
    body = {"items": [{"id": str(sku), "quantity": 1, "seller": "1"}]}
    return requests.post(shop.vtex.config["URL"] + "/api/checkout/pub/orderForms/simulation?sc=1", json=body,
                         timeout=5).json()["items"][0]["sellingPrice"]


def listed(shop):
    shop.cycle()  # the initial load: every sellable SKU listed, its offer live
    return {str(s["Id"]): s for s in sellable(shop) if s["stock"] > 2}


def test_the_simulator_applies_a_promotion_without_notifying(world):  # noqa: F811
    sku = sellable(world)[0]
    promote(world, name="Relâmpago", percent=20, skus=[sku["Id"]], begin=iso(utcnow() - timedelta(minutes=1)))
    assert vtex_selling_price(world, sku["Id"]) == sku["price"] - round(sku["price"] * 0.2)
    assert world.vtex.extensions["store"].get("notified", sku["Id"]) is None  # nobody was told
    listed_ = requests.get(world.vtex.config["URL"] + "/api/rnb/pvt/benefits/calculatorconfiguration",
                           headers={"X-VTEX-API-AppKey": world.vtex.config["APP_KEY"],
                                    "X-VTEX-API-AppToken": world.vtex.config["APP_TOKEN"]}, timeout=5).json()
    assert [p["name"] for p in listed_["items"]] == ["Relâmpago"] and listed_["items"][0]["scope"]["skus"] == 1


def test_a_promotions_start_and_end_reach_carrefour_without_any_notification(world):  # noqa: F811
    skus = listed(world)
    sku_id, sku = next(iter(skus.items()))
    assert world.offers()[sku_id]["price"] == sku["price"] / 100
    ends = utcnow() + timedelta(minutes=4)  # before the calendar's next run (PROMOTIONS_INTERVAL, 5 minutes)
    promotion = promote(world, name="Black Friday", percent=20, skus=[sku_id],
                        begin=iso(utcnow() - timedelta(seconds=5)), end=iso(ends))
    integration = load_settings(world.tenant, "carrefour")
    world.db.session.add(JobSchedule(tenant_id=world.tenant.id, connector_key="carrefour", kind="promotions",
                                     next_run_at=utcnow() + timedelta(minutes=15)))
    world.db.session.commit()

    result = promotions.refresh_promotions(world.tenant, integration)
    assert result["resent"] == 1  # the SKU in its scope, and no other
    assert [c.sku_id for c in world.db.session.query(SkuChange)] == [sku_id]
    world.db.session.expire_all()
    schedule_row = world.db.session.query(JobSchedule).filter_by(kind="promotions").one()
    assert abs((schedule_row.next_run_at - ends).total_seconds() - 1) < 2  # at the end, not a cycle later
    world.cycle()
    promoted = sku["price"] - round(sku["price"] * 0.2)
    assert world.offers()[sku_id]["price"] == promoted / 100

    assert promotions.refresh_promotions(world.tenant, integration)["resent"] == 0  # nothing passed since
    # The promotion ends (VTEX's admin moves its end to now): again no notification, and the price goes back.
    promote(world, id=promotion["idCalculatorConfiguration"], name="Black Friday", percent=20, skus=[sku_id],
            begin=promotion["beginDateUtc"], end=iso(utcnow() - timedelta(seconds=1)))
    assert promotions.refresh_promotions(world.tenant, integration)["resent"] >= 1
    world.cycle()
    assert world.offers()[sku_id]["price"] == sku["price"] / 100
    tally = world.db.session.query(DriftTally).filter_by(path="promotion").one()
    assert tally.found >= 2


def test_a_store_wide_promotion_resends_every_offer_and_the_catalog_shows_it(world, client, owner):  # noqa: F811
    skus = listed(world)
    promote(world, name="Semana do Cliente", percent=10, begin=iso(utcnow() - timedelta(seconds=5)),
            end=iso(utcnow() + timedelta(days=2)))
    result = promotions.refresh_promotions(world.tenant, load_settings(world.tenant, "carrefour"))
    bound = world.db.session.query(SkuBinding).filter_by(connector_key="carrefour").count()
    assert result["resent"] == bound >= len(skus)
    login(client, owner.email)
    page = client.get("/t/loja-a/catalog/").get_data(as_text=True)
    assert "Semana do Cliente" in page and "toda a loja" in page and "termina" in page
    assert world.db.session.query(DriftTally).filter_by(path="promotion").one().found == bound


def test_a_brand_promotion_narrows_to_its_brand_and_the_brands_not_read_yet(world):  # noqa: F811
    listed(world)
    bindings = world.db.session.query(SkuBinding).filter_by(connector_key="carrefour").order_by(SkuBinding.id).all()
    bindings[0].brand, bindings[1].brand = "Acme", "Outra"
    for other in bindings[2:]:
        other.brand = "Outra"
    bindings[-1].brand = None  # not read yet: it may be Acme's
    world.db.session.commit()
    scope = promotions.scope_of({"brands": [{"id": "2001", "name": "ACME"}], "brandsAreInclusive": True})
    assert scope["all"] is False
    assert promotions.skus_in_scope(world.tenant, "carrefour", scope) == sorted([bindings[0].sku_id,
                                                                                 bindings[-1].sku_id])
    assert promotions.scope_of({"products": [{"id": "7"}]})["all"] is True  # cannot be narrowed to SKUs
    assert promotions.scope_of({"skus": [{"id": "1001"}], "skusAreInclusive": False})["all"] is True


def test_a_change_merged_into_an_earlier_notification_is_caught_by_the_read_again(world):  # noqa: F811
    skus = listed(world)
    sku_id, sku = next(iter(skus.items()))
    requests.post(world.vtex.config["URL"] + "/_admin/knobs", json={"notify_merge_seconds": 120}).raise_for_status()
    world.vtex_admin(sku["Id"], stock=40)
    world.wait_for_change(sku_id)
    world.cycle()
    assert world.offers()[sku_id]["quantity"] == 40
    world.vtex_admin(sku["Id"], stock=7)  # within two minutes: merged, no notification
    assert world.db.session.query(SkuChange).count() == 0
    integration = Integration(world.tenant, load_settings(world.tenant, "carrefour"))
    assert rereads.check(integration, [sku_id], "reread") == {"checked": 1, "found": 1}
    world.cycle()
    assert world.offers()[sku_id]["quantity"] == 7


def test_a_stale_read_after_a_notification_is_corrected_by_the_read_again(world):  # noqa: F811
    skus = listed(world)
    sku_id, sku = next(iter(skus.items()))
    requests.post(world.vtex.config["URL"] + "/_admin/knobs", json={"stale_seconds": 3600}).raise_for_status()
    world.vtex_admin(sku["Id"], price=sku["price"] + 500)
    world.wait_for_change(sku_id)
    world.cycle()
    assert world.offers()[sku_id]["price"] == sku["price"] / 100  # the cache answered the previous price
    stored = world.vtex.extensions["store"].get("sku", sku["Id"])
    stored["previous"]["until"] = 0  # the cache has caught up
    world.vtex.extensions["store"].put("sku", sku["Id"], stored)
    from saas.extensions import redis_connection
    pending = redis_connection().zrange(rereads._pending_key(world.tenant.id, "carrefour"), 0, -1)
    assert pending == [sku_id.encode()]  # the notification asked for reads again
    assert rereads.reread_notified(world.tenant.id, "carrefour") == {"checked": 1, "found": 1}
    assert redis_connection().zcard(rereads._pending_key(world.tenant.id, "carrefour")) == 1  # again in 30 s
    world.cycle()
    assert world.offers()[sku_id]["price"] == (sku["price"] + 500) / 100


def test_the_rolling_reread_verifies_a_slice_each_run_and_finds_what_no_notification_said(world, app):  # noqa: F811
    skus = listed(world)
    offered = world.db.session.query(SkuBinding).filter(SkuBinding.offer_state.in_(("live", "sent"))).count()
    lost = list(skus.values())[1]
    store = world.vtex.extensions["store"]
    changed = store.get("sku", lost["Id"])
    changed["stock"] = 3 if changed["stock"] != 3 else 4  # changed at VTEX, its notification lost
    store.put("sku", lost["Id"], changed)
    app.config.update(ROLLING_REREAD_INTERVAL=600, ROLLING_REREAD_PERIOD=1200)  # half the offers a run
    try:
        row = load_settings(world.tenant, "carrefour")
        first = rereads.rolling_reread(world.tenant, row)
        second = rereads.rolling_reread(world.tenant, row)
    finally:
        app.config.update(ROLLING_REREAD_INTERVAL=600, ROLLING_REREAD_PERIOD=21600)
    assert first["checked"] + second["checked"] == offered and first["checked"] == -(-offered // 2)
    assert first["found"] + second["found"] == 1
    world.cycle()
    assert world.offers()[str(lost["Id"])]["quantity"] == changed["stock"]
    tally = world.db.session.query(DriftTally).filter_by(path="rolling").one()
    assert (tally.checked, tally.found) == (offered, 1)


def test_nothing_is_sent_again_when_vtex_agrees(world):  # noqa: F811
    skus = listed(world)
    integration = Integration(world.tenant, load_settings(world.tenant, "carrefour"))
    assert rereads.check(integration, sorted(skus), "rolling") == {"checked": len(skus), "found": 0}
    assert world.db.session.query(SkuChange).count() == 0
    assert world.db.session.query(Promotion).count() == 0


def test_a_key_that_cannot_read_promotions_leaves_the_rereads_to_catch_prices(world):  # noqa: F811
    world.tenant.set_vtex_credentials(world.vtex.config["APP_KEY"], "a token without the promotions role")
    world.db.session.commit()
    result = promotions.refresh_promotions(world.tenant, load_settings(world.tenant, "carrefour"))
    assert "401" in result["error"] and world.db.session.query(Promotion).count() == 0
