"""VTEX's SKU change notifications: read whatever their casing, stored merged per SKU, answered at once."""
import pytest

from saas.catalog.models import SkuChange


@pytest.fixture
def url(active_tenant):
    return f"/api/vtex/loja-a/{active_tenant.webhook_secret}/notification"


def stored(db):
    return {c.sku_id: c for c in db.session.query(SkuChange).all()}


def test_a_notification_is_stored_and_answered(client, db, url, tenant):
    """Stored for the store's active marketplace (Carrefour here), whose next sync takes it."""
    response = client.post(url, json={"IdSku": "1001", "An": "lojaa", "IdAffiliate": "CRF", "PriceModified": True,
                                      "StockModified": False, "IsActive": True})
    assert response.status_code == 200 and response.get_json() == {"received": "1001"}
    change = stored(db)["1001"]
    assert change.tenant_id == tenant.id and change.connector_key == "carrefour"
    assert change.price_modified and not change.stock_modified


def test_fields_are_read_case_insensitively_and_idsku_may_be_a_number(client, db, url):
    client.post(url, json={"idSKU": 1002, "an": "lojaa", "isActive": False, "hasStockKeepingUnitModified": True})
    change = stored(db)["1002"]
    assert change.is_active is False and change.catalog_modified is True


def test_a_second_notification_merges_into_the_pending_change(client, db, url):
    client.post(url, json={"IdSku": "1001", "PriceModified": True})
    client.post(url, json={"IdSku": "1001", "StockModified": True, "HasStockKeepingUnitRemovedFromAffiliate": True})
    changes = stored(db)
    assert len(changes) == 1
    change = changes["1001"]
    assert change.price_modified and change.stock_modified and change.removed_from_affiliate
    assert change.version == 2


@pytest.mark.parametrize("body, reason", [
    (None, "not valid JSON"), ([1, 2], "JSON object"), ({"An": "x"}, "IdSku is required"),
    ({"IdSku": "abc"}, "1 to 18 digits"), ({"IdSku": "1" * 401}, "1 to 18 digits"),
    ({"IdSku": True}, "IdSku is required"),
    ({"IdSku": "1", "PriceModified": "maybe"}, "pricemodified must be true or false"),
])
def test_a_malformed_notification_is_a_400_with_the_reason_and_stores_nothing(client, db, url, body, reason):
    response = client.post(url, json=body) if body is not None else client.post(url, data="{not json",
                                                                                content_type="application/json")
    assert response.status_code == 400 and reason in response.get_json()["error"]
    assert stored(db) == {}


def test_unknown_tenant_and_wrong_secret_are_the_same_404(client, db, tenant):
    wrong = client.post("/api/vtex/loja-a/not-the-secret/notification", json={"IdSku": "1"})
    unknown = client.post(f"/api/vtex/no-such-store/{tenant.webhook_secret}/notification", json={"IdSku": "1"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()
    assert stored(db) == {}
