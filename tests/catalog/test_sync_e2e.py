"""End to end against the simulators, on the real database and Redis: VTEX notifies our live app, the sync sends
files to the Mirakl simulator, the report job reads its verdicts into the Bridge."""
import time
from datetime import timedelta

import pytest
import requests
from rq.registry import ScheduledJobRegistry

from saas.bridge.models import BridgeEntry
from saas.catalog import activation, reports, sync
from saas.catalog.models import ImportBatch, SkuBinding, SkuChange
from saas.jobs import schedule
from saas.jobs.queues import queue
from saas.tenants.settings import save_settings
from saas.timeutil import utcnow
from tests.conftest import login, public, wire_to_vtex
from tests.factories import CarrefourSettings

SETTINGS = CarrefourSettings(notification_email="ops@loja-a.example", min_stock=2, divergence=5.0)


class World:
    def __init__(self, app, db, tenant, vtex_sim, mirakl_sim):
        self.app, self.db, self.tenant, self.vtex, self.mirakl = app, db, tenant, vtex_sim, mirakl_sim

    def sync(self):
        return schedule.run_periodic("sync", self.tenant.id, "carrefour")

    def reports(self):
        """The report checks, once their delay has passed."""
        self.db.session.query(ImportBatch).filter(ImportBatch.status == "sent").update(
            {ImportBatch.next_check_at: utcnow()})
        self.db.session.commit()
        for batch_id, in self.db.session.query(ImportBatch.id).filter(ImportBatch.status == "sent").all():
            reports.check_import(batch_id)

    def cycle(self):
        """One sync and, once the marketplace has processed the files, their reports; then the clock moves past
        Mirakl's import frequency limits, as the 10-minute cycle would."""
        result = self.sync()
        self.reports()
        self.age_batches(minutes=16)
        return result

    def age_batches(self, minutes):
        for batch in self.db.session.query(ImportBatch).all():
            batch.created_at -= timedelta(minutes=minutes)
        self.db.session.commit()

    def mirakl_state(self):
        return requests.get(self.mirakl.config["URL"] + "/_admin/state").json()

    def offers(self):
        return {o["shop_sku"]: o for o in self.mirakl_state()["offers"]}

    def vtex_admin(self, sku, **changes):
        requests.post(f"{self.vtex.config['URL']}/_admin/skus/{sku}", json=changes).raise_for_status()

    def entries(self, **filters):
        return self.db.session.query(BridgeEntry).filter_by(**filters).order_by(BridgeEntry.id).all()

    def wait_for_change(self, sku):
        for _ in range(100):
            self.db.session.expire_all()
            if self.db.session.query(SkuChange).filter_by(sku_id=sku).count():
                return
            time.sleep(0.05)
        raise AssertionError(f"no notification for SKU {sku} arrived")


@pytest.fixture
def world(app, db, tenant, vtex_sim, mirakl_sim):
    with public(app):
        wire_to_vtex(tenant, vtex_sim)
        settings = {**SETTINGS, "api_url": mirakl_sim.config["URL"]}
        save_settings(tenant, "carrefour", active=True, settings=settings,
                      secrets={"shop_key": "sandbox-shop-key-demo"}, action="activate")
        activation.register_affiliate(tenant, "carrefour", settings)
        activation.initial_load(tenant.id, "carrefour")
        yield World(app, db, tenant, vtex_sim, mirakl_sim)


def sellable(world):
    """SKUs of the simulator's catalog that Carrefour can take: EAN, price, stock above the minimum."""
    skus = world.vtex.extensions["store"].all("sku")
    return [s for s in skus if s["AlternateIds"]["Ean"] and s["price"] > 0]


def test_initial_load_lists_the_catalog_and_a_price_change_reaches_carrefour(world):
    assert world.db.session.query(SkuChange).count() == 60
    result = world.sync()
    with_ean = [s for s in world.vtex.extensions["store"].all("sku") if s["AlternateIds"]["Ean"]]
    assert result["products"] == len(with_ean) == 57 and len(result["batches"]) == 2
    delayed = ScheduledJobRegistry(queue=queue("sync"))
    assert len(delayed.get_job_ids()) == 2  # the two report checks, REPORT_DELAY later
    world.reports()
    world.age_batches(minutes=16)
    offers = world.offers()
    good = sellable(world)
    assert set(offers) == {str(s["Id"]) for s in good}
    some = good[0]
    assert offers[str(some["Id"])]["price"] == some["price"] / 100
    assert offers[str(some["Id"])]["quantity"] == (some["stock"] if some["stock"] > 2 else 0)  # minimum stock 2
    assert world.db.session.query(SkuChange).count() == 0

    new_price = some["price"] + 12345
    world.vtex_admin(some["Id"], price=new_price)  # the merchant changes a price at VTEX
    world.wait_for_change(str(some["Id"]))
    result = world.cycle()
    assert result["products"] == 0  # listed: only the offer goes
    last_offer_batch = world.db.session.query(ImportBatch).filter_by(kind="offer").order_by(ImportBatch.id.desc())
    assert last_offer_batch.first().sku_ids == [str(some["Id"])]
    assert world.offers()[str(some["Id"])]["price"] == new_price / 100
    price_entries = world.entries(entity="price", entity_id=str(some["Id"]), status="success")
    assert price_entries[-1].details["price"] == new_price / 100


def test_a_new_product_goes_pending_then_approved_then_its_offer_is_live(world):
    world.mirakl.config["APPROVAL_SECONDS"] = 3600
    world.cycle()
    sku = str(sellable(world)[0]["Id"])
    binding = world.db.session.query(SkuBinding).filter_by(sku_id=sku).one()
    assert binding.product_state == "pending" and binding.offer_state == "pending"
    assert world.entries(entity="product", entity_id=sku)[-1].status == "pending"
    assert world.entries(entity="price", entity_id=sku)[-1].text.startswith(
        "Aguardando a aprovação do produto pelo Carrefour")
    assert world.offers() == {}

    requests.post(world.mirakl.config["URL"] + "/_admin/products/approve", json={})  # Carrefour approves by hand
    result = world.cycle()  # nobody touched price or stock at VTEX
    assert result["offers"] >= 1
    assert sku in world.offers()
    statuses = [e.status for e in world.entries(entity="product", entity_id=sku)]
    assert statuses == ["pending", "success"]
    world.db.session.expire_all()
    assert world.db.session.query(SkuBinding).filter_by(sku_id=sku).one().offer_state == "live"


def test_every_product_approved_since_the_last_run_is_listed_in_one_run_however_many(world):
    from saas.catalog.changes import pending
    from saas.sandbox.catalog import ean13
    from saas.tenants.settings import build_connector
    world.mirakl.config["APPROVAL_SECONDS"] = 3600
    skus = [str(50_001 + n) for n in range(2_500)]  # more than a run used to look at (1,000)
    world.db.session.execute(SkuBinding.__table__.insert(), [
        {"tenant_id": world.tenant.id, "connector_key": "carrefour", "sku_id": s, "ean": ean13(int(s)),
         "product_state": "pending", "offer_state": "pending", "updated_at": utcnow()} for s in skus])
    world.db.session.commit()
    connector = build_connector(world.tenant, "carrefour")
    rows = "\n".join(f"{s};{ean13(int(s))};Produto {s}" for s in skus)
    import_id = connector.client.import_products(f"sku;ean;title\n{rows}\n".encode())
    while connector.client.product_import(import_id)["import_status"] != "COMPLETE":
        time.sleep(0.1)
    sync._promote_approved(world.tenant, connector)  # nothing approved yet
    world.db.session.expire_all()
    assert world.db.session.query(SkuBinding).filter(SkuBinding.sku_id.in_(skus),
                                                     SkuBinding.product_state == "listed").count() == 0
    requests.post(world.mirakl.config["URL"] + "/_admin/products/approve", json={})  # all at once
    sync._promote_approved(world.tenant, connector)
    world.db.session.expire_all()
    assert world.db.session.query(SkuBinding).filter(SkuBinding.sku_id.in_(skus),
                                                     SkuBinding.product_state == "listed").count() == len(skus)
    waiting = {c.sku_id for c in pending(world.tenant.id, "carrefour", 100_000)}
    assert set(skus) <= waiting  # every offer goes in the next offer file


def test_bad_lines_get_their_error_entries_and_the_good_lines_go_through(world):
    store = world.vtex.extensions["store"]
    odd = store.get("sku", 1001)
    odd["AlternateIds"]["Ean"] = "789000001001"  # 12 digits: ours sends it, Carrefour's import refuses it
    store.put("sku", 1001, odd)
    world.cycle()
    carrefour_error = world.entries(entity="product", entity_id="1001")[-1]
    assert carrefour_error.status == "error" and "not a valid EAN-13" in carrefour_error.message
    no_ean = [str(s["Id"]) for s in store.all("sku") if not s["AlternateIds"]["Ean"]]
    for sku in no_ean:
        assert "no valid EAN" in world.entries(entity="product", entity_id=sku)[-1].message
    no_price = [str(s["Id"]) for s in store.all("sku") if s["price"] <= 0 and s["AlternateIds"]["Ean"]]
    assert no_price and all(world.entries(entity="price", entity_id=s)[-1].status == "error" for s in no_price)
    assert len(world.offers()) == len(sellable(world)) - 1


def test_a_worker_killed_mid_cycle_loses_nothing(world, monkeypatch):
    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(sync, "_record", killed)  # after Mirakl took the files, before anything was recorded
    with pytest.raises(SystemExit):
        world.sync()
    assert world.db.session.query(SkuChange).count() == 60  # every change is still pending
    monkeypatch.undo()
    world.age_batches(minutes=16)
    world.cycle()
    assert world.db.session.query(SkuChange).count() == 0
    assert set(world.offers()) == {str(s["Id"]) for s in sellable(world)}
    offers_in_mirakl = world.mirakl_state()["offers"]
    assert len(offers_in_mirakl) == len({o["shop_sku"] for o in offers_in_mirakl})  # sent twice, held once


def test_a_vtex_outage_leaves_the_changes_pending_for_the_next_cycle(world):
    requests.post(world.vtex.config["URL"] + "/_admin/knobs", json={"error_rate": 1.0})
    result = world.sync()
    assert result["sent"] == 0 if "sent" in result else not result["batches"]
    assert world.db.session.query(SkuChange).count() == 60
    assert world.db.session.query(ImportBatch).count() == 0
    assert "SKUs VTEX could not read" in world.entries(entity="integration", status="warning")[-1].message
    requests.post(world.vtex.config["URL"] + "/_admin/knobs", json={"error_rate": 0.0})
    world.cycle()
    assert world.db.session.query(SkuChange).count() == 0 and world.offers()


def test_a_mirakl_outage_leaves_the_changes_pending(world):
    requests.post(world.mirakl.config["URL"] + "/_admin/knobs", json={"throttle_rate": 1.0})
    world.sync()
    assert world.db.session.query(SkuChange).count() == 60
    assert "could not take the files" in world.entries(entity="integration", status="warning")[-1].message


def test_mirakls_import_frequencies_are_respected_and_nothing_is_dropped(world):
    world.sync()
    world.reports()
    world.vtex_admin(1001, price=5000)
    world.wait_for_change("1001")
    assert world.sync()["batches"] == []  # within a minute of the last offer import: wait
    assert "1001" in {c.sku_id for c in world.db.session.query(SkuChange).all()}
    world.age_batches(minutes=2)  # offers may go again, products not yet (15 minutes)
    world.db.session.query(SkuBinding).filter_by(sku_id="1002").update({SkuBinding.product_state: "error"})
    world.db.session.commit()
    from saas.catalog.changes import Change, record
    record(world.tenant.id, [Change.everything("1002")])
    result = world.sync()
    assert result["products"] == 0 and result["deferred"] == 1
    assert "1001" in world.db.session.query(ImportBatch).filter_by(kind="offer").order_by(
        ImportBatch.id.desc()).first().sku_ids
    assert [c.sku_id for c in world.db.session.query(SkuChange).all()] == ["1002"]


def test_an_inactive_sku_is_withdrawn_from_carrefour(world):
    world.cycle()
    sku = sellable(world)[0]["Id"]
    world.vtex_admin(sku, active=False)
    world.wait_for_change(str(sku))
    world.cycle()
    assert str(sku) not in world.offers()
    world.db.session.expire_all()
    assert world.db.session.query(SkuBinding).filter_by(sku_id=str(sku)).one().offer_state == "withdrawn"
    assert world.entries(entity="inventory", entity_id=str(sku))[-1].text == "Oferta retirada do Carrefour."


def test_the_merchant_resends_skus_from_the_bridge(world, client, owner):
    world.cycle()
    login(client, owner.email)
    response = client.post("/t/loja-a/bridge/resend", data={"sku": ["1001", "1002"]})
    assert response.status_code == 302
    changes = world.db.session.query(SkuChange).all()
    assert sorted(c.sku_id for c in changes) == ["1001", "1002"] and all(c.catalog_modified for c in changes)
    assert schedule.tick("sync")  # due at once
    page = client.get("/t/loja-a/").get_data(as_text=True)
    assert "Último lote aceito pelo marketplace" in page and "nenhum ainda" not in page


def test_with_sync_on_notification_off_a_change_waits_for_the_cycle(world, monkeypatch):
    from saas.jobs.models import JobSchedule
    world.sync()
    cycle = utcnow() + timedelta(minutes=10)
    world.db.session.query(JobSchedule).update({JobSchedule.next_run_at: cycle})
    world.db.session.commit()
    monkeypatch.setitem(world.app.config, "SYNC_ON_NOTIFICATION", False)
    sku = sellable(world)[0]
    world.vtex_admin(sku["Id"], price=sku["price"] + 100)
    world.wait_for_change(str(sku["Id"]))  # stored all the same
    world.db.session.expire_all()
    assert world.db.session.query(JobSchedule).filter_by(kind="sync").one().next_run_at == cycle


def test_a_change_goes_as_soon_as_the_marketplace_allows_not_a_cycle_later(world):
    from saas.jobs.models import JobSchedule
    world.sync()
    world.reports()
    last = world.db.session.query(ImportBatch).filter_by(kind="offer").one()
    sku = sellable(world)[0]
    world.db.session.query(JobSchedule).update({JobSchedule.next_run_at: utcnow() + timedelta(minutes=10)})
    world.db.session.commit()

    # A notification makes the sync due now, however far its next cycle was; a burst of them writes once.
    world.vtex_admin(sku["Id"], price=sku["price"] + 100)
    world.wait_for_change(str(sku["Id"]))
    row = world.db.session.query(JobSchedule).filter_by(kind="sync").one()
    assert row.next_run_at <= utcnow()

    # Within Mirakl's minute since the last offer import began, the offer waits, and the sync is due the moment
    # that minute ends, measured from the import's own start.
    assert schedule.tick("sync")  # the tick claims the store (its next cycle moves on), its job runs
    result = world.sync()
    assert result["deferred"] >= 1 and result["batches"] == []
    assert world.db.session.query(SkuChange).filter_by(sku_id=str(sku["Id"])).count() == 1
    world.db.session.expire_all()
    row = world.db.session.query(JobSchedule).filter_by(kind="sync").one()
    assert row.next_run_at == last.created_at + timedelta(seconds=60)
    at = last.created_at + timedelta(seconds=60)  # and a delayed job runs it then, not at the tick after
    delayed = ScheduledJobRegistry(queue=queue("sync"))
    job_id = f"sync-{world.tenant.id}-carrefour-at-{int(at.timestamp())}"
    assert job_id in delayed.get_job_ids()
    assert abs(delayed.get_scheduled_time(job_id).replace(tzinfo=None) - at) < timedelta(seconds=1)
    world.age_batches(minutes=1)
    assert world.sync()["offers"] >= 1
    assert world.db.session.query(SkuChange).filter_by(sku_id=str(sku["Id"])).count() == 0


def test_a_sku_not_ready_is_not_sent_shows_why_and_goes_by_itself_once_fixed_at_vtex(world, client, owner):
    store = world.vtex.extensions["store"]
    sku = store.get("sku", 1002)
    good_ean, good_images, good_image = sku["AlternateIds"]["Ean"], sku["Images"], sku.get("ImageUrl")
    sku["AlternateIds"]["Ean"] = good_ean[:-1] + str((int(good_ean[-1]) + 1) % 10)  # a wrong check digit
    sku["Images"], sku["ImageUrl"] = [], ""
    store.put("sku", 1002, sku)
    result = world.cycle()
    assert result["not_ready"] == 1 + 3  # and the simulator's three SKUs without an EAN
    binding = world.db.session.query(SkuBinding).filter_by(sku_id="1002").one()
    assert binding.product_state == "not_ready" and binding.offer_state == "none"
    assert [r["code"] for r in binding.readiness] == ["ean_invalid", "images_missing"]
    assert "1002" not in world.offers()
    assert "1002" not in {product["sku"] for product in world.mirakl_state()["products"]}
    assert [e.status for e in world.entries(entity="product", entity_id="1002")] == ["error", "error"]

    login(client, owner.email)
    page = client.get("/t/loja-a/catalog/").get_data(as_text=True)
    assert "Diagnóstico do catálogo" in page and "não pronto" in page
    assert "O EAN … não é um GTIN válido" in page  # the reason, with how many SKUs it holds back
    # Price and stock are the offer's: a SKU without a price and the SKUs at or below the minimum stock are counted.
    no_price = [s for s in store.all("sku") if s["price"] <= 0 and s["AlternateIds"]["Ean"]]
    at_minimum = [s for s in sellable(world) if s["stock"] <= SETTINGS["min_stock"] and s["Id"] != 1002]
    assert no_price and at_minimum
    assert (f"sem preço na política comercial: a oferta não é enviada</a>: {len(no_price)} SKU") in page
    assert f"estoque no mínimo ou abaixo: a oferta vai com quantidade 0: {len(at_minimum)} SKU" in page
    listed = client.get("/t/loja-a/catalog/?reason=images_missing").get_data(as_text=True)
    assert ">1002<" in listed and ">1003<" not in listed and "1 SKU<" in listed
    assert f"O EAN {sku['AlternateIds']['Ean']} não é um GTIN válido" in listed  # each of the SKU's reasons
    assert "O SKU não tem imagem na VTEX" in listed

    sku["AlternateIds"]["Ean"], sku["Images"], sku["ImageUrl"] = good_ean, good_images, good_image  # fixed at VTEX
    store.put("sku", 1002, sku)
    world.vtex_admin(1002, stock=sku["stock"] + 1)
    world.wait_for_change("1002")
    result = world.cycle()
    world.db.session.expire_all()
    binding = world.db.session.query(SkuBinding).filter_by(sku_id="1002").one()
    assert binding.product_state in ("pending", "listed") and binding.readiness is None
    assert "1002" in world.offers()


def test_the_delivery_paths_show_each_shipping_type_by_region_before_any_order_fails(world, client, owner):
    world.cycle()
    login(client, owner.email)
    page = client.get("/t/loja-a/catalog/paths").get_data(as_text=True)
    assert "Tipo de entrega × região" in page and "Sudeste" in page and "01310-100" in page
    normal = page.split("<th scope=\"row\">Normal</th>")[1].split("</tr>")[0]
    assert normal.count("badge success") == 5 and "R$" in normal  # Normal is mapped: served everywhere, priced
    agendada = page.split("<th scope=\"row\">Agendada</th>")[1].split("</tr>")[0]
    assert agendada.count("Nenhuma transportadora da VTEX está mapeada para este tipo.") == 5

    ceps = {"Norte": "99999-999", "Nordeste": "50030230", "Centro-Oeste": "70040010", "Sudeste": "01310100",
            "Sul": "90010150"}
    assert "Um CEP tem 8 dígitos" in client.post("/t/loja-a/catalog/paths", data={**ceps, "Sul": "123"},
                                                   follow_redirects=True).get_data(as_text=True)
    client.post("/t/loja-a/catalog/paths", data=ceps)
    page = client.get("/t/loja-a/catalog/paths").get_data(as_text=True)
    normal = page.split("<th scope=\"row\">Normal</th>")[1].split("</tr>")[0]
    assert normal.count("badge success") == 4 and "A transportadora “Normal” não entrega aqui." in normal
