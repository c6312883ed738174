"""Alerts to a store's webhook, signed, as they happen; the daily digest of each store's marketplace."""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from rq import Queue

from saas import alerts, digest
from saas.catalog.models import SkuBinding
from saas.extensions import redis_connection
from saas.jobs import schedule
from saas.jobs.models import JobSchedule
from saas.mail import OutboxMessage
from saas.orders.models import MarketplaceOrder
from saas.tenants.settings import load_settings, save_settings
from saas.timeutil import utcnow
from tests.conftest import add_member, login, make_tenant, make_user
from tests.factories import CarrefourSettings

HOOK = "https://hooks.agencia.example/T000/B000/segredo"
SETTINGS = CarrefourSettings(api_url="https://mirakl.test", notification_email="ops@loja.example", sla_normal="PAC")


def queued():
    return Queue("default", connection=redis_connection()).jobs


@pytest.mark.parametrize("url, production, problem", [
    ("https://hooks.slack.com/services/T/B/x", True, None),
    ("http://hooks.slack.com/services/T/B/x", True, "scheme"),
    ("http://hooks.slack.com/services/T/B/x", False, None),
    ("https://10.0.0.5/hook", True, "private"),
    ("https://127.0.0.1:8080/hook", True, "private"),
    ("http://127.0.0.1:9000/hook", False, "private"),  # nothing private in any environment
    ("https://localhost/hook", True, "private"),
    ("https://2130706433/hook", False, "private"),
    ("https://100.64.1.1/hook", False, "private"),
    ("https://[ff02::1]/hook", False, "private"),
    ("ftp://example.com/hook", False, "scheme"),
])
def test_an_alert_webhook_must_be_on_the_internet(app, monkeypatch, url, production, problem):
    monkeypatch.setattr(app.extensions["egress"], "production", production)
    refused = alerts.address_refused(url)
    assert (refused.reason if refused else None) == problem


def test_an_alert_goes_signed_to_the_stores_webhook_and_a_failure_is_retried(app, db, tenant, requests_mock):
    alerts.alert(tenant, "order_failed", "nothing configured")
    assert queued() == []  # no webhook: nothing queued
    secret = alerts.configure(tenant, HOOK)
    db.session.commit()
    assert "alert_webhook_url" in tenant.secrets and HOOK not in str(db.session.execute(
        db.text("select secrets from tenant where id = :id"), {"id": tenant.id}).scalar())  # encrypted at rest
    alerts.alert(tenant, "order_failed", "Pedido 123 não integrado", order="123", cause="out_of_stock")
    (job,) = queued()
    requests_mock.post(HOOK, status_code=200)
    assert job.perform() == "delivered"
    sent = requests_mock.last_request
    assert sent.headers[alerts.SIGNATURE_HEADER] == "sha256=" + hmac.new(secret.encode(), sent.body,
                                                                          hashlib.sha256).hexdigest()
    body = json.loads(sent.body)
    assert body["event"] == "order_failed" and body["store"] == "loja-a" and body["order"] == "123"
    assert body["text"] == "Pedido 123 não integrado" and sent.headers[alerts.EVENT_HEADER] == "order_failed"

    requests_mock.post(HOOK, status_code=503)
    with pytest.raises(alerts.WebhookError):  # RQ retries it (its policy: 5 times over about an hour)
        job.perform()
    requests_mock.post(HOOK, status_code=410)
    assert job.perform() == "refused 410"
    assert alerts.configure(tenant, HOOK + "/novo") == secret  # a new URL keeps the secret the agency has
    alerts.configure(tenant, None)
    db.session.commit()
    assert job.perform() == "no webhook"


def test_a_refused_key_is_alerted_as_it_happens(app, db, tenant, requests_mock):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "key-123456789"})
    alerts.configure(tenant, HOOK)
    db.session.commit()
    requests_mock.get("https://mirakl.test/api/account", status_code=401, json={"message": "Invalid API key"})
    assert schedule.run_periodic("credentials", tenant.id, "carrefour") == "rejected"
    alert = next(j for j in queued() if j.func_name == "saas.alerts.deliver")
    body = json.loads(alert.args[1])
    assert body["event"] == "key_refused" and "Invalid API key" in body["detail"] and "recusada" in body["text"]


def test_the_store_page_sets_the_webhook_shows_its_secret_and_refuses_a_bad_address(client, db, owner, tenant):
    login(client, owner.email)
    page = client.post("/t/loja-a/store/alerts", data={"webhook_url": "ftp://x"}).get_data(as_text=True)
    assert "Nada foi salvo" in page and alerts.webhook_of(tenant) is None
    client.post("/t/loja-a/store/alerts", data={"webhook_url": HOOK})
    db.session.refresh(tenant)
    url, secret = alerts.webhook_of(tenant)
    page = client.get("/t/loja-a/store").get_data(as_text=True)
    assert url == HOOK and secret in page and "Alertas" in page
    viewer = make_user("viewer@loja-a.example")
    add_member(viewer, tenant, "viewer")
    client.post("/logout")
    login(client, viewer.email)
    page = client.get("/t/loja-a/store").get_data(as_text=True)
    assert secret not in page and HOOK not in page
    assert client.post("/t/loja-a/store/alerts", data={"webhook_url": ""}).status_code == 403


def _day(db, tenant, connector_key="carrefour"):
    now = utcnow()
    db.session.add_all([
        MarketplaceOrder(tenant_id=tenant.id, connector_key=connector_key, marketplace_order_id=f"OK-{n}",
                         marketplace_state="SHIPPING", marketplace_updated_at="", status="imported") for n in range(3)])
    db.session.add_all([
        MarketplaceOrder(tenant_id=tenant.id, connector_key=connector_key, marketplace_order_id=f"F-{n}",
                         marketplace_state="SHIPPING", marketplace_updated_at="", status="failed", cause=cause)
        for n, cause in enumerate(["out_of_stock", "out_of_stock", "price_divergence"])])
    db.session.add_all([
        SkuBinding(tenant_id=tenant.id, connector_key=connector_key, sku_id="2001", product_state="not_ready",
                   readiness=[{"code": "brand", "key": "The SKU has no brand at VTEX.", "params": None}]),
        SkuBinding(tenant_id=tenant.id, connector_key=connector_key, sku_id="2002", product_state="pending",
                   product_sent_at=now - timedelta(hours=30))])
    db.session.commit()


def test_the_digest_counts_the_stores_day_and_mails_it(app, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "key-123456789"})
    _day(db, tenant)
    _day(db, make_tenant(owner, "loja-b"))  # another store's day is not in this one's digest
    assert digest.send_digest(tenant, load_settings(tenant, "carrefour")) == {
        "integrated": 3, "failed": 3, "not_ready": 1, "mailed": True}
    (mail,) = db.session.query(OutboxMessage).all()
    assert mail.to == "ops@loja.example" and "Carrefour" in mail.subject and "resumo do dia" in mail.subject
    assert "3 pedidos integrados à VTEX nas últimas 24 horas." in mail.body
    assert "3 pedidos falharam:" in mail.body and "  - sem estoque na VTEX: 2" in mail.body
    assert "  - divergência de preço: 1" in mail.body
    assert "1 SKU não pronto" in mail.body and "  - O SKU não tem marca na VTEX.: 1" in mail.body
    assert "1 produto aguardando a aprovação do Carrefour" in mail.body


def test_the_digest_can_be_seen_before_it_comes(client, db, owner, tenant):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "key-123456789"})
    _day(db, tenant)
    login(client, owner.email)
    settings = client.get("/t/loja-a/marketplace/carrefour").get_data(as_text=True)
    assert 'href="/t/loja-a/marketplace/carrefour/digest"' in settings
    page = client.get("/t/loja-a/marketplace/carrefour/digest").get_data(as_text=True)
    assert "Como ops@loja.example o recebe todo dia" in page and "resumo do dia" in page
    assert "3 pedidos integrados à VTEX nas últimas 24 horas." in page and "  - sem estoque na VTEX: 2" in page
    assert db.session.query(OutboxMessage).count() == 0  # seen, not sent
    assert client.get("/t/loja-a/marketplace/nada/digest").status_code == 404


def test_a_new_stores_first_digest_comes_a_day_later_then_every_day(app, db, tenant):
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "key-123456789"})
    assert schedule.tick("digest") == []  # not at once
    row = db.session.query(JobSchedule).filter_by(kind="digest").one()
    assert row.next_run_at > utcnow() + timedelta(hours=23)
    row.next_run_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert len(schedule.tick("digest")) == 1
