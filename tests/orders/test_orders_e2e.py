"""Orders end to end: the Mirakl simulator's orders reach the VTEX simulator through our poll and import, on the
real database and Redis."""
import io
import os
import re
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from freezegun import freeze_time
from openpyxl import load_workbook
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from saas.bridge.models import BridgeEntry
from saas.config import ROOT
from saas.extensions import redis_connection
from saas.i18n import money
from saas.jobs import locks, recovery
from saas.jobs.queues import queue
from saas.mail import OutboxMessage
from saas.orders import importer
from saas.orders.models import MarketplaceOrder, OrderAttempt
from saas.timeutil import utcnow
from tests.conftest import login, outbound_env


def test_a_paid_order_reaches_vtex_once_with_its_items_prices_address_and_sla(shop):
    mkt_id = shop.carrefour_order(1001, 1002, quantity=2)
    shop.poll()  # WAITING_ACCEPTANCE → accepted at Carrefour
    assert shop.order(mkt_id).status == "accepted"
    assert shop.mirakl_order(mkt_id)["order_state"] in ("WAITING_DEBIT_PAYMENT", "SHIPPING")
    shop.poll()  # paid (SHIPPING): imported
    assert shop.import_pending() == {mkt_id: "imported"}
    (placed,) = shop.vtex_orders()
    assert placed["orderId"] == f"CRF-{mkt_id}" and placed["status"] == "ready-for-handling"
    assert [(i["id"], i["quantity"], i["price"]) for i in placed["items"]] == [
        ("1001", 2, shop.sku(1001)["price"]), ("1002", 2, shop.sku(1002)["price"])]
    address = placed["shippingData"]["address"]
    assert address["postalCode"] == "01310100" and address["number"] == "123" and address["city"] == "São Paulo"
    assert {li["selectedSla"] for li in placed["shippingData"]["logisticsInfo"]} == {"Normal"}
    endpoint = f"/api/vtex/loja-a/{shop.tenant.webhook_secret}/oms/carrefour"  # it names the order's marketplace
    assert placed["marketplaceServicesEndpoint"].endswith(endpoint)
    order = shop.order(mkt_id)
    assert order.vtex_order_id == f"CRF-{mkt_id}" and [a.outcome for a in order.attempts] == ["imported"]
    shop.poll()
    assert shop.import_pending() == {} and len(shop.vtex_orders()) == 1


def test_an_unpaid_order_is_not_imported(shop):
    shop.mirakl.config["PAYMENT_SECONDS"] = 3600
    mkt_id = shop.carrefour_order(1001)
    shop.poll()
    shop.poll()
    assert shop.order(mkt_id).status == "waiting_payment"
    assert shop.import_pending() == {} and shop.vtex_orders() == []


@pytest.mark.parametrize("make, cause", [
    (lambda s: s.carrefour_order(999999, price=10.0, state="SHIPPING"), "sku_not_found"),
    (lambda s: (s.stock(1001, 0), s.carrefour_order(1001, state="SHIPPING"))[1], "out_of_stock"),
    (lambda s: s.carrefour_order(1001, shipping_type="AGENDADA", state="SHIPPING"), "shipping_unmapped"),
    (lambda s: s.carrefour_order(1001, zip_code="99999999", state="SHIPPING"), "sla_unavailable"),
    (lambda s: s.carrefour_order(1001, price=1.0, state="SHIPPING"), "price_divergence"),
])
def test_each_failed_check_gives_its_own_cause_and_one_mail(shop, make, cause):
    shop.settings(auto_accept=False)  # paid orders go straight to the import checks
    mkt_id = make(shop)
    shop.poll()
    assert shop.import_pending()[mkt_id] == cause
    (retry,) = ScheduledJobRegistry(queue=queue("orders")).get_job_ids()  # the next attempt, a minute later
    assert Job.fetch(retry, connection=redis_connection()).func_name == "saas.orders.importer.import_order"
    order = shop.order(mkt_id)
    assert order.cause == cause and order.status == "importing"
    entry = shop.db.session.query(BridgeEntry).filter_by(entity="order", entity_id=mkt_id).one()
    assert entry.status == "error" and entry.details["cause"] == cause and entry.attempt == 1
    shop.import_pending()  # the second attempt fails the same way: no second mail
    mails = shop.db.session.query(OutboxMessage).all()
    assert len(mails) == 1 and mkt_id in mails[0].subject and mails[0].to == "ops@loja-a.example"
    assert shop.vtex_orders() == []


def test_retries_stop_at_five_within_fifteen_minutes_and_a_reprocess_after_the_fix_places_it(shop):
    assert len(importer.RETRY_DELAYS) == 4 and sum(importer.RETRY_DELAYS) < 15 * 60
    mkt_id = shop.carrefour_order(1001, shipping_type="AGENDADA", state="SHIPPING")
    shop.poll()
    start = utcnow()
    for minute in (0, 1, 3, 7, 14):
        with freeze_time(start + timedelta(minutes=minute, seconds=5)):
            shop.import_pending()
    order = shop.order(mkt_id)
    assert order.status == "failed" and len(order.attempts) == 5 and order.cause == "shipping_unmapped"
    assert "Sem novas tentativas automáticas" in shop.db.session.query(BridgeEntry).order_by(
        BridgeEntry.id.desc()).first().text
    assert importer.import_order(order.id, order.series) == "series exhausted"

    shop.settings(sla_agendada="Agendada")  # the merchant fixes the mapping …
    assert importer.reprocess(order)  # … and reprocesses: a new series
    assert shop.import_pending() == {mkt_id: "imported"}
    order = shop.order(mkt_id)
    assert [(a.series, a.number, a.outcome) for a in order.attempts][-1] == (1, 1, "imported")
    assert len(shop.vtex_orders()) == 1


def test_an_order_still_retrying_can_be_reprocessed_at_once_after_the_fix(shop, client, owner):
    """No waiting up to 15 minutes for the retries: a new series starts now, and the old one's retries do nothing."""
    mkt_id = shop.carrefour_order(1001, shipping_type="AGENDADA", state="SHIPPING")
    shop.poll()
    shop.import_pending()
    order = shop.order(mkt_id)
    assert order.status == "importing" and order.cause == "shipping_unmapped" and order.can_reprocess
    login(client, owner.email)
    page = client.get(f"/t/loja-a/orders/{order.id}").get_data(as_text=True)
    assert "Reprocessar agora" in page and "tentando novamente 2/5" in page and "próxima às" in page
    listing = client.get("/t/loja-a/orders/").get_data(as_text=True)
    assert f'value="{order.id}" form="reprocess"' in listing and "Reprocessar selecionados" in listing

    shop.settings(sla_agendada="Agendada")
    response = client.post("/t/loja-a/orders/reprocess", data={"order": [str(order.id)], "back": "detail"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    summary = page.split("<h2>", 1)[0]  # the order's state at the top; attempts and timeline keep the history
    assert "não está associado a uma transportadora" not in summary  # the old cause is not the new series'
    order = shop.order(mkt_id)
    assert order.series == 1 and order.status == "importing" and order.cause is None
    assert importer.import_order(order.id, 0) == "nothing to do"  # the replaced series' retry
    assert importer.import_order(order.id, 1) == "imported"
    assert [o["marketplaceOrderId"] for o in shop.vtex_orders()] == [mkt_id]
    assert not shop.order(mkt_id).can_reprocess
    assert "Reprocessar selecionados" not in client.get("/t/loja-a/orders/").get_data(as_text=True)


def test_a_series_is_bounded_by_fifteen_minutes_too(shop):
    mkt_id = shop.carrefour_order(1001, shipping_type="AGENDADA", state="SHIPPING")
    shop.poll()
    start = utcnow()
    with freeze_time(start):
        shop.import_pending()
    with freeze_time(start + timedelta(minutes=16)):
        assert shop.import_pending() == {mkt_id: "series exhausted"}
    assert shop.order(mkt_id).status == "failed" and len(shop.order(mkt_id).attempts) == 1


def test_an_unclear_failure_is_followed_by_a_look_at_vtex_not_a_second_order(shop, monkeypatch):
    mkt_id = shop.carrefour_order(1001, state="SHIPPING")
    shop.poll()
    from saas.integration_errors import RetryableError
    from saas.vtex.client import VtexClient
    original = VtexClient.authorize_dispatch

    def times_out(self, *args, **kwargs):
        raise RetryableError("VTEX did not answer within 10s")

    monkeypatch.setattr(VtexClient, "authorize_dispatch", times_out)  # placed, then the answer is lost
    assert shop.import_pending()[mkt_id] == "vtex_unavailable"
    monkeypatch.setattr(VtexClient, "authorize_dispatch", original)
    assert shop.import_pending() == {mkt_id: "imported"}
    assert len(shop.vtex_orders()) == 1 and shop.vtex_orders()[0]["status"] == "ready-for-handling"


def test_two_real_workers_importing_one_order_place_one_vtex_order(app, shop):
    mkt_id = shop.carrefour_order(1001, state="SHIPPING")
    requests.post(shop.vtex.config["URL"] + "/_admin/knobs", json={"latency_ms": 150})
    shop.poll()  # enqueues the import once …
    order = shop.order(mkt_id)
    from saas.jobs.queues import queue
    queue("orders").enqueue("saas.orders.importer.import_order", order.id, order.series,
                            job_id=f"duplicate-{order.id}")  # … and a duplicate arrives
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"], **outbound_env()}
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "orders", "--burst"],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    assert len(shop.vtex_orders()) == 1
    assert shop.order(mkt_id).status == "imported"
    assert shop.db.session.query(OrderAttempt).filter_by(outcome="imported").count() == 1


def test_an_order_changing_state_between_polls_is_neither_missed_nor_duplicated(shop):
    shop.mirakl.config["PAYMENT_SECONDS"] = 1.5
    mkt_id = shop.carrefour_order(1001)
    shop.poll()
    shop.poll()  # unchanged: the overlap sees it again, nothing new is stored
    order = shop.order(mkt_id)
    assert [h["state"] for h in order.history] == ["WAITING_ACCEPTANCE", "WAITING_DEBIT_PAYMENT"]
    time.sleep(1.6)  # Carrefour confirms the payment between two polls
    shop.poll()
    assert shop.db.session.query(MarketplaceOrder).count() == 1
    assert [h["state"] for h in shop.order(mkt_id).history][-1] == "SHIPPING"
    assert shop.import_pending() == {mkt_id: "imported"}


def test_a_poll_that_dies_after_storing_a_paid_order_leaves_it_to_the_next_poll(shop, monkeypatch):
    from saas.orders import polling
    mkt_id = shop.carrefour_order(1001, state="SHIPPING")
    real_act = polling.act

    def dies(*args):  # the worker killed between storing the page and acting on it
        raise SystemExit("killed")
    monkeypatch.setattr(polling, "act", dies)
    with pytest.raises(SystemExit):
        shop.poll()
    shop.db.session.rollback()
    monkeypatch.setattr(polling, "act", real_act)
    shop.poll()  # the same version of the order, seen again in the overlap: acted on this time
    assert shop.import_pending() == {mkt_id: "imported"}
    shop.poll()
    assert shop.import_pending() == {} and len(shop.vtex_orders()) == 1


def test_cancelled_before_import_is_never_placed_and_after_import_is_cancelled_at_vtex(shop):
    early = shop.carrefour_order(1001, cancel=True)
    shop.poll()
    shop.poll()
    assert shop.order(early).status == "cancelled" and shop.vtex_orders() == []
    late = shop.carrefour_order(1002, state="SHIPPING")
    shop.poll()
    shop.import_pending()
    requests.post(f"{shop.mirakl.config['URL']}/_admin/orders/{late}/cancel", json={})
    shop.poll()
    assert importer.cancel_at_vtex(shop.order(late).id) == "cancelled"
    assert shop.vtex_orders()[0]["status"] == "canceled"
    assert "cancelled at VTEX" in shop.db.session.query(BridgeEntry).filter_by(entity_id=late).order_by(
        BridgeEntry.id.desc()).first().message


def test_with_automatic_acceptance_off_the_merchant_decides_in_the_orders_tab(shop, client, owner):
    shop.settings(auto_accept=False)
    mkt_id = shop.carrefour_order(1001)
    shop.poll()
    order = shop.order(mkt_id)
    assert order.status == "awaiting_decision"
    login(client, owner.email)
    page = client.get(f"/t/loja-a/orders/{order.id}").get_data(as_text=True)
    assert "Aceitar" in page and "Recusar" in page
    client.post(f"/t/loja-a/orders/{order.id}/accept")
    assert shop.order(mkt_id).status == "accepted"
    assert shop.mirakl_order(mkt_id)["order_state"] in ("WAITING_DEBIT_PAYMENT", "SHIPPING")


def test_an_order_the_store_refuses_is_told_as_the_stores_refusal_and_not_offered_for_reprocessing(shop, client,
                                                                                                   owner):
    shop.stock(1001, 0)
    mkt_id = shop.carrefour_order(1001)
    shop.poll()
    order = shop.order(mkt_id)
    assert order.status == "refused" and shop.mirakl_order(mkt_id)["order_state"] == "REFUSED"
    message = shop.db.session.query(BridgeEntry).filter_by(entity_id=mkt_id).one().text
    assert message.startswith("A loja recusou este pedido no Carrefour: Sem venda com estoque")
    assert "Um pedido recusado não pode ser reprocessado" in message and "reprocesse" not in message
    assert importer.reprocess(order) is False
    shop.poll()  # the marketplace's refused order read again: still our refusal, its lines refused
    assert shop.order(mkt_id).status == "refused"
    # The list says why, and its page shows the items it had.
    login(client, owner.email)
    listing = client.get("/t/loja-a/orders/").get_data(as_text=True)
    assert "recusado" in listing and "Sem venda com estoque" in listing
    page = client.get(f"/t/loja-a/orders/{order.id}").get_data(as_text=True)
    assert ">1001</td>" in page and 'class="badge muted">recusado</span>' in page


def test_orders_tab_filters_searches_exports_and_reprocesses_a_selection(shop, client, owner):
    good = shop.carrefour_order(1001, state="SHIPPING")
    bad = shop.carrefour_order(1002, shipping_type="AGENDADA", state="SHIPPING")
    shop.poll()
    shop.import_pending()
    shop.order(bad).status = "failed"
    shop.db.session.commit()
    login(client, owner.email)
    page = client.get("/t/loja-a/orders/?status=failed").get_data(as_text=True)
    assert bad in page and good not in page
    assert good in client.get(f"/t/loja-a/orders/?q=CRF-{good}").get_data(as_text=True)
    data, other = shop.mirakl_order(good), shop.mirakl_order(bad)
    customer, document = data["customer"], next(f["value"] for f in data["order_additional_fields"]
                                               if f["code"] == "cpf")
    same_name = customer["firstname"] == other["customer"]["firstname"]  # the simulator draws names from a few
    for query, only_good in ((good[3:-2], True), (good.lower(), True), (f"CRF-{good[:6]}", False),
                             (customer["firstname"].upper(), not same_name),
                             (f"{customer['lastname']} {customer['firstname']}", not same_name),
                             (f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}", True), ("1001", True)):
        found = client.get("/t/loja-a/orders/", query_string={"q": query}).get_data(as_text=True)
        assert good in found and (bad not in found or not only_good), query  # a number, the customer, CPF, SKU
    assert bad in client.get("/t/loja-a/orders/?q=1002").get_data(as_text=True)
    assert "Nenhum pedido" in client.get("/t/loja-a/orders/?q=1001 zzz").get_data(as_text=True)
    csv_text = client.get("/t/loja-a/orders/export.csv?status=imported").get_data(as_text=True)
    header, row = csv_text.splitlines()[:2]
    assert header.startswith("\ufeffPedido no marketplace;Pedido na VTEX;")  # opens right in Excel pt-BR
    total = shop.order(good).total_cents
    assert row.split(";")[5] == f"{total // 100},{total % 100:02d}"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row.split(";")[8])
    assert good in csv_text and bad not in csv_text
    sheet = load_workbook(io.BytesIO(client.get("/t/loja-a/orders/export.xlsx?status=imported").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Pedido no marketplace", "Pedido na VTEX") and len(rows) == 2
    assert rows[1][0] == good and rows[1][4] == "integrado" and rows[1][5] == total / 100  # a number, not text
    assert rows[1][2:4] == ("pago", "pronto para manuseio") == tuple(row.split(";")[2:4])  # words, not codes
    assert sheet.cell(row=2, column=6).number_format == '"R$" #,##0.00'
    assert rows[1][8].strftime("%d/%m/%Y %H:%M") == row.split(";")[8]  # a date, in Brasília time
    with client.application.test_request_context():
        shown = money(total)
    assert shown in client.get("/t/loja-a/orders/").get_data(as_text=True)
    shop.settings(sla_agendada="Agendada")
    client.post("/t/loja-a/orders/reprocess", data={"order": [str(shop.order(bad).id)]})
    assert shop.order(bad).series == 1 and shop.import_pending() == {bad: "imported"}


def test_failed_orders_are_grouped_by_cause_with_the_fix_and_reprocessed_all_at_once(shop, client, owner):
    shop.settings(sla_agendada="Agendada")
    shop.settings(sla_agendada="")  # the change that starts it: Agendada loses its carrier
    shop.settings(divergence=6.0)  # a later change that cannot cause it
    unmapped = [shop.carrefour_order(1001, shipping_type="AGENDADA", state="SHIPPING") for _ in range(3)]
    good = shop.carrefour_order(1005, state="SHIPPING")
    shop.poll()
    shop.import_pending()
    for mkt_id in unmapped[:2]:  # their retries spent; the third still retrying
        shop.order(mkt_id).status = "failed"
        shop.db.session.commit()
    login(client, owner.email)
    page = client.get("/t/loja-a/orders/").get_data(as_text=True)
    assert "Pedidos com falha por causa" in page
    assert "tipo de entrega sem transportadora</strong></a>: 3 pedidos (1 ainda tentando)." in page
    assert "Mapeie o tipo de entrega a uma transportadora da VTEX" in page
    assert "Começou 0 min depois de sistema alterar Mapeamento de SLA de tipo Agendada nas configurações do " \
           "Carrefour." in page
    listed = client.get("/t/loja-a/orders/?cause=shipping_unmapped").get_data(as_text=True)
    assert all(mkt_id in listed for mkt_id in unmapped) and good not in listed

    shop.settings(sla_agendada="Agendada")  # the cause fixed once, every order of it goes again
    client.post("/t/loja-a/orders/reprocess", data={"cause": "shipping_unmapped"})
    assert shop.import_pending() == {mkt_id: "imported" for mkt_id in unmapped}
    assert len(shop.vtex_orders()) == 4
    assert "Pedidos com falha por causa" not in client.get("/t/loja-a/orders/").get_data(as_text=True)


def test_a_price_divergence_can_be_accepted_for_one_order_only(shop, client, owner):
    shop.settings(auto_accept=False)
    diverging = shop.carrefour_order(1001, price=1.0, state="SHIPPING")
    shop.poll()
    assert shop.import_pending()[diverging] == "price_divergence"
    order = shop.order(diverging)
    login(client, owner.email)
    page = client.get(f"/t/loja-a/orders/{order.id}").get_data(as_text=True)
    assert "Aceitar esta divergência só para este pedido e reprocessar" in page
    assert re.search(r"CPF/CNPJ \d{3}\.\d{3}\.\d{3}-\d{2}", page) and "CEP 01310-100" in page  # as written in Brazil
    assert re.search(r"\(\d\d\) \d{4,5}-\d{4}", page)
    client.post(f"/t/loja-a/orders/{order.id}/divergence")
    assert shop.import_pending() == {diverging: "imported"}
    order = shop.order(diverging)
    assert order.divergence_allowed > 5.0 and [o["marketplaceOrderId"] for o in shop.vtex_orders()] == [diverging]
    assert "for this order only" in shop.db.session.query(BridgeEntry).filter_by(
        entity="order", entity_id=diverging, status="warning").one().message
    # The store's tolerance is unchanged: the next order with the same divergence fails as before.
    another = shop.carrefour_order(1001, price=1.0, state="SHIPPING")
    shop.poll()
    assert shop.import_pending()[another] == "price_divergence"
    assert client.post(f"/t/loja-a/orders/{shop.order(diverging).id}/divergence").status_code == 409


def test_an_order_whose_job_was_lost_is_resumed_by_the_recovery_sweep_once_nobody_holds_it(shop):
    mkt_id = shop.carrefour_order(1001, state="SHIPPING")
    shop.poll()  # importing, its job queued … and lost (Redis restarted empty)
    queue("orders").empty()
    order = shop.order(mkt_id)
    assert importer.resume_stalled() == 0  # not overdue yet: its job may still be on its way
    order.next_attempt_at = utcnow() - recovery.STALL - timedelta(seconds=1)
    shop.db.session.commit()
    with locks.hold(importer.lock_name(order)):  # a live worker is on it: left alone
        assert importer.resume_stalled() == 0
    assert recovery.recover()["orders"] == 1
    (job,) = queue("orders").jobs
    assert job.func_name == "saas.orders.importer.import_batch" and job.args[0] == [(order.id, 0)]
    assert importer.import_batch(*job.args) == {order.id: "imported"}
    assert len(shop.vtex_orders()) == 1


def test_an_accepted_order_is_looked_for_again_soon_not_a_whole_interval_later(shop):
    """Carrefour debits the customer within a minute or two of the acceptance: the poll after an acceptance comes
    90 s later, so a paid order reaches VTEX in about two minutes instead of two intervals."""
    from rq.registry import ScheduledJobRegistry

    from saas.jobs.queues import queue
    shop.app.config["ORDERS_INTERVAL"] = 300
    mkt_id = shop.carrefour_order(1001)
    before = utcnow()
    shop.poll()
    assert shop.order(mkt_id).status == "accepted"
    registry = ScheduledJobRegistry(queue=queue("default"))
    looks = [job for job in (queue("default").fetch_job(i) for i in registry.get_job_ids())
             if job and job.func_name.endswith("run_periodic") and job.args[0] == "orders"]
    assert len(looks) == 1 and looks[0].args[1:3] == (shop.tenant.id, "carrefour")
    due = registry.get_scheduled_time(looks[0]).replace(tzinfo=None)
    assert before + timedelta(seconds=85) <= due <= utcnow() + timedelta(seconds=95)
