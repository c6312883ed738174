"""Pendências: what waits for the merchant on one page, counted in the header, each item with its action; an item
leaves once handled. A cause is explained only by a settings change that can bring it, never by the activation."""
import re
from datetime import timedelta

from saas import bridge
from saas.bridge.models import BridgeEntry
from saas.catalog.models import SkuBinding, SkuChange
from saas.i18n import msg
from saas.orders.models import MarketplaceOrder, OrderAttempt
from saas.tenants.settings import load_settings, save_settings
from saas.timeutil import utcnow
from tests.conftest import add_member, login, make_tenant, make_user
from tests.factories import CarrefourSettings

SETTINGS = CarrefourSettings(divergence=5.0)
NO_IMAGE = {"code": "no_image", "key": "The SKU has no image at VTEX (the marketplace requires at least one).",
            "params": {}}


def _order(db, tenant, mkt_id, status, cause=None, minutes_ago=5):
    order = MarketplaceOrder(tenant_id=tenant.id, connector_key="carrefour", marketplace_order_id=mkt_id,
                             marketplace_state="SHIPPING", marketplace_updated_at="2026-12-08T00:00:00Z",
                             status=status, cause=cause, raw={}, history=[])
    db.session.add(order)
    db.session.flush()
    if cause:
        db.session.add(OrderAttempt(tenant_id=tenant.id, order_id=order.id, series=0, number=1, outcome="failed",
                                    cause=cause, started_at=utcnow() - timedelta(minutes=minutes_ago)))
    return order


def _store_with_everything(db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "k" * 8},
                  user=owner, action="activate")
    db.session.add_all([
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1001", title="Camiseta Azul",
                   product_state="listed", offer_state="live", price_cents=5990, held_price_cents=990,
                   held_reason="drop"),
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1002", title="Camiseta Verde",
                   product_state="not_ready", offer_state="none", readiness=[NO_IMAGE])])
    _order(db, tenant, "CRF000001-A", "failed", "shipping_unmapped")
    _order(db, tenant, "CRF000002-A", "importing", "shipping_unmapped")  # still retrying, same cause
    _order(db, tenant, "CRF000003-A", "awaiting_decision")
    _order(db, tenant, "CRF000004-A", "imported")
    bridge.record(tenant.id, "integration", "carrefour", "warning", msg("Carrefour rejected the key."),
                  details=bridge.KEY_REFUSED, connector_key="carrefour")
    other = make_tenant(owner, "loja-b")  # another store's pending items are never counted here
    _order(db, other, "CRF000009-A", "failed", "out_of_stock")
    db.session.commit()


def test_everything_that_waits_is_on_one_page_counted_in_the_header(client, db, owner, tenant):
    _store_with_everything(db, owner, tenant)
    login(client, owner.email)
    page = client.get("/t/loja-a/").get_data(as_text=True)
    assert re.search(r'Pendências <span class="badge count" aria-label="6 itens esperam por você">6</span>', page)

    page = client.get("/t/loja-a/pending/").get_data(as_text=True)
    assert "O Carrefour recusou a chave" in page and 'href="/t/loja-a/marketplace/carrefour"' in page
    assert "tipo de entrega sem transportadora</strong></a>: 2 pedidos (1 ainda tentando)." in page
    assert "Mapeie o tipo de entrega a uma transportadora da VTEX" in page
    assert "Começou" not in page  # the only settings change is the activation: it explains nothing
    assert "1 pedido espera que você o aceite ou recuse" in page
    assert "Preços retidos para o Carrefour" in page and "R$\xa09,90" in page
    assert "SKUs não enviados ao Carrefour" in page and "1 SKU" in page
    assert "CRF000009-A" not in page and "falta de estoque" not in page

    # Each action, from the page, back to it.
    back = "/t/loja-a/pending/"
    response = client.post("/t/loja-a/pricing/carrefour/approve", data={"sku": "1001", "back": back})
    assert response.headers["Location"] == back
    client.post("/t/loja-a/orders/reprocess", data={"cause": "shipping_unmapped", "back": back})
    assert {o.marketplace_order_id: (o.status, o.series) for o in db.session.query(MarketplaceOrder)
            .filter(MarketplaceOrder.marketplace_order_id.in_(("CRF000001-A", "CRF000002-A")))} == \
        {"CRF000001-A": ("importing", 1), "CRF000002-A": ("importing", 1)}  # the retrying one too, now
    client.post("/t/loja-a/catalog/resend", data={"connector": "carrefour", "reason": "no_image", "back": back})
    assert {c.sku_id for c in db.session.query(SkuChange)} >= {"1001", "1002"}

    row = load_settings(tenant, "carrefour")
    save_settings(tenant, "carrefour", active=True, settings=row.settings, secrets={"shop_key": "n" * 8},
                  user=owner)  # a new key saved: the refusal is behind
    page = client.get(back).get_data(as_text=True)
    assert "recusou a chave" not in page


def test_the_pending_page_is_the_stores_own_and_a_viewer_sees_it_without_actions(client, db, owner, tenant):
    _store_with_everything(db, owner, tenant)
    viewer = make_user("viewer@loja-a.example")
    add_member(viewer, tenant, "viewer")
    login(client, viewer.email)
    page = client.get("/t/loja-a/pending/").get_data(as_text=True)
    assert "Preços retidos" in page and "Aprovar os preços retidos selecionados" not in page
    assert client.get("/t/loja-b/pending/").status_code == 404


def test_an_empty_store_has_nothing_pending(client, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "k" * 8})
    login(client, owner.email)
    assert "badge count" not in client.get("/t/loja-a/").get_data(as_text=True)
    assert "Nada espera por você" in client.get("/t/loja-a/pending/").get_data(as_text=True)


def test_a_key_taken_again_by_the_marketplace_is_no_longer_pending(client, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "k" * 8})
    bridge.record(tenant.id, "integration", "carrefour", "warning", msg("Carrefour rejected the key."),
                  details=bridge.KEY_REFUSED, connector_key="carrefour")
    bridge.record(tenant.id, "integration", "carrefour", "success", msg("Key accepted."),
                  details=bridge.KEY_ACCEPTED, connector_key="carrefour")
    login(client, owner.email)
    assert db.session.query(BridgeEntry).count() == 2
    assert "recusou a chave" not in client.get("/t/loja-a/pending/").get_data(as_text=True)
