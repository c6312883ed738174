"""A product file bigger than one run of the sync (an initial load): its VTEX contexts are read one chunk a run, the
run yields its worker and queues the next part behind what is queued, a run sends one file of them all from the
database alone, and the run after it their offers. Against the simulators, on the real database and Redis."""
from datetime import timedelta

import pytest
import requests

from bench.harness import counting
from saas.catalog import changes as sku_changes
from saas.catalog.models import ImportBatch, SkuBinding, SkuChange, StagedProduct
from saas.jobs import schedule
from saas.jobs.queues import queue, redis_connection
from saas.vtex.client import VtexClient
from tests.catalog import test_sync_e2e
from tests.catalog.test_sync_e2e import sellable

world = test_sync_e2e.world  # the simulators' world of the sync tests, as a fixture here too
CHUNK = 25  # the simulator's 60 SKUs: three runs read ahead, the fourth sends the products, the fifth their offers


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
        assert staged(world) == CHUNK and reads[0] == CHUNK
        assert world.db.session.query(SkuChange).count() == 60  # nothing consumed while the file is being read
        assert len(part_jobs()) == 1  # the next part, queued behind what is already queued

        second = world.sync()  # a tick's run between two parts: it does a part, and starts no second chain
        assert second["more"] and staged(world) == 2 * CHUNK and len(part_jobs()) == 1

        third = run_next_part()  # the last chunk is staged too: the run that sends reads nothing from VTEX
        assert third["more"] and third["batches"] == [] and staged(world) == 60 and reads[0] == 60

        products = run_next_part()
        assert products["more"] and len(products["batches"]) == 1
        assert reads[0] == 60 and simulations[0] == 0  # each context read once; no price yet
    with_ean = [s for s in world.vtex.extensions["store"].all("sku") if s["AlternateIds"]["Ean"]]
    batches = world.db.session.query(ImportBatch).all()
    assert [b.kind for b in batches] == ["product"] and len(batches[0].sku_ids) == len(with_ean) == 57
    assert staged(world) == 0
    left = world.db.session.query(SkuChange).all()  # the offers of the products that went, and nothing else
    assert {c.sku_id for c in left} == set(batches[0].sku_ids) and not any(c.catalog_modified for c in left)

    offers = run_next_part()
    assert not offers["more"] and len(offers["batches"]) == 1 and offers["products"] == 0
    assert world.db.session.query(ImportBatch).filter_by(kind="product").count() == 1  # no product sent twice
    assert world.db.session.query(SkuChange).count() == 0 and part_jobs() == []
    assert redis_connection().get(f"saas:next-part:sync:{world.tenant.id}:carrefour") is None
    world.reports()
    assert set(world.offers()) == {str(s["Id"]) for s in sellable(world)}


def test_a_change_between_the_product_file_and_its_offers_keeps_its_catalog_flag(world, small_chunks):
    while not world.db.session.query(ImportBatch).count():
        world.sync()
    sku = world.db.session.query(ImportBatch).one().sku_ids[0]
    sku_changes.record(world.tenant.id, [sku_changes.Change.everything(sku)], connectors=["carrefour"])
    offers = run_next_part()
    change = world.db.session.query(SkuChange).one()  # its product waits for the marketplace's next product import
    assert change.sku_id == sku and change.catalog_modified
    assert world.db.session.query(SkuBinding).filter_by(sku_id=sku).one().product_state == "sent"
    assert offers["deferred"] == 1 and not offers["more"]


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
