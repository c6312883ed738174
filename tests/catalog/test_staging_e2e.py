"""A product file bigger than one run of the sync (an initial load): its VTEX contexts, prices and stock are read
one chunk a run, the run yields its worker and queues the next part behind what is queued, and a run sends one
product file of them all and their offers from the database alone. Against the simulators, on the real database
and Redis."""
import time
from datetime import timedelta

import pytest
import requests

from bench.harness import counting
from saas.catalog import changes as sku_changes
from saas.catalog.models import ImportBatch, SkuBinding, SkuChange, StagedProduct
from saas.catalog.staging import Staging
from saas.catalog.vtex_reads import VtexReader
from saas.extensions import redis_connection
from saas.jobs import schedule
from saas.jobs.queues import queue
from saas.timeutil import utcnow
from saas.vtex.client import VtexClient
from tests.catalog import test_sync_e2e
from tests.catalog.test_sync_e2e import sellable

world = test_sync_e2e.world  # the simulators' world of the sync tests, as a fixture here too
CHUNK = 25  # the simulator's 60 SKUs: three runs read ahead, the fourth sends


@pytest.fixture
def small_chunks(app):
    app.config["SYNC_STAGE_CHUNK"] = CHUNK
    yield
    app.config["SYNC_STAGE_CHUNK"] = 5000


def part_jobs():
    return [job for job in queue("sync").get_jobs() if job.id.startswith("sync-") and "-part-" in job.id]


def run_next_part():
    job = part_jobs()[0]
    queue("sync").remove(job)
    return schedule.run_periodic(*job.args)


def staged(world):
    return world.db.session.query(StagedProduct).filter_by(tenant_id=world.tenant.id).count()


def test_an_initial_load_is_read_a_chunk_a_run_and_goes_in_one_product_file(world, small_chunks):
    with counting(VtexClient, "sku_context") as reads, counting(VtexClient, "simulate") as simulations:
        first = world.sync()
        assert first["more"] and first["products"] == 0 and first["batches"] == []
        assert staged(world) == CHUNK and reads[0] == CHUNK and simulations[0] == 1
        assert world.db.session.query(SkuChange).count() == 60  # nothing consumed while the file is being read
        assert len(part_jobs()) == 1  # the next part, queued behind what is already queued

        second = world.sync()  # a tick's run between two parts: it does a part, and starts no second chain
        assert second["more"] and staged(world) == 2 * CHUNK and len(part_jobs()) == 1

        third = run_next_part()  # the last chunk is staged too
        assert third["more"] and third["batches"] == [] and staged(world) == 60
        staged_reads, staged_simulations = reads[0], simulations[0]

        last = run_next_part()
        assert not last["more"] and len(last["batches"]) == 2
        assert reads[0] == staged_reads == 60  # each context read once, and none by the run that sends
        assert simulations[0] == staged_simulations  # nor a price
    with_ean = [s for s in world.vtex.extensions["store"].all("sku") if s["AlternateIds"]["Ean"]]
    products = world.db.session.query(ImportBatch).filter_by(kind="product").all()
    assert len(products) == 1 and len(products[0].sku_ids) == len(with_ean) == 57
    assert staged(world) == 0 and world.db.session.query(SkuChange).count() == 0 and part_jobs() == []
    assert redis_connection().get(f"saas:next-part:sync:{world.tenant.id}:carrefour") is None
    world.reports()
    assert set(world.offers()) == {str(s["Id"]) for s in sellable(world)}


def test_a_worker_killed_halfway_through_a_chunk_keeps_the_parts_it_wrote(world, small_chunks, monkeypatch):
    monkeypatch.setattr(Staging, "PART", 10)
    simulate = VtexReader.prices_and_stock
    parts = []

    def killed_at_the_third_part(self, sku_ids):
        parts.append(sku_ids)
        if len(parts) == 3:
            raise SystemExit("the worker is killed")
        return simulate(self, sku_ids)

    monkeypatch.setattr(VtexReader, "prices_and_stock", killed_at_the_third_part)
    with counting(VtexClient, "sku_context") as reads:
        with pytest.raises(SystemExit):
            world.sync()
        world.db.session.rollback()
        assert staged(world) == 20  # the two parts written before the kill
        stopped_at = reads[0]
        time.sleep(0.3)
        assert reads[0] == stopped_at <= CHUNK  # the chunk's other reads died with the run
        monkeypatch.setattr(VtexReader, "prices_and_stock", simulate)
        while world.sync()["more"]:
            pass
    product = world.db.session.query(ImportBatch).filter_by(kind="product").one()
    assert len(product.sku_ids) == len(set(product.sku_ids)) == 57


def test_a_price_changed_after_it_was_staged_is_read_again(world, small_chunks):
    world.sync()
    staged_first = world.db.session.query(StagedProduct).filter(StagedProduct.price_cents > 0).first()
    sku, staged_price = staged_first.sku_id, staged_first.price_cents
    world.vtex_admin(sku, price=staged_price + 12345)
    for row in world.db.session.query(StagedProduct):  # staged a moment before the change below
        row.staged_at -= timedelta(seconds=5)
    world.db.session.commit()
    sku_changes.record(world.tenant.id, [sku_changes.Change(sku, price_modified=True)], connectors=["carrefour"])
    while world.sync()["more"]:
        pass
    world.reports()
    assert world.offers()[sku]["price"] == (staged_price + 12345) / 100


def test_a_product_that_went_while_offers_had_to_wait_does_not_go_again(world):
    world.db.session.add(ImportBatch(tenant_id=world.tenant.id, connector_key="carrefour", kind="offer",
                                     import_id="earlier", sku_ids=[], created_at=utcnow()))
    world.db.session.commit()  # an offer import a moment ago: the marketplace takes the next in a minute
    first = world.sync()
    assert first["products"] == 57 and first["offers"] == 0
    went = set(world.db.session.query(ImportBatch).filter_by(kind="product").one().sku_ids)
    waiting = {c.sku_id: c.catalog_modified for c in world.db.session.query(SkuChange)}
    assert len(waiting) == 60 and not any(waiting[sku] for sku in went)  # of those that went, only the offer waits
    world.db.session.query(ImportBatch).filter_by(import_id="earlier").update(
        {"created_at": utcnow() - timedelta(minutes=2)})
    world.db.session.commit()
    second = world.sync()
    assert second["products"] == 0 and second["offers"] == 57  # the 3 products refused wait for the next import
    assert world.db.session.query(ImportBatch).filter_by(kind="product").count() == 1
    assert world.db.session.query(SkuBinding).filter_by(product_state="sent").count() == 57


def test_a_sku_changed_after_its_context_was_staged_is_read_again(world, small_chunks):
    world.sync()
    first_staged = world.db.session.query(StagedProduct).order_by(StagedProduct.id).first()
    sku = first_staged.sku_id
    store = world.vtex.extensions["store"]
    context = store.get("sku", sku)
    context["NameComplete"] = "Nome corrigido na VTEX"
    store.put("sku", sku, context)
    for row in world.db.session.query(StagedProduct):  # staged a moment before the change below
        row.staged_at -= timedelta(seconds=5)
    world.db.session.commit()
    sku_changes.record(world.tenant.id, [sku_changes.Change.everything(sku)], connectors=["carrefour"])
    while world.sync()["more"]:
        pass
    world.reports()
    product = {p["sku"]: p for p in world.mirakl_state()["products"]}[sku]
    assert product["title"] == "Nome corrigido na VTEX"


def test_a_vtex_outage_while_reading_ahead_waits_for_the_next_cycle_rather_than_spinning(world, small_chunks):
    requests.post(world.vtex.config["URL"] + "/_admin/knobs", json={"error_rate": 1.0})
    result = world.sync()
    assert not result["more"] and staged(world) == 0 and part_jobs() == []
    assert world.db.session.query(SkuChange).count() == 60
    requests.post(world.vtex.config["URL"] + "/_admin/knobs", json={"error_rate": 0.0})
    assert world.sync()["more"]
