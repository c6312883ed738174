"""Tenants never see each other: every tenant route, walked from the app's URL map, answers 404 to a member of
another tenant, whether it is given the other tenant's slug or the other tenant's ids."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from saas import bridge
from saas.catalog.models import SkuBinding
from saas.extensions import LOOKUP
from saas.orders.models import MarketplaceOrder
from saas.tenants.models import ConnectorSettings, Tenant
from saas.tenants.scoping import scoped_among
from saas.tenants.settings import save_settings
from tests.conftest import add_member, login, make_tenant, make_user

FOREIGN_MARK = "Segredo da Loja B"
DEFAULTS = {"key": "carrefour", "entity": "product", "decision": "accept", "kind": "csv"}


def owned_rows(db, tenant, mark):
    """One row of each tenant-owned kind a portal URL can name by id: {URL argument: row id}."""
    entry = bridge.record(tenant.id, "product", f"SKU-{tenant.slug}", "error", mark)
    order = MarketplaceOrder(tenant_id=tenant.id, connector_key="carrefour", marketplace_order_id=f"O-{tenant.slug}",
                             marketplace_state="WAITING_ACCEPTANCE", marketplace_updated_at="x",
                             status="awaiting_decision", message=mark, raw={"order_id": mark})
    db.session.add(order)
    db.session.commit()
    return {"entry_id": entry.id, "order_id": order.id, "index": 0}  # index: a price rule's place in its list


@pytest.fixture
def two_tenants(app, db, owner, tenant):
    other_owner = make_user("owner@loja-b.example")
    foreign = make_tenant(other_owner, "loja-b", name=FOREIGN_MARK)
    return tenant, foreign, owned_rows(db, foreign, FOREIGN_MARK), owned_rows(db, tenant, "ours")


def tenant_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/t/<slug>")]


def is_int(rule, arg):
    return isinstance(rule._converters.get(arg), IntegerConverter)


def build(rule, slug, ids):
    values = {"slug": slug, **(rule.defaults or {})}
    for arg in rule.arguments - set(values):
        values[arg] = ids[arg] if is_int(rule, arg) else DEFAULTS[arg]  # a new argument must be named here
    return rule.build(values, append_unknown=False)[1]


def test_every_tenant_route_is_a_404_for_a_member_of_another_tenant(app, client, owner, two_tenants):
    _, foreign, foreign_ids, _ = two_tenants
    foreign_slug = foreign.slug
    login(client, owner.email)
    rules = tenant_rules(app)
    assert len(rules) >= 12  # the walk really covers the portal, the Bridge and the orders
    for rule in rules:
        url = build(rule, foreign_slug, foreign_ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"email": "x@y.example"}, follow_redirects=True)
            assert response.status_code == 404, (method, url, response.status_code)
            assert FOREIGN_MARK not in response.get_data(as_text=True)


def test_foreign_ids_under_ones_own_slug_are_a_404(app, client, owner, two_tenants):
    own, _, foreign_ids, own_ids = two_tenants
    own_slug = own.slug
    login(client, owner.email)
    for rule in tenant_rules(app):
        if not any(is_int(rule, arg) for arg in rule.arguments) or "GET" not in rule.methods:
            continue
        assert client.get(build(rule, own_slug, own_ids)).status_code == 200, rule.rule
        response = client.get(build(rule, own_slug, foreign_ids))
        assert response.status_code == 404, rule.rule
        assert FOREIGN_MARK not in response.get_data(as_text=True)


def test_bridge_and_orders_list_only_the_tenants_own_rows(client, owner, two_tenants):
    login(client, owner.email)
    page = client.get("/t/loja-a/bridge/product").get_data(as_text=True)
    assert "SKU-loja-a" in page and "SKU-loja-b" not in page
    page = client.get("/t/loja-a/orders/").get_data(as_text=True)
    assert "O-loja-a" in page and "O-loja-b" not in page
    csv_text = client.get("/t/loja-a/orders/export.csv").get_data(as_text=True)
    assert "O-loja-a" in csv_text and "O-loja-b" not in csv_text
    sheet = load_workbook(io.BytesIO(client.get("/t/loja-a/orders/export.xlsx").data)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["O-loja-a"]


def test_anonymous_visitors_are_sent_to_sign_in(client, two_tenants):
    response = client.get("/t/loja-a/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_viewer_sees_but_cannot_change(client, db, tenant):
    viewer = make_user("viewer@loja-a.example")
    add_member(viewer, tenant, "viewer")
    login(client, viewer.email)
    assert client.get("/t/loja-a/marketplace/carrefour").status_code == 200
    response = client.post("/t/loja-a/marketplace/carrefour", data={"active": "no", "sla_normal": "PAC"})
    assert response.status_code == 403
    assert db.session.query(ConnectorSettings).count() == 0
    assert client.post("/t/loja-a/members", data={"email": "x@y.example", "role": "owner"}).status_code == 403


def test_secrets_are_encrypted_at_rest(db, tenant):
    save_settings(tenant, "carrefour", active=True, settings={"sla_normal": "PAC"},
                  secrets={"shop_key": "plain-shop-key-XYZ"})
    raw = " ".join(str(v) for row in db.session.execute(text(
        "SELECT t.secrets, c.secrets FROM tenant t JOIN connector_settings c ON c.tenant_id = t.id")) for v in row)
    assert "plain-shop-key-XYZ" not in raw and "token-loja-a-secret" not in raw and "key-loja-a" not in raw
    db.session.expire_all()
    fresh = db.session.get(Tenant, tenant.id)
    assert fresh.vtex_app_token == "token-loja-a-secret"


def test_secrets_never_reach_the_log_or_the_pages(client, db, owner, tenant, caplog, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    requests_mock.get("https://vtex.test/api/logistics/pvt/shipping-policies", json={"items": []})
    requests_mock.put("https://vtex.test/api/fulfillment/pvt/affiliates/CRF", status_code=204)
    requests_mock.post("https://vtex.test/api/orders/hook/config", status_code=200)
    login(client, owner.email)
    caplog.set_level("DEBUG")
    client.post("/t/loja-a/marketplace/carrefour", data={
        "active": "yes", "notification_email": "a@b.example", "shop_key": "very-secret-shop-key",
        "api_url": "https://mirakl.test", "divergence": "1", "trade_policy": "1", "affiliate_id": "CRF",
        "min_stock": "0", "sla_normal": "PAC"})
    pages = client.get("/t/loja-a/marketplace/carrefour").get_data(as_text=True) + \
        client.get("/t/loja-a/store").get_data(as_text=True)
    assert db.session.query(ConnectorSettings).one().active  # the save went through
    for secret in ("very-secret-shop-key", "token-loja-a-secret"):
        assert secret not in caplog.text
        assert secret not in pages


def test_foreign_ids_posted_under_ones_own_slug_are_a_404(client, db, owner, two_tenants):
    _, _, foreign_ids, _ = two_tenants
    login(client, owner.email)
    order_id = foreign_ids["order_id"]
    assert client.post(f"/t/loja-a/orders/{order_id}/accept").status_code == 404
    assert client.post("/t/loja-a/orders/reprocess", data={"order": [str(order_id)]}).status_code == 404
    assert db.session.get(MarketplaceOrder, order_id).status == "awaiting_decision"


def test_a_lookup_of_thousands_of_ids_finds_them_all_and_only_the_tenants_own(db, two_tenants):
    ours, foreign, _, _ = two_tenants
    skus = [str(n) for n in range(1, 2 * LOOKUP + 501)]
    db.session.execute(SkuBinding.__table__.insert(), [
        {"tenant_id": t.id, "connector_key": "carrefour", "sku_id": s, "product_state": "none", "offer_state": "none"}
        for t in (ours, foreign) for s in skus])
    found = list(scoped_among(SkuBinding, SkuBinding.sku_id, skus, ours, "carrefour"))
    assert sorted(int(b.sku_id) for b in found) == list(range(1, 2 * LOOKUP + 501))
    assert {b.tenant_id for b in found} == {ours.id}
    assert list(scoped_among(SkuBinding, SkuBinding.sku_id, skus, ours, "outro")) == []
