"""The Bridge groups the last day's errors by cause: one line per cause with how many SKUs or orders it hit."""
from datetime import timedelta

from saas import bridge
from saas.bridge.models import BridgeEntry
from saas.i18n import msg
from saas.tenants.models import SettingsAudit
from saas.tenants.settings import save_settings
from saas.timeutil import utcnow
from tests.conftest import login, make_tenant

NO_IMAGE = "The SKU has no image at VTEX (the marketplace requires at least one)."


def test_errors_are_grouped_by_cause_with_their_count_and_filtered_by_it(client, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings={"trade_policy": "1"}, secrets={"shop_key": "k"},
                  user=owner)
    audit = db.session.query(SettingsAudit).one()
    audit.created_at = utcnow() - timedelta(minutes=3)  # the change just before the errors started
    for sku in ("1001", "1002", "1002"):  # the same SKU twice counts once
        bridge.record(tenant.id, "product", sku, "error", msg(NO_IMAGE), connector_key="carrefour")
    for sku in ("1003", "1004", "1005"):
        bridge.record(tenant.id, "product", sku, "error",
                      msg("The EAN %(ean)s is not a valid GTIN (8, 12, 13 or 14 digits, the last one a check digit): "
                          "correct it at VTEX.", ean=f"78900{sku}"), connector_key="carrefour")
    bridge.record(tenant.id, "product", "1006", "success", msg("Product listed."), connector_key="carrefour")
    old = bridge.record(tenant.id, "product", "1007", "error", msg(NO_IMAGE), connector_key="carrefour")
    old.created_at = utcnow() - timedelta(days=2)  # older than a day: history, not a current cause
    other = make_tenant(owner, "loja-b")
    bridge.record(other.id, "product", "2001", "error", msg(NO_IMAGE), connector_key="carrefour")
    db.session.commit()
    login(client, owner.email)
    page = client.get("/t/loja-a/bridge/product").get_data(as_text=True)
    assert "Erros das últimas 24 horas por causa" in page
    assert "O EAN … não é um GTIN válido (8, 12, 13 ou 14 dígitos, o último um dígito verificador): corrija-o na " \
           "VTEX.</a>: 3" in page
    assert "O SKU não tem imagem na VTEX (o marketplace exige ao menos uma).</a>: 2" in page
    assert f"Começou 3 min depois de {owner.email} alterar" in page
    listed = client.get(f"/t/loja-a/bridge/product?cause={NO_IMAGE}").get_data(as_text=True)
    shown = {e.entity_id for e in db.session.query(BridgeEntry).filter_by(tenant_id=tenant.id)
             if f">{e.entity_id}<" in listed}
    assert shown == {"1001", "1002", "1007"}  # every entry of that cause, the older one too
