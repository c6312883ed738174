"""The many-shop server the thousand-store benchmark runs on: each /shops/<n> is its own simulator, with its own
data; nothing of one shop shows in another."""
from werkzeug.test import Client

from saas.sandbox import shops

VTEX_AUTH = {"X-VTEX-API-AppKey": "vtexappkey-lojademo", "X-VTEX-API-AppToken": "sandbox-app-token"}


def test_each_vtex_account_has_its_own_catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SANDBOX_SHOPS_SKUS", "5")
    client = Client(shops.create_app("vtex", shops=2))
    ids = client.get("/shops/1/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel?sc=1&pageSize=50",
                     headers=VTEX_AUTH).get_json()
    assert len(ids) == 5
    assert client.post(f"/shops/1/_admin/skus/{ids[0]}", json={"price": 777}).get_json()["price"] == 777
    other = client.post("/shops/2/api/checkout/pub/orderForms/simulation",
                        json={"items": [{"id": str(ids[0]), "quantity": 1, "seller": "1"}]}).get_json()
    assert other["items"][0]["price"] != 777
    assert {p.name for p in tmp_path.iterdir()} >= {"vtex-shop-1.db", "vtex-shop-2.db"}


def test_each_mirakl_shop_keeps_its_own_state_and_a_path_outside_the_shops_is_a_404(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path))
    client = Client(shops.create_app("mirakl"))
    assert client.post("/shops/7/_admin/knobs", json={"error_rate": 1.0}).status_code == 200
    assert client.get("/shops/7/api/account", headers={"Authorization": "sandbox-shop-key-demo"}).status_code == 503
    assert client.get("/shops/8/api/account", headers={"Authorization": "sandbox-shop-key-demo"}).status_code == 200
    assert client.get("/shops/8/api/account").status_code == 401  # each shop checks its own key
    for path in ("/api/account", "/shops/x/api/account", "/shops/0/_admin/state", "/"):
        assert client.get(path).status_code == 404
