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
