"""A real browser (Debian's Chromium, driven by Playwright) signs in, opens Carrefour's settings, submits them
without an SLA mapping and sees the error; CSRF stays on, as in production."""
import os

import pytest

from saas import create_app
from tests.conftest import PASSWORD, make_tenant, make_user, serve

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture
def live_server(app):
    live = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL",
                                                      "RATELIMIT_STORAGE_URI", "MIRAKL_DEFAULT_URL")},
                       "WTF_CSRF_ENABLED": True})
    live.extensions["egress"] = app.extensions["egress"]  # the simulators the tests start are reachable from both
    with serve(live) as url:
        yield url


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser.new_page(locale="pt-BR")
        browser.close()


def test_sign_in_and_submit_carrefour_settings_without_sla(live_server, page, db):
    owner = make_user("browser@loja.example")
    make_tenant(owner, "loja-browser", vtex_base_url="http://127.0.0.1:9")  # VTEX unreachable: free-text carriers
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "browser@loja.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/t/loja-browser/")
    page.click("text=Marketplace")
    page.click("[data-connector=carrefour] >> text=Integrar")
    page.check("input[name=active][value=no]")
    page.fill("input[name=notification_email]", "ops@loja.example")
    page.click("text=Salvar Configuração")
    error = page.locator(".field.has-error .error").first
    assert "Associe pelo menos um tipo de entrega" in error.inner_text()
    assert page.locator("input[name=sla_normal]").is_visible()
    from saas.tenants.models import ConnectorSettings
    assert db.session.query(ConnectorSettings).count() == 0


def test_a_decimal_comma_is_kept_by_a_browser_in_english(live_server, db):
    """"12,5" typed in a % field is 12.5, whatever the browser's own locale (a number input would drop the comma)."""
    from playwright.sync_api import sync_playwright
    owner = make_user("comma@loja.example")
    make_tenant(owner, "loja-comma", vtex_base_url="http://127.0.0.1:9")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(locale="en-US")
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "comma@loja.example")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.goto(f"{live_server}/t/loja-comma/marketplace/carrefour")
        page.check("input[name=active][value=no]")
        page.fill("input[name=divergence]", "12,5")
        page.fill("input[name=sla_normal]", "Normal")
        page.click("button.primary >> nth=-1")
        page.wait_for_load_state()
        browser.close()
    from saas.tenants.models import ConnectorSettings
    assert db.session.query(ConnectorSettings).one().settings["divergence"] == 12.5
