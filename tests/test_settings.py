"""Carrefour's settings form: the seed's rules, field errors, nothing saved on error, the key checked at Mirakl."""
import pytest

from saas.tenants.models import ConnectorSettings, SettingsAudit
from tests.conftest import login

URL = "/t/loja-a/marketplace/carrefour"
VALID = {"active": "yes", "notification_email": "ops@loja-a.example", "shop_key": "shop-key-123456",
         "shop_id": "", "api_url": "https://mirakl.test", "divergence": "2.5", "trade_policy": "1",
         "affiliate_id": "CRF", "min_stock": "0", "auto_accept": "y", "sla_normal": "Correios PAC",
         "sla_expressa": "", "sla_economica": "", "sla_agendada": ""}


@pytest.fixture
def signed_in(client, tenant, owner, requests_mock):
    requests_mock.get("https://vtex.test/api/logistics/pvt/shipping-policies", json={"items": [], "paging": {}})
    requests_mock.get("https://vtex.test/api/fulfillment/pvt/affiliates", json=[])
    requests_mock.put("https://vtex.test/api/fulfillment/pvt/affiliates/CRF", status_code=204)
    requests_mock.delete("https://vtex.test/api/fulfillment/pvt/affiliates/CRF", status_code=204)
    requests_mock.post("https://vtex.test/api/orders/hook/config", status_code=200)
    login(client, owner.email)
    return client


def saved(db):
    return db.session.query(ConnectorSettings).count()


def last_mirakl_request(requests_mock):
    return [r for r in requests_mock.request_history if r.hostname == "mirakl.test"][-1]


def post(client, **changes):
    return client.post(URL, data={**VALID, **changes})


def test_no_sla_mapping_is_a_field_error_and_nothing_is_saved(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "Loja A"})
    page = post(signed_in, sla_normal="").get_data(as_text=True)
    assert "Associe pelo menos um tipo de entrega" in page
    assert saved(db) == 0
    assert not any(r.hostname == "mirakl.test" for r in requests_mock.request_history)


@pytest.mark.parametrize("value", ["-1", "100.01", "abc"])
def test_divergence_outside_0_to_100_is_refused(signed_in, db, value):
    page = post(signed_in, divergence=value).get_data(as_text=True)
    assert "Informe um percentual entre 0 e 100" in page or "Not a valid decimal value" in page
    assert saved(db) == 0


def test_bad_email_is_refused(signed_in, db):
    assert "Informe um e-mail válido." in post(signed_in, notification_email="not-an-email").get_data(as_text=True)
    assert saved(db) == 0


def test_shop_key_rejected_by_mirakl_is_a_field_error(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", status_code=401, json={"message": "Unauthorized"})
    page = post(signed_in).get_data(as_text=True)
    assert "O Carrefour recusou esta chave" in page and "Unauthorized" not in page  # a fixed sentence, not the answer
    assert saved(db) == 0
    assert last_mirakl_request(requests_mock).headers["Authorization"] == "shop-key-123456"


def test_mirakl_unreachable_is_a_field_error(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", status_code=503, text="down")
    assert "O endereço respondeu com um erro (HTTP 503)" in post(signed_in).get_data(as_text=True)
    assert saved(db) == 0


def test_active_without_shop_key_is_refused(signed_in, db):
    assert "precisa da ShopKey" in post(signed_in, shop_key="").get_data(as_text=True)
    assert saved(db) == 0


def test_valid_settings_are_saved_audited_and_the_key_kept_masked(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 2001, "shop_name": "Loja A Carrefour"})
    response = post(signed_in, shop_id="2001")
    assert response.status_code == 302
    assert last_mirakl_request(requests_mock).qs["shop_id"] == ["2001"]
    row = db.session.query(ConnectorSettings).one()
    assert row.active and row.settings["divergence"] == 2.5 and row.settings["sla_normal"] == "Correios PAC"
    assert row.secrets == {"shop_key": "shop-key-123456"}
    audit = db.session.query(SettingsAudit).one()
    assert audit.action == "activate"
    assert audit.changes["shop_key"]["to"].endswith("3456") and "shop-key" not in str(audit.changes)
    assert all(change["to"] not in (None, "", {}) for change in audit.changes.values())  # only what was filled
    page = signed_in.get(URL).get_data(as_text=True)
    assert "Loja A Carrefour" in page  # the shop name Mirakl gave
    assert "shop-key-123456" not in page and "3456" in page


def test_saving_again_without_retyping_the_key_keeps_it(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    post(signed_in)
    post(signed_in, shop_key="", divergence="7")
    row = db.session.query(ConnectorSettings).one()
    assert row.secrets["shop_key"] == "shop-key-123456" and row.settings["divergence"] == 7.0
    assert last_mirakl_request(requests_mock).headers["Authorization"] == "shop-key-123456"
    last = db.session.query(SettingsAudit).order_by(SettingsAudit.id.desc()).first()
    assert set(last.changes) == {"divergence"}
    page = signed_in.get(URL).get_data(as_text=True)
    assert '<label for="divergence">Taxa de divergência (%)</label>' in page
    assert "<strong>Taxa de divergência (%)</strong>: 2,5 → 7" in page  # the form's own label, numbers as in Brazil
    assert "— → —" not in page  # a field blank before and after did not change


def test_inactive_settings_are_saved_without_calling_mirakl(signed_in, db, requests_mock):
    assert post(signed_in, active="no", shop_key="").status_code == 302
    assert not any(r.hostname == "mirakl.test" for r in requests_mock.request_history)
    assert db.session.query(ConnectorSettings).one().active is False


def test_carrier_choices_come_from_vtex_when_its_credentials_work(signed_in, requests_mock):
    requests_mock.get("https://vtex.test/api/logistics/pvt/shipping-policies",
                      json={"items": [{"id": "1", "name": "Transportadora Expressa"}], "paging": {"pages": 1}})
    page = signed_in.get(URL).get_data(as_text=True)
    assert '<option value="Transportadora Expressa">' in page
    assert requests_mock.last_request.headers["X-VTEX-API-AppKey"] == "key-loja-a"


def test_carrier_fields_are_free_text_when_vtex_fails(signed_in, requests_mock):
    requests_mock.get("https://vtex.test/api/logistics/pvt/shipping-policies", status_code=401)
    page = signed_in.get(URL).get_data(as_text=True)
    assert "vtex-carriers" not in page and 'name="sla_normal"' in page


def vtex_calls(requests_mock, method):
    return [r for r in requests_mock.request_history if r.hostname == "vtex.test" and r.method == method
            and "affiliates" in r.path]


def test_activation_registers_the_affiliate_and_queues_the_initial_load(app, signed_in, db, tenant, requests_mock):
    from rq import Queue

    from saas.extensions import redis_connection
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    assert post(signed_in).status_code == 302
    (put,) = vtex_calls(requests_mock, "PUT")
    body = put.json()
    assert put.path == "/api/fulfillment/pvt/affiliates/crf"
    assert body["salesChannel"] == "1" and body["followUpEmail"] == "ops@loja-a.example"
    db.session.refresh(tenant)
    assert body["searchURIEndpoint"] == f"http://portal.test/api/vtex/loja-a/{tenant.webhook_secret}/notification"
    assert Queue("sync", connection=redis_connection()).job_ids == [f"initial-load-{tenant.id}-carrefour"]


def test_vtex_refusing_the_affiliate_is_a_field_error_and_nothing_is_saved(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    requests_mock.put("https://vtex.test/api/fulfillment/pvt/affiliates/CRF", status_code=403,
                      json={"error": {"message": "Forbidden: missing role Save Order Configuration"}})
    page = post(signed_in).get_data(as_text=True)
    assert "A VTEX não registrou o afiliado: O endereço recusou as credenciais (HTTP 403)" in page
    assert "missing role" not in page
    assert saved(db) == 0


def test_deactivation_deletes_the_affiliate_and_erases_the_shop_key(signed_in, db, requests_mock):
    from saas.bridge.models import BridgeEntry
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    post(signed_in)
    assert post(signed_in, active="no", shop_key="").status_code == 302
    assert len(vtex_calls(requests_mock, "DELETE")) == 1
    row = db.session.query(ConnectorSettings).one()
    assert row.active is False and row.secrets == {}
    entry = db.session.query(BridgeEntry).filter_by(entity="integration").one()
    assert "afiliado CRF excluído" in entry.text and "ShopKey apagada" in entry.text
    assert db.session.query(SettingsAudit).order_by(SettingsAudit.id.desc()).first().action == "deactivate"


def test_activation_registers_the_order_hook_and_survives_its_refusal(signed_in, db, requests_mock):
    from saas.bridge.models import BridgeEntry
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "A"})
    requests_mock.post("https://vtex.test/api/orders/hook/config", status_code=400,
                       json={"error": {"message": "The hook URL did not answer the ping"}})
    assert post(signed_in).status_code == 302  # the integration is on: callbacks still bring the events
    assert db.session.query(BridgeEntry).filter_by(entity="integration", status="warning").count() == 0
    from saas.catalog import activation  # tried again a minute later, and told only when it keeps failing
    tenant_id = db.session.query(ConnectorSettings).one().tenant_id
    assert activation.configure_hook(tenant_id, "carrefour", activation.HOOK_ATTEMPTS) == "failed"
    warning = db.session.query(BridgeEntry).filter_by(entity="integration", status="warning").one()
    assert "did not answer the ping" in warning.text
    hook = [r for r in requests_mock.request_history if r.path == "/api/orders/hook/config"][0].json()
    assert hook["filter"]["type"] == "FromWorkflow" and "invoiced" in hook["filter"]["status"]


def test_saving_the_settings_keeps_what_other_pages_keep_there(signed_in, db, requests_mock):
    requests_mock.get("https://mirakl.test/api/account", json={"shop_id": 1, "shop_name": "Loja A"})
    assert post(signed_in).status_code == 302
    row = db.session.query(ConnectorSettings).one()
    row.settings = {**row.settings, "price_rules": [{"target": "all", "markup_pct": 16}], "price_drop_guard": 20}
    db.session.commit()
    assert post(signed_in, divergence="3").status_code == 302
    db.session.expire_all()
    row = db.session.query(ConnectorSettings).one()
    assert row.settings["price_rules"] == [{"target": "all", "markup_pct": 16}] and row.settings["divergence"] == 3
    history = signed_in.get(URL).get_data(as_text=True)
    assert "Taxa de divergência" in history
