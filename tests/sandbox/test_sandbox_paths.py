"""The README's sandbox paths, walked as a newcomer would under ``make run``: the Carrefour sandbox serves several
shops behind one URL, each opened by its own ShopKey; the demo store holds the first, and the sign-up page offers the
others, so a store signed up there, and store B of the multistore section, both activate Carrefour."""
import re

import pytest
import requests

from saas.sandbox import demo
from saas.sandbox.shops import SANDBOX_SHOPS, KeyedShops
from saas.tenants.models import ConnectorSettings, Tenant
from tests.conftest import PASSWORD, public, serve

CARREFOUR = {"active": "yes", "notification_email": "eu@minhaloja.example", "shop_id": "", "divergence": "5",
             "min_stock": "0", "auto_accept": "y", "sla_normal": "Normal", "sla_expressa": "", "sla_economica": "",
             "sla_agendada": ""}


@pytest.fixture
def sandbox(app, monkeypatch, tmp_path, vtex_sim):
    """``make run``'s simulators: the VTEX one and the Carrefour one with its shops, the environment it sets."""
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path / "sandbox"))
    with serve(KeyedShops()) as carrefour_url:
        monkeypatch.setenv("SANDBOX_VTEX_URL", vtex_sim.config["URL"])
        monkeypatch.setenv("SANDBOX_MIRAKL_URL", carrefour_url)
        with public(app):
            yield {"vtex": vtex_sim.config["URL"], "carrefour": carrefour_url}


def test_each_sandbox_key_opens_its_own_shop_behind_one_url(sandbox):
    for shop in SANDBOX_SHOPS:
        account = requests.get(sandbox["carrefour"] + "/api/account", headers={"Authorization": shop.key}, timeout=5)
        assert account.status_code == 200 and account.json()["shop_id"] == shop.shop_id
    assert requests.get(sandbox["carrefour"] + "/api/account", headers={"Authorization": "not-a-sandbox-key"},
                        timeout=5).status_code == 401
    # Each shop's admin page, and an order created on one shop is only in that shop.
    page = requests.get(sandbox["carrefour"] + "/lojas/2002/_admin", timeout=5).text
    assert "Loja 2 (sandbox Carrefour), loja 2002" in page and 'action="/lojas/2002/_admin/orders"' in page
    assert "sandbox-shop-key-3" in page  # the other shops are listed with their keys
    requests.post(sandbox["carrefour"] + "/lojas/2003/_admin/orders", json={"lines": [{"sku": "1001", "quantity": 1}]},
                  timeout=5).raise_for_status()
    orders = {shop.shop_id: requests.get(sandbox["carrefour"] + "/api/orders", headers={"Authorization": shop.key},
                                         timeout=5).json()["total_count"] for shop in SANDBOX_SHOPS}
    assert orders == {2001: 0, 2002: 0, 2003: 1}


def test_sign_up_then_carrefour_active_and_a_second_store_as_the_readme_says(app, db, client, sandbox):
    demo.seed("demo@loja.example", PASSWORD, "loja-demo")  # the demo store holds the first shop
    page = client.get("/signup").get_data(as_text=True)
    free_keys = [shop.key for shop in SANDBOX_SHOPS[1:]]
    assert all(key in page for key in free_keys) and sandbox["carrefour"] in page
    hints = {"vtex_account": re.search(r"conta VTEX (\w+)", page).group(1), "vtex_base_url": sandbox["vtex"],
             "vtex_app_key": "vtexappkey-lojademo", "vtex_app_token": "sandbox-app-token"}
    assert client.post("/signup", data={"email": "eu@minhaloja.example", "password": PASSWORD, "confirm": PASSWORD,
                                        "name": "Minha Loja", "slug": "minha-loja", **hints}).status_code == 302

    settings = client.get("/t/minha-loja/marketplace/carrefour").get_data(as_text=True)
    assert re.search(r'name="divergence"[^>]* value="5"', settings)  # a tolerance that lets ordinary orders through
    refused = client.post("/t/minha-loja/marketplace/carrefour",
                          data={**CARREFOUR, "shop_key": demo.DEMO_SHOP_KEY, "api_url": sandbox["carrefour"],
                                "trade_policy": "1", "affiliate_id": "CRB"}).get_data(as_text=True)
    assert "já está ligada a outra loja" in refused  # the demo's own shop stays the demo's
    response = client.post("/t/minha-loja/marketplace/carrefour",
                           data={**CARREFOUR, "shop_key": free_keys[0], "api_url": sandbox["carrefour"],
                                 "trade_policy": "1", "affiliate_id": "CRB"})
    assert response.status_code == 302, response.get_data(as_text=True)

    # The multistore section: store B of the same VTEX account, trade policy 2, the other free key.
    assert client.post("/tenants/new", data={"name": "Minha Loja B", "slug": "minha-loja-b", "store_label": "B",
                                             **hints}).status_code == 302
    response = client.post("/t/minha-loja-b/marketplace/carrefour",
                           data={**CARREFOUR, "shop_key": free_keys[1], "api_url": sandbox["carrefour"],
                                 "trade_policy": "2", "affiliate_id": "CRC"})
    assert response.status_code == 302, response.get_data(as_text=True)
    shops = {t.slug: r.account_id for r, t in db.session.query(ConnectorSettings, Tenant).join(Tenant)
             if r.active and t.slug != "loja-demo"}
    assert shops == {"minha-loja": "2002", "minha-loja-b": "2003"}
