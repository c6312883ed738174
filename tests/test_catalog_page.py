"""Catálogo: one row per SKU with its state, counts and filters, and sending a selection again."""
from saas.catalog.models import SkuBinding, SkuChange
from saas.tenants.settings import save_settings
from tests.conftest import add_member, login, make_user


def _skus(db, tenant):
    save_settings(tenant, "carrefour", active=True, settings={"trade_policy": "1"}, secrets={"shop_key": "k"})
    db.session.add_all([
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1001", title="Camiseta Azul",
                   product_state="listed", offer_state="live", price_cents=158752, quantity=3),
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1002", title="Camiseta Verde",
                   product_state="error", offer_state="none", last_error="The SKU has no name at VTEX.",
                   last_error_params={})])
    db.session.commit()


def test_each_sku_shows_its_state_and_the_errors_filter_by_cause(client, db, owner, tenant):
    _skus(db, tenant)
    login(client, owner.email)
    page = client.get("/t/loja-a/catalog/").get_data(as_text=True)
    assert "Camiseta Azul" in page and "R$\xa01.587,52" in page and "listado" in page and "2 SKUs" in page
    errors = client.get("/t/loja-a/catalog/?cause=The SKU has no name at VTEX.").get_data(as_text=True)
    assert "Camiseta Verde" in errors and "O SKU não tem nome na VTEX." in errors and "Camiseta Azul" not in errors
    assert "Camiseta Verde" in client.get("/t/loja-a/catalog/?q=verde").get_data(as_text=True)


def test_the_selected_skus_go_again_and_a_viewer_cannot_send_them(client, db, owner, tenant):
    _skus(db, tenant)
    login(client, owner.email)
    response = client.post("/t/loja-a/catalog/resend",
                           data={"sku": ["1002", "x"], "back": "/t/loja-a/catalog/?offer=none"})
    assert response.status_code == 302 and response.headers["Location"] == "/t/loja-a/catalog/?offer=none"
    assert [c.sku_id for c in db.session.query(SkuChange)] == ["1002"]
    viewer = make_user("viewer@loja-a.example")
    add_member(viewer, tenant, "viewer")
    client.post("/logout")
    login(client, viewer.email)
    assert client.post("/t/loja-a/catalog/resend", data={"sku": ["1001"]}).status_code == 403


def test_every_sku_of_a_cause_or_of_a_readiness_reason_goes_again_at_once(client, db, owner, tenant):
    _skus(db, tenant)
    db.session.add_all([
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1003", title="Camiseta Rosa",
                   product_state="error", offer_state="none", last_error="The SKU has no name at VTEX.",
                   last_error_params={}),
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1004", title="Camiseta Lilás",
                   product_state="not_ready", offer_state="none", readiness=[
                       {"code": "images_missing", "params": None,
                        "key": "The SKU has no image at VTEX (the marketplace requires at least one)."}])])
    db.session.commit()
    login(client, owner.email)
    page = client.get("/t/loja-a/catalog/?cause=The SKU has no name at VTEX.").get_data(as_text=True)
    assert "Reenviar todos os 2 SKUs desta causa" in page
    client.post("/t/loja-a/catalog/resend", data={"connector": "carrefour", "cause": "The SKU has no name at VTEX."})
    assert sorted(c.sku_id for c in db.session.query(SkuChange)) == ["1002", "1003"]
    page = client.get("/t/loja-a/catalog/?reason=images_missing").get_data(as_text=True)
    assert "Reenviar o 1 SKU desta causa" in page and "Camiseta Lilás" in page and "Camiseta Rosa" not in page
    client.post("/t/loja-a/catalog/resend", data={"connector": "carrefour", "reason": "images_missing"})
    assert sorted(c.sku_id for c in db.session.query(SkuChange)) == ["1002", "1003", "1004"]
    # Another store's connector, or a made-up reason, sends nothing.
    assert client.post("/t/loja-a/catalog/resend", data={"connector": "x", "reason": "images_missing"}
                       ).status_code == 302
    assert db.session.query(SkuChange).count() == 3


def test_the_search_finds_every_word_of_the_name_brand_sku_or_ean_whatever_the_accents(client, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings={"trade_policy": "1"}, secrets={"shop_key": "k"})
    db.session.add_all([
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="2001", title="Camiseta Básica PRETA",
                   brand="Malwee", ean="7891234567895", product_state="listed", offer_state="live"),
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="2002", title="Camiseta Azul Ração",
                   brand="Hering", product_state="listed", offer_state="live")])
    db.session.commit()
    login(client, owner.email)

    def found(query):
        page = client.get("/t/loja-a/catalog/", query_string={"q": query}).get_data(as_text=True)
        return {sku for sku in ("2001", "2002") if f">{sku}</a>" in page}
    assert found("camiseta preta") == {"2001"}  # both words, in any case
    assert found("PRETA camiseta") == {"2001"}
    assert found("basica") == found("BÁSICA") == {"2001"}  # accents either way
    assert found("racao") == {"2002"}
    assert found("malwee") == {"2001"} and found("hering azul") == {"2002"}
    assert found("4567895") == {"2001"} and found("2002") == {"2002"}  # part of an EAN, a SKU
    assert found("camiseta") == {"2001", "2002"}
    assert found("camiseta verde") == set() and found("100%") == set()  # a wildcard typed is a character
