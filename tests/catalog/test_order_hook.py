"""VTEX pings the order hook's URL before it saves it, and our web may still be starting (a deploy, ``make run``'s
first seconds): the registration is tried again a minute later, and the merchant hears of it only if it keeps
failing."""
import pytest
from rq.registry import ScheduledJobRegistry

from saas.bridge.models import BridgeEntry
from saas.catalog import activation
from saas.jobs.queues import queue
from saas.tenants.settings import save_settings

HOOK = "https://lojaa.vtexcommercestable.com.br/api/orders/hook/config"


@pytest.fixture
def store(db, tenant):
    tenant.vtex_base_url = "https://lojaa.vtexcommercestable.com.br"
    save_settings(tenant, "carrefour", active=True, settings={"trade_policy": "1"}, secrets={"shop_key": "k" * 8})
    return tenant


def _scheduled() -> list[str]:
    registry = ScheduledJobRegistry(queue=queue("default"))
    return [job.func_name for job in (queue("default").fetch_job(i) for i in registry.get_job_ids()) if job]


def test_a_hook_vtex_cannot_ping_yet_is_registered_a_minute_later_without_a_warning(db, store, requests_mock):
    requests_mock.post(HOOK, [{"status_code": 400, "json": {"error": {"message": "The hook URL did not answer"}}},
                              {"status_code": 200}])
    assert activation._configure_hook(store, "carrefour", attempt=1) == "again later"
    assert _scheduled() == ["saas.catalog.activation.configure_hook"]
    assert activation.configure_hook(store.id, "carrefour", 2) == "registered"
    assert requests_mock.call_count == 2 and db.session.query(BridgeEntry).count() == 0


def test_a_hook_that_keeps_failing_is_told_once_in_the_merchants_words(app, db, store, requests_mock):
    requests_mock.post(HOOK, status_code=400, json={"error": {"message": "The hook URL did not answer the ping"}})
    assert activation.configure_hook(store.id, "carrefour", activation.HOOK_ATTEMPTS) == "failed"
    (entry,) = db.session.query(BridgeEntry).all()
    with app.test_request_context():
        assert entry.status == "warning" and "VTEX respondeu 400 (pedido recusado): “The hook URL did not answer " \
            "the ping”" in entry.text
