"""The store page: the slug stays once VTEX and the marketplace hold URLs that name it; viewers see the app key
masked."""
from saas.tenants.models import Tenant
from saas.tenants.settings import save_settings
from tests.conftest import add_member, login, make_user

FORM = {"name": "Loja A", "slug": "loja-nova", "vtex_account": "lojaa", "vtex_app_key": "key-loja-a",
        "vtex_base_url": "https://vtex.test"}


def test_a_store_never_activated_can_change_its_slug(client, db, owner, tenant):
    login(client, owner.email)
    response = client.post("/t/loja-a/store", data=FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/t/loja-nova/store"


def test_once_activated_the_slug_stays_and_the_form_says_why(client, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings={"affiliate_id": "CRF"}, secrets={"shop_key": "k"},
                  action="activate")
    save_settings(tenant, "carrefour", active=False, settings={"affiliate_id": "CRF"}, secrets={},
                  action="deactivate")  # switched off since: the orders placed meanwhile still call back
    login(client, owner.email)
    page = client.get("/t/loja-a/store").get_data(as_text=True)
    assert "readonly" in page and "O identificador não muda mais" in page
    page = client.post("/t/loja-a/store", data=FORM).get_data(as_text=True)
    assert "O identificador não muda mais" in page
    db.session.expire_all()
    assert db.session.query(Tenant).one().slug == "loja-a"
    assert client.get("/api/carrefourintegration/pub/loja-a/freight").status_code == 400  # still answering


def test_a_viewer_sees_the_app_key_masked(client, db, tenant):
    viewer = make_user("viewer@loja-a.example")
    add_member(viewer, tenant, "viewer")
    login(client, viewer.email)
    page = client.get("/t/loja-a/store").get_data(as_text=True)
    assert "key-loja-a" not in page and "•" * 8 + "ja-a" in page


def test_new_vtex_credentials_are_checked_live_before_they_are_saved(client, db, owner, tenant, requests_mock):
    login(client, owner.email)
    requests_mock.get("https://vtex.test/api/fulfillment/pvt/affiliates", status_code=401, json={})
    page = client.post("/t/loja-a/store", data={**FORM, "slug": "loja-a", "vtex_app_token": "new-token"}) \
        .get_data(as_text=True)
    assert "A VTEX recusou esta App Key e este App Token" in page
    db.session.expire_all()
    assert db.session.query(Tenant).one().vtex_app_token == "token-loja-a-secret"
    requests_mock.get("https://vtex.test/api/fulfillment/pvt/affiliates", json=[])
    client.post("/t/loja-a/store", data={**FORM, "slug": "loja-a", "vtex_app_token": "new-token"})
    db.session.expire_all()
    assert db.session.query(Tenant).one().vtex_app_token == "new-token"


def test_keeping_a_stored_secret_is_offered_only_where_one_is_stored(client, db, owner, tenant):
    login(client, owner.email)
    assert "Deixe vazio para manter o token guardado" not in client.get("/tenants/new").get_data(as_text=True)
    assert "Deixe vazio para manter o token guardado" in client.get("/t/loja-a/store").get_data(as_text=True)
    keep_key = "Deixe vazio para manter a chave guardada"
    assert keep_key not in client.get("/t/loja-a/marketplace/carrefour").get_data(as_text=True)
    save_settings(tenant, "carrefour", active=False, settings={"trade_policy": "1"}, secrets={"shop_key": "k" * 8})
    assert keep_key in client.get("/t/loja-a/marketplace/carrefour").get_data(as_text=True)
