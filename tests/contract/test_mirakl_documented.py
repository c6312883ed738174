"""The Carrefour connector on the payloads Mirakl's specification documents (its own examples, served by
requests-mock), not on what our simulator happens to answer: report parsing, order paging, the mapping of 401, 429
and 5xx, the cancellation request's fallback."""
import copy
import json
from functools import cache

import pytest

from saas.connectors.base import Batch, ConnectorContext
from saas.connectors.carrefour.connector import CarrefourConnector
from saas.integration_errors import AuthError, PermanentError, RetryableError
from tests.contract.specs import MIRAKL_HOST, specs_dir

MIRAKL = "mirakl/mirakl-mmp-seller-openapi.json"


@cache
def documented(path: str, method: str = "get", status: str = "200"):
    """The first example the specification gives for an answer."""
    document = json.loads((specs_dir() / MIRAKL).read_text())
    content = document["paths"][path][method]["responses"][status]["content"]
    return next(iter(next(iter(content.values()))["examples"].values()))["value"]


@pytest.fixture
def carrefour():
    return CarrefourConnector(ConnectorContext(tenant_id=1, settings={"api_url": MIRAKL_HOST},
                                               secrets={"shop_key": "shop-key-123"}))


def test_an_offer_report_with_errors_is_read_from_the_documented_error_file(carrefour, requests_mock):
    status = {**documented("/api/offers/imports/{import}"), "has_error_report": True, "lines_in_error": 1}
    requests_mock.get(MIRAKL_HOST + "/api/offers/imports/2035", json=status)
    requests_mock.get(MIRAKL_HOST + "/api/offers/imports/2035/error_report",
                      content=documented("/api/offers/imports/{import}/error_report").encode())
    report = carrefour.check_batch(Batch("offer", "2035", ("OFFER_SKU_004", "OFFER_SKU_005")))
    assert report.final and report.ok and report.status == "COMPLETE"
    assert report.results["OFFER_SKU_004"].status == "error"
    assert report.results["OFFER_SKU_004"].message == "The product does not exist"
    assert report.results["OFFER_SKU_005"].status == "success"
    assert report.summary["lines_read"] == 1


def test_a_report_still_running_is_not_final_and_a_failed_import_fails_every_line(carrefour, requests_mock):
    running = {**documented("/api/offers/imports/{import}"), "status": "RUNNING"}
    requests_mock.get(MIRAKL_HOST + "/api/offers/imports/1", json=running)
    assert not carrefour.check_batch(Batch("offer", "1", ("A",))).final
    failed = {**documented("/api/offers/imports/{import}"), "status": "FAILED", "reason_status": "Invalid file"}
    requests_mock.get(MIRAKL_HOST + "/api/offers/imports/2", json=failed)
    report = carrefour.check_batch(Batch("offer", "2", ("A", "B")))
    assert report.final and not report.ok
    assert {r.status for r in report.results.values()} == {"error"}
    assert "Invalid file" in str(report.results["A"].message)


def test_orders_are_read_page_by_page_up_to_the_documented_total(carrefour, requests_mock):
    example = documented("/api/orders")["orders"][0]
    orders = [dict(copy.deepcopy(example), order_id=f"O-{n}", last_updated_date=f"2026-11-27T10:{n % 60:02d}:00Z")
              for n in range(150)]
    pages = {"0": orders[:100], "100": orders[100:]}
    requests_mock.get(MIRAKL_HOST + "/api/orders", json=lambda request, _: {
        "orders": pages[request.qs["offset"][0]], "total_count": 150})
    page = carrefour.fetch_orders("2026-11-27T09:00:00Z")
    assert [o.order_id for o in page.orders] == [f"O-{n}" for n in range(150)]
    assert page.cursor == "2026-11-27T10:59:00Z"
    assert [(r.qs["offset"], r.qs["max"]) for r in requests_mock.request_history] == [(["0"], ["100"]),
                                                                                     (["100"], ["100"])]


def test_the_documented_order_is_read_into_the_platforms_words(carrefour):
    order = carrefour.order_data(documented("/api/orders")["orders"][0])
    assert order.order_id == "Order_00010-A" and order.state in {"new", "waiting_acceptance", "waiting_payment",
                                                                 "paid", "shipped", "cancelled", "other"}
    assert order.lines and all(line.quantity > 0 for line in order.lines)
    assert order.address.city == "New York"


@pytest.mark.parametrize("status, headers, error", [
    (401, {}, AuthError), (403, {}, AuthError), (429, {"Retry-After": "7"}, RetryableError),
    (500, {}, RetryableError), (503, {}, RetryableError), (400, {}, PermanentError)])
def test_mirakls_answers_map_to_the_platforms_errors(carrefour, requests_mock, status, headers, error):
    requests_mock.get(MIRAKL_HOST + "/api/account", status_code=status, headers=headers,
                      json={"message": "documented error", "status": status})
    with pytest.raises(error) as raised:
        carrefour.check_credentials()
    assert raised.value.status == status and "documented error" in raised.value.message
    if status == 429:
        assert raised.value.retry_after == 7


def test_a_cancellation_request_falls_back_to_a_thread_where_messages_are_closed(carrefour, requests_mock):
    requests_mock.post(MIRAKL_HOST + "/api/orders/O-1/messages", status_code=400,
                       json={"message": "Messages are disabled", "status": 400})
    requests_mock.post(MIRAKL_HOST + "/api/orders/O-1/threads", status_code=201,
                       json=documented("/api/orders/{order_id}/threads", "post", "201"))
    carrefour.request_cancellation("O-1", "cliente desistiu")
    thread = requests_mock.last_request
    assert thread.path == "/api/orders/o-1/threads"
    sent = json.loads(thread.body.fields["thread_input"][1])
    assert sent["topic"]["value"] == "Solicitação de cancelamento" and "cliente desistiu" in sent["body"]
    assert sent["to"] == ["OPERATOR"]
