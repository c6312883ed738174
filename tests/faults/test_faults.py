"""The product heals itself: real processes killed with ``kill -9``, Redis stopped, the database cut, the simulators
failing, and each time the work gets done within its deadline, once."""
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from bench import harness
from saas.catalog import changes
from saas.catalog.models import SkuBinding, SkuChange
from saas.extensions import db, redis_connection
from saas.jobs.models import JobSchedule
from saas.orders.models import MarketplaceOrder, OrderAttempt
from saas.sandbox.catalog import ean13, generate
from saas.timeutil import utcnow
from tests.faults.conftest import CYCLES, SERVER_URL, wait_for

pytestmark = pytest.mark.skipif(not SERVER_URL.startswith("postgresql"),
                                reason="the fault suite runs on PostgreSQL (DATABASE_URL), once in CI")

SYNC_INTERVAL = int(CYCLES["SYNC_INTERVAL"])
OUTAGE_SECONDS = 30
TICK = int(CYCLES["TICK_INTERVAL"])
# The sandbox's catalog has a few SKUs broken on purpose (no EAN, no price): only the sellable ones are used.
CATALOG = 150
SKUS = [str(s["Id"]) for s in generate(CATALOG) if s["AlternateIds"]["Ean"] and s["price"] > 0]


def listed_at_carrefour(stack, skus):
    """These SKUs' products are listed at Carrefour, and the store knows it."""
    db.session.execute(SkuBinding.__table__.insert(), [
        {"tenant_id": stack.tenant.id, "connector_key": "carrefour", "sku_id": s, "ean": ean13(int(s)),
         "product_state": "listed", "offer_state": "live", "updated_at": utcnow()} for s in skus])
    db.session.commit()
    harness.list_catalog_at_mirakl(stack.tenant, CATALOG)


def pending_price_changes(stack, skus=SKUS):
    """Every SKU listed at Carrefour, with a price change waiting for the next sync (as VTEX's notifications leave)."""
    listed_at_carrefour(stack, skus)
    changes.record(stack.tenant.id, [changes.Change(s, price_modified=True) for s in skus])


def outage_ends(stack, end, elapsed: float):
    """The rest of a 30-second outage, then ``end()``: every process alive throughout, ticks back within 60 s."""
    time.sleep(OUTAGE_SECONDS - elapsed)
    assert stack.all_alive(), stack.logs()
    end()
    wait_for(ticks_after(now_utc()), 60, 1, "ticks resumed within 60 s")
    assert stack.all_alive()


def offers_at_mirakl(stack) -> dict:
    state = requests.get(stack.mirakl_url + "/_admin/state", timeout=10).json()
    return {o["shop_sku"]: o for o in state["offers"]}


def all_offers_arrived(stack, skus=SKUS):
    offers = offers_at_mirakl(stack)
    return all(s in offers for s in skus) and offers


def paid_orders(stack, count: int) -> list[str]:
    """``count`` paid Carrefour orders (SHIPPING) of in-stock SKUs at their VTEX price."""
    skus = ["1001", "1002", "1003", "1005"]
    for sku in skus:
        requests.post(f"{stack.vtex_url}/_admin/skus/{sku}", json={"stock": 100_000}).raise_for_status()
    ids = []
    for n in range(count):
        sku = skus[n % len(skus)]
        price = requests.post(f"{stack.vtex_url}/api/checkout/pub/orderForms/simulation?sc=1",
                              json={"items": [{"id": sku, "quantity": 1, "seller": "1"}]}).json()["items"][0]["price"]
        created = requests.post(f"{stack.mirakl_url}/_admin/orders", json={
            "lines": [{"sku": sku, "quantity": 1, "price": price / 100}], "state": "SHIPPING",
            "zip_code": "01310100", "shipping_price": 0})
        created.raise_for_status()
        ids.append(created.json()["order_id"])
    return ids


def imported_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(MarketplaceOrder)
                             .where(MarketplaceOrder.status == "imported"))


def assert_each_placed_once(stack, order_ids):
    placed = Counter(o["marketplaceOrderId"] for o in requests.get(stack.vtex_url + "/_admin/orders").json())
    assert set(placed) == set(order_ids) and set(placed.values()) == {1}, placed
    db.session.expire_all()
    successes = Counter(db.session.scalars(select(OrderAttempt.order_id).where(OrderAttempt.outcome == "imported")))
    assert len(successes) == len(order_ids) and set(successes.values()) == {1}, successes


def last_tick() -> float:
    db.session.expire_all()
    latest = db.session.scalar(select(func.max(JobSchedule.last_enqueued_at)))
    return latest.timestamp() if latest else 0.0


def ticks_after(moment_utc):
    return lambda: last_tick() > moment_utc


def now_utc() -> float:
    return utcnow().timestamp()


def test_a_worker_killed_in_the_middle_of_a_sync_leaves_nothing_behind(stack):
    pending_price_changes(stack)
    harness.knobs(stack.vtex_url, latency_ms=600)  # three simulations of 50 SKUs, one at a time: ~2 s of reads
    stack.start()
    wait_for(lambda: redis_connection().exists(f"saas:lock:sync:{stack.tenant.id}:carrefour"), 60, 0.05,
             "the sync started")
    time.sleep(0.5)
    stack["worker"].kill9()
    assert not offers_at_mirakl(stack), "the sync finished before it was killed: nothing was tested"
    harness.knobs(stack.vtex_url, latency_ms=0)
    stack["worker"].start()
    restarted = time.monotonic()
    wait_for(lambda: all_offers_arrived(stack), SYNC_INTERVAL + 60, 1, "every change reached Carrefour")
    print(f"changes at Carrefour {time.monotonic() - restarted:.0f} s after the worker's restart")
    db.session.expire_all()
    assert db.session.query(SkuChange).count() == 0


def test_a_worker_killed_in_the_middle_of_an_order_import_imports_each_order_once(stack):
    order_ids = paid_orders(stack, 32)
    harness.knobs(stack.vtex_url, latency_ms=250)
    stack.start()
    wait_for(lambda: imported_count() >= 3, 90, 0.1, "the import started")
    stack["worker"].kill9()
    left = len(order_ids) - imported_count()
    assert left > 0, "the import finished before it was killed: nothing was tested"
    stack["worker"].start()
    restarted = time.monotonic()
    wait_for(lambda: imported_count() == len(order_ids), 180, 1, "every order imported")
    print(f"{left} orders left by the killed worker, all imported {time.monotonic() - restarted:.0f} s after restart")
    assert_each_placed_once(stack, order_ids)


def test_a_worker_killed_in_the_middle_of_an_order_poll_strands_no_paid_order(stack):
    """The poll reads a page, stores it, then acts on each order; killed between the two, the next poll acts."""
    waiting = [requests.post(f"{stack.mirakl_url}/_admin/orders", json={
        "lines": [{"sku": "1001", "quantity": 1}], "state": "WAITING_ACCEPTANCE", "zip_code": "01310100"}
    ).json()["order_id"] for _ in range(12)]
    paid = paid_orders(stack, 8)  # after the waiting ones in the page: stored, not yet acted on, at the kill
    harness.knobs(stack.vtex_url, latency_ms=500)  # each acceptance checks VTEX first: the poll takes seconds
    stack.start()
    wait_for(lambda: acted_on_count() >= 2, 90, 0.05, "the poll started accepting")
    stack["worker"].kill9()
    assert acted_on_count() < len(waiting), "the poll finished before it was killed: nothing was tested"
    harness.knobs(stack.vtex_url, latency_ms=0)
    stack["worker"].start()
    wait_for(lambda: count_in(paid, "imported") == len(paid), 120, 1, "every paid order imported")
    placed = Counter(o["marketplaceOrderId"] for o in requests.get(stack.vtex_url + "/_admin/orders").json())
    assert all(placed[order_id] == 1 for order_id in paid), placed
    wait_for(lambda: count_in(waiting, "accepted", "waiting_payment", "importing", "imported") == len(waiting), 60,
             1, "every waiting order accepted")


def acted_on_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(MarketplaceOrder)
                             .where(MarketplaceOrder.status != "new"))


def count_in(order_ids, *statuses) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(MarketplaceOrder).where(
        MarketplaceOrder.marketplace_order_id.in_(order_ids), MarketplaceOrder.status.in_(statuses)))


def test_a_killed_scheduler_turns_the_health_check_red_and_ticks_resume_after_its_restart(stack):
    stack.start()
    wait_for(lambda: stack.health()[0] == 200, 30, 0.5, "healthy at first")
    stack["scheduler"].kill9()
    killed = time.monotonic()
    wait_for(lambda: stack.health()[0] == 503, 3 * TICK + 10, 0.5, "/healthz 503 after the scheduler died")
    status, body = stack.health()
    assert body["scheduler"]["status"] == "stale" and time.monotonic() - killed <= 3 * TICK + 10
    stack["scheduler"].start()
    restarted = now_utc()
    wait_for(lambda: stack.health()[0] == 200, 30, 0.5, "healthy again")
    wait_for(ticks_after(restarted), 30, 0.5, "ticks resumed")


def test_a_redis_outage_refuses_nothing_it_cannot_keep_and_everything_resumes(stack):
    pending_price_changes(stack, SKUS[:20])
    stack.start()
    wait_for(lambda: all_offers_arrived(stack, SKUS[:20]), SYNC_INTERVAL + 30, 1, "the first sync")
    secret = stack.tenant.webhook_secret
    base = f"{stack.web_url}/api/vtex/loja-faults/{secret}"
    stack.redis.stop()
    time.sleep(3)
    hook = requests.post(base + "/hook", json={"OrderId": "CRF-1", "State": "invoiced"}, timeout=10)
    assert hook.status_code == 503 and hook.headers["Content-Type"] == "application/json"
    assert int(hook.headers["Retry-After"]) > 0 and "error" in hook.json()
    for sku in SKUS[20:40]:  # notifications need only the database: stored, not refused
        requests.post(f"{stack.vtex_url}/_admin/skus/{sku}", json={"price": 4321}).raise_for_status()
        notified = requests.post(base + "/notification", json={"IdSku": sku, "PriceModified": True}, timeout=10)
        assert notified.status_code == 200, notified.text
    freight = requests.get(f"{stack.web_url}/api/carrefourintegration/pub/loja-faults/freight",
                           params={"postalCode": "01310100", "items": "1001:1"}, timeout=10)
    assert freight.status_code == 200, freight.text  # the quote's cache is skipped, not the quote
    outage_ends(stack, stack.redis.start, elapsed=3)
    wait_for(lambda: stack.health()[0] == 200, 60, 1, "healthy again")
    offers = wait_for(lambda: all_offers_arrived(stack, SKUS[20:40]), SYNC_INTERVAL + 60, 1,
                      "the notifications of the outage reached Carrefour")
    assert all(offers[s]["price"] == 43.21 for s in SKUS[20:40])


def test_a_database_cut_is_answered_503_and_everything_resumes(stack):
    stack.start()
    wait_for(lambda: stack.health()[0] == 200, 30, 0.5, "healthy at first")
    secret = stack.tenant.webhook_secret
    base = f"{stack.web_url}/api/vtex/loja-faults/{secret}"
    stack.proxy.cut()
    time.sleep(2)
    refused = requests.post(base + "/notification", json={"IdSku": "1007", "PriceModified": True}, timeout=30)
    assert refused.status_code == 503 and refused.headers["Content-Type"] == "application/json"
    assert int(refused.headers["Retry-After"]) > 0
    page = requests.get(stack.web_url + "/login", timeout=30)
    assert page.status_code in (200, 503)  # the sign-in page itself needs no database
    outage_ends(stack, stack.proxy.restore, elapsed=2)
    db.session.expire_all()
    assert db.session.query(SkuChange).filter_by(sku_id="1007").count() == 0  # refused, not half-stored
    listed_at_carrefour(stack, ["1007"])
    requests.post(f"{stack.vtex_url}/_admin/skus/1007", json={"price": 2990}).raise_for_status()
    again = requests.post(base + "/notification", json={"IdSku": "1007", "PriceModified": True}, timeout=10)
    assert again.status_code == 200  # VTEX's retry after the 503
    offers = wait_for(lambda: all_offers_arrived(stack, ["1007"]), SYNC_INTERVAL + 60, 1, "the retry's change")
    assert offers["1007"]["price"] == 29.90


@pytest.mark.parametrize("failing_share", [0.3])
def test_failing_simulators_lose_nothing_and_duplicate_nothing(stack, failing_share):
    order_ids = paid_orders(stack, 20)
    pending_price_changes(stack, SKUS[:60])
    for url in (stack.vtex_url, stack.mirakl_url):
        harness.knobs(url, error_rate=failing_share / 2, throttle_rate=failing_share / 2, retry_after=1)
    stack.start()
    time.sleep(60)
    for url in (stack.vtex_url, stack.mirakl_url):
        harness.knobs(url, error_rate=0, throttle_rate=0)
    wait_for(lambda: imported_count() == len(order_ids), 240, 2, "every order imported")
    wait_for(lambda: all_offers_arrived(stack, SKUS[:60]), SYNC_INTERVAL + 120, 2, "every change at Carrefour")
    assert_each_placed_once(stack, order_ids)
