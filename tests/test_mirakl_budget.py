"""Mirakl's hourly limits against a simulator that keeps them as Mirakl does: 429 "too many requests in the last
hour" with Retry-After, counted per shop. Every process of ours honours a shop's wait, and never bursts past the
operation's published maximum."""
import io

import pytest
import requests

from saas.connectors.mirakl import budget
from saas.connectors.mirakl.client import MiraklClient
from saas.integration_errors import RetryableError
from saas.tenants.settings import save_settings
from tests.conftest import login


def client_of(sim, key=None) -> MiraklClient:
    return MiraklClient(sim.config["URL"], key or sim.config["SHOP_KEY"], timeout=5)


def calls_seen(sim) -> int:
    return len((sim.extensions["store"].get("hourly", "shop") or {"calls": []})["calls"])


def test_the_simulator_answers_429_with_retry_after_past_its_hourly_limit(mirakl_sim):
    requests.post(mirakl_sim.config["URL"] + "/_admin/knobs", json={"hourly_limit": 3}).raise_for_status()
    headers = {"Authorization": mirakl_sim.config["SHOP_KEY"]}
    answers = [requests.get(mirakl_sim.config["URL"] + "/api/account", headers=headers, timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 3500 <= int(answers[-1].headers["Retry-After"]) <= 3601


def test_after_a_429_no_process_calls_that_shop_until_retry_after(app, mirakl_sim):
    requests.post(mirakl_sim.config["URL"] + "/_admin/knobs", json={"hourly_limit": 2}).raise_for_status()
    client = client_of(mirakl_sim)
    client.account()
    client.account()
    with pytest.raises(RetryableError) as refused:
        client.account()
    assert refused.value.status == 429 and refused.value.retry_after > 3000
    seen = calls_seen(mirakl_sim)
    other_process = budget.Budget(app.config["REDIS_URL"])  # what another worker reads: the same Redis
    assert other_process.waiting(budget.shop_of(client.base_url, client.api_key)) > 3000
    for _ in range(5):
        with pytest.raises(RetryableError, match="asked this shop to wait"):
            client_of(mirakl_sim).shipping_types()
    assert calls_seen(mirakl_sim) == seen  # nothing reached Mirakl while waiting
    assert budget.budget().waiting(budget.shop_of(client_of(mirakl_sim, "another-shops-key").base_url,
                                                  "another-shops-key")) == 0  # another shop is not held


def test_an_operation_never_goes_past_its_published_hourly_maximum(app, mirakl_sim, monkeypatch):
    monkeypatch.setattr(budget, "LIMITS", (("OF01", "POST", budget.LIMITS[1][2], "3 per hour"),))
    client = client_of(mirakl_sim)
    for n in range(3):
        client.import_offers(io.BytesIO(b"sku;price;quantity\n1001;10.00;1\n"), f"offers-{n}.csv")
    imports = len(mirakl_sim.extensions["store"].all("offer_import"))
    with pytest.raises(RetryableError) as refused:
        client.import_offers(io.BytesIO(b"sku;price;quantity\n1001;10.00;1\n"), "offers-4.csv")
    assert "3 per hour" in refused.value.message and 3000 < refused.value.retry_after <= 3601
    assert len(mirakl_sim.extensions["store"].all("offer_import")) == imports
    client.account()  # other operations go on


def test_the_dashboard_says_when_calls_resume(app, client, db, owner, tenant, mirakl_sim):
    save_settings(tenant, "carrefour", active=True, settings={"api_url": mirakl_sim.config["URL"],
                                                              "affiliate_id": "CRF", "trade_policy": "1"},
                  secrets={"shop_key": mirakl_sim.config["SHOP_KEY"]})
    login(client, owner.email)
    assert "pediu uma pausa" not in client.get("/t/loja-a/").get_data(as_text=True)
    requests.post(mirakl_sim.config["URL"] + "/_admin/knobs", json={"hourly_limit": 1}).raise_for_status()
    mirakl = client_of(mirakl_sim)
    mirakl.account()
    with pytest.raises(RetryableError):
        mirakl.account()
    assert "Carrefour pediu uma pausa" in client.get("/t/loja-a/").get_data(as_text=True)
