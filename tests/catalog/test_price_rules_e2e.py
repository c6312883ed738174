"""Price and stock rules and the price-drop guard end to end, against the simulators and through the portal: a rule
reaches Carrefour's offers for the SKUs it targets and no others, and a 90 % price drop at VTEX is held, approved,
then sent."""
from decimal import ROUND_HALF_UP, Decimal

from saas.catalog.models import ImportBatch, SkuBinding, SkuChange
from saas.mail import OutboxMessage
from saas.tenants.models import SettingsAudit
from tests.catalog import test_sync_e2e
from tests.catalog.test_sync_e2e import sellable
from tests.conftest import login

world = test_sync_e2e.world  # the simulators' world of the sync tests, as a fixture here too


def made(cents, pct, ending):
    value = int((Decimal(cents) * (1 + Decimal(pct) / 100)).quantize(Decimal(1), ROUND_HALF_UP))
    rounded = value // 100 * 100 + ending
    return rounded if rounded >= value else rounded + 100


def terms(offers):
    return {sku: (offer["price"], offer["quantity"]) for sku, offer in offers.items()}


def test_a_rule_reaches_the_offers_of_the_skus_it_targets_and_no_others(world, client, owner):
    world.cycle()
    before = world.offers()
    good = sellable(world)
    brand = good[0]["BrandName"]
    targeted = {str(s["Id"]) for s in good if s["BrandName"] == brand}
    assert 0 < len(targeted) < len(good)
    de_por = next(s for s in good if str(s["Id"]) in targeted)
    world.vtex_admin(de_por["Id"], list_price=de_por["price"] + 5000)  # a "de" price above the price
    world.wait_for_change(str(de_por["Id"]))
    world.cycle()
    assert world.offers()[str(de_por["Id"])]["origin_price"] == (de_por["price"] + 5000) / 100
    before = world.offers()

    login(client, owner.email)
    page = client.post("/t/loja-a/pricing/carrefour", data={
        "action": "add", "rule-target": "brand", "rule-value": brand.upper(), "rule-markup_pct": "16",
        "rule-ending": "90", "rule-stock_share_pct": "50"})
    assert page.status_code == 302
    assert {c.sku_id for c in world.db.session.query(SkuChange)} == targeted  # only they go again
    audit = world.db.session.query(SettingsAudit).order_by(SettingsAudit.id.desc()).first()
    assert audit.changes["price_rules"]["to"][0]["target"] == "brand"

    world.cycle()
    sent = world.db.session.query(ImportBatch).filter_by(kind="offer").order_by(ImportBatch.id.desc()).first()
    assert set(sent.sku_ids) == targeted
    after = world.offers()
    for sku in good:
        sku_id = str(sku["Id"])
        if sku_id in targeted:
            assert after[sku_id]["price"] == made(sku["price"], 16, 90) / 100
            assert after[sku_id]["quantity"] == (sku["stock"] // 2 if sku["stock"] // 2 > 2 else 0)
            if sku is de_por:  # the list price follows the same rule
                assert after[sku_id]["origin_price"] == made(sku["price"] + 5000, 16, 90) / 100
        else:
            assert after[sku_id] == before[sku_id]
    one = sorted(targeted)[0]
    catalog = client.get(f"/t/loja-a/catalog/?q={one}").get_data(as_text=True)
    assert "VTEX: R$" in catalog and "regra: +16 % no preço · arredondado para cima até ,90" in catalog

    # Removing the rule sends the same SKUs back to VTEX's own price.
    assert client.post("/t/loja-a/pricing/carrefour/remove/0").status_code == 302
    assert {c.sku_id for c in world.db.session.query(SkuChange)} == targeted
    world.cycle()
    assert terms(world.offers()) == terms(before)


def test_a_ninety_percent_drop_is_held_then_approved_then_sent(world, client, owner):
    world.cycle()
    sku = sellable(world)[0]
    sku_id, old = str(sku["Id"]), sku["price"]
    world.vtex_admin(sku["Id"], price=old // 10)  # a typo at VTEX: a tenth of the price
    world.wait_for_change(sku_id)
    result = world.cycle()
    assert result["held"] == 1
    assert world.offers()[sku_id]["price"] == old / 100  # Carrefour keeps the old price
    binding = world.db.session.query(SkuBinding).filter_by(sku_id=sku_id).one()
    assert (binding.held_price_cents, binding.held_reason, binding.price_cents) == (old // 10, "drop", old)
    warning = world.entries(entity="price", entity_id=sku_id, status="warning")[-1]
    assert warning.text.startswith("Preço retido:") and "Aprove-o no Catálogo" in warning.text
    mail = world.db.session.query(OutboxMessage).filter(OutboxMessage.subject.contains("retido")).one()
    assert mail.to == "ops@loja-a.example" and sku_id in mail.body

    login(client, owner.email)
    catalog = client.get("/t/loja-a/catalog/?held=1").get_data(as_text=True)
    assert sku_id in catalog and "preço retido:" in catalog
    world.cycle()  # nothing changed: still held, nothing sent
    assert world.offers()[sku_id]["price"] == old / 100
    assert client.post("/t/loja-a/pricing/carrefour/approve", data={"sku": [sku_id]}).status_code == 302
    world.cycle()
    assert world.offers()[sku_id]["price"] == (old // 10) / 100
    world.db.session.expire_all()
    binding = world.db.session.query(SkuBinding).filter_by(sku_id=sku_id).one()
    assert binding.held_price_cents is None and binding.approved_price_cents is None


def test_a_price_below_the_cost_a_vtex_specification_carries_is_held(world, client, owner):
    world.cycle()
    sku = sellable(world)[0]
    store = world.vtex.extensions["store"]
    stored = store.get("sku", sku["Id"])
    cost = sku["price"] + 1000
    stored["SkuSpecifications"] = [*stored["SkuSpecifications"],
                                   {"FieldName": "Custo", "FieldValues": [f"{cost / 100:.2f}".replace(".", ",")]}]
    store.put("sku", sku["Id"], stored)
    login(client, owner.email)
    assert client.post("/t/loja-a/pricing/carrefour", data={
        "action": "guard", "guard-price_drop_guard": "30", "guard-cost_spec": "Custo"}).status_code == 302
    world.vtex_admin(sku["Id"], price=sku["price"] + 100)  # a price rise, still below the cost
    world.wait_for_change(str(sku["Id"]))
    assert world.cycle()["held"] == 1
    binding = world.db.session.query(SkuBinding).filter_by(sku_id=str(sku["Id"])).one()
    assert (binding.held_reason, binding.held_price_cents) == ("below_cost", sku["price"] + 100)
    warning = world.entries(entity="price", entity_id=str(sku["Id"]), status="warning")[-1]
    assert "abaixo do custo do SKU" in warning.text
