"""The merchant's walk in a real browser (Debian's Chromium through Playwright), in pt-BR at 1366 px, against both
simulators: sign up, configure and activate Carrefour, watch a price reach Carrefour in the Catálogo, find an order
that failed on an unmapped shipping type, fix the mapping, *Reprocessar agora*, see it integrated. axe-core checks
every page on the way, and the main pages again at 390 px, where nothing may be wider than the screen.

The jobs a worker would run are run by the test, between clicks, so each step is deterministic."""
import os

import pytest
import requests

from saas import create_app
from saas.catalog import activation
from saas.catalog.models import SkuChange
from saas.tenants.models import Tenant
from tests.browser.test_portal_browser import CHROMIUM, pytestmark  # noqa: F401 (skipped without Chromium)
from tests.catalog.test_sync_e2e import World
from tests.conftest import PASSWORD, public
from tests.orders.conftest import Shop

SERIOUS = ("serious", "critical")
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def live(app):
    live = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RATELIMIT_STORAGE_URI",
                                                      "MIRAKL_DEFAULT_URL")},
                       "WTF_CSRF_ENABLED": True, "REPORT_DELAY": 0})
    live.extensions["egress"] = app.extensions["egress"]  # the simulators the tests start are reachable from both
    with public(live) as url:
        yield url


def accessible(page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert serious == [], page.url


def fits(page) -> None:
    """Nothing wider than the screen: wide tables scroll inside their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wider = page.evaluate("""limit => [...document.querySelectorAll('body *')]
        .filter(e => (e.getBoundingClientRect().right > limit || e.scrollWidth > e.clientWidth + 1)
                     && !(e.parentElement && e.parentElement.closest('.scroll')))
        .slice(0, 6).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 60))""",
                          page.viewport_size["width"])
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide: {wider}"


# Every word of a table's text, and each whole id, date and badge, as the lines the browser laid out: a piece that
# spans two lines was broken inside. Prose may still break at a hyphen, as typesetting does; ids and dates never.
WORDS_BROKEN = """() => {
  const broken = [], lines = range => new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                .map(r => Math.round(r.top))).size;
  const whole = 'td.id, td.date, .badge, td.num';
  for (const table of document.querySelectorAll('main table')) {
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      const parent = node.parentElement;  // a <small> beside an id is prose: a product's title, a note
      const unit = parent.closest(whole) && parent.tagName !== 'SMALL' ? /\\S+/g : /[^\\s-]+/g;
      for (const m of node.textContent.matchAll(unit)) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        if (lines(range) > 1) broken.push(m[0]);
      }
    }
    if (table.querySelector('tbody td') === null) broken.push('(an empty table)');
  }
  return broken;
}"""


def screen(page) -> None:
    """With ``SCREENS`` set to a folder, the page as it looks now is saved there (how docs/screens/ is made)."""
    if os.environ.get("SCREENS"):
        name = page.url.split("/t/loja-walk/", 1)[1].strip("/").replace("/", "-") or "painel"
        width, height = page.viewport_size["width"], page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=f"{os.environ['SCREENS']}/{name}-{width}.png", full_page=True,
                        clip={"x": 0, "y": 0, "width": width, "height": min(height, 2400)})


def words_whole(page) -> None:
    """No word, id, date or badge of the page's tables breaks across lines (and the page has tables to read). Read
    once the page and its stylesheet have loaded: a click that navigates returns before that, and a table laid out
    without its styles breaks ids at their hyphens."""
    page.wait_for_load_state("load")
    screen(page)
    assert page.locator("main table").count(), page.url
    assert page.evaluate(WORDS_BROKEN) == [], page.url


def cards(page) -> None:
    """At a phone's width each row of a list is a card, its facts one under the other."""
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.querySelector('table.list tbody tr')).display") == "block", \
        page.url


def test_the_merchants_walk(live, browser, db, vtex_sim, mirakl_sim):
    page = browser.new_page(locale="pt-BR", viewport=DESKTOP)
    page.goto(f"{live}/signup")
    accessible(page)
    for name, value in {"email": "dona@loja.example", "password": PASSWORD, "confirm": PASSWORD,
                        "name": "Loja Walk", "slug": "loja-walk", "vtex_account": "lojademo",
                        "vtex_app_key": vtex_sim.config["APP_KEY"], "vtex_app_token": vtex_sim.config["APP_TOKEN"],
                        "vtex_base_url": vtex_sim.config["URL"]}.items():
        page.fill(f"input[name={name}]", value)
    page.click("text=Criar conta")
    page.wait_for_url("**/t/loja-walk/marketplace")
    accessible(page)

    # Configure and activate Carrefour; "Normal" mapped, "Agendada" forgotten.
    page.click("[data-connector=carrefour] >> text=Integrar")
    page.check("input[name=active][value=yes]")
    page.fill("input[name=notification_email]", "dona@loja.example")
    page.fill("input[name=shop_key]", mirakl_sim.config["SHOP_KEY"])
    page.fill("input[name=divergence]", "5")
    page.fill("input[name=sla_normal]", "Normal")
    page.click("summary >> text=Avançado")
    page.fill("input[name=api_url]", mirakl_sim.config["URL"])
    page.click("text=Salvar Configuração")
    assert "Chave verificada" in page.inner_text("main")
    accessible(page)

    tenant = db.session.query(Tenant).filter_by(slug="loja-walk").one()
    world = World(None, db, tenant, vtex_sim, mirakl_sim)
    activation.initial_load(tenant.id, "carrefour")
    world.cycle()
    world.cycle()  # the products approved, their offers go
    page.click("nav.tabs >> text=Catálogo")
    accessible(page)
    assert "listado" in page.inner_text("table.catalog")

    # A price changed at VTEX reaches Carrefour, and the Catálogo says so.
    sku = next(s for s in vtex_sim.extensions["store"].all("sku") if s["AlternateIds"]["Ean"] and s["price"] > 0)
    world.vtex_admin(sku["Id"], price=158752)
    world.wait_for_change(str(sku["Id"]))
    world.cycle()
    assert world.offers()[str(sku["Id"])]["price"] == 1587.52
    page.fill("input[name=q]", str(sku["Id"]))
    page.click("text=Filtrar")
    assert "R$ 1.587,52" in page.inner_text("table.catalog").replace("\xa0", " ")
    assert db.session.query(SkuChange).count() == 0

    # A price that falls 90 % is held; Pendências (counted in the header) lets the merchant approve it.
    world.vtex_admin(sku["Id"], price=15875)
    world.wait_for_change(str(sku["Id"]))
    world.cycle()
    assert world.offers()[str(sku["Id"])]["price"] == 1587.52
    page.click("nav.tabs >> text=Pendências")
    accessible(page)
    assert "Preços retidos para o Carrefour" in page.inner_text("main")
    words_whole(page)
    page.click("text=Aprovar os preços retidos selecionados")
    assert "1 preço retido aprovado" in page.inner_text("main")
    world.cycle()
    assert world.offers()[str(sku["Id"])]["price"] == 158.75
    world.vtex_admin(sku["Id"], price=158752)  # back up (a rise is never held), where the orders below expect it
    world.wait_for_change(str(sku["Id"]))
    world.cycle()

    # An order on the unmapped "Agendada" fails and says why; the merchant maps it and reprocesses at once.
    shop = Shop(None, db, tenant, vtex_sim, mirakl_sim)
    shop.stock(sku["Id"], 10)
    mkt_id = shop.carrefour_order(sku["Id"], shipping_type="AGENDADA", state="SHIPPING")
    shop.poll()
    shop.import_pending()
    page.click("nav.tabs >> text=Pedidos")
    accessible(page)
    assert "tentando novamente 2/5" in page.inner_text("main")
    page.click(f"text={mkt_id}")
    assert "não está associado a uma transportadora" in page.inner_text("main")
    accessible(page)
    page.click("nav.tabs >> text=Marketplace")
    page.click("[data-connector=carrefour] >> text=Configurar")
    page.fill("input[name=sla_agendada]", "Agendada")
    page.click("text=Salvar Configuração")
    assert "Configuração salva" in page.inner_text("main")
    page.click("nav.tabs >> text=Pendências")
    assert "tipo de entrega sem transportadora" in page.inner_text("main")
    screen(page)
    page.click("text=Reprocessar agora todos desta causa")
    assert shop.import_pending() == {mkt_id: "imported"}
    page.click("nav.tabs >> text=Pedidos")
    page.click(f"text={mkt_id}")
    assert "integrado" in page.inner_text("main")
    assert len(shop.vtex_orders()) == 1
    words_whole(page)
    for tab in ("Pedidos", "Catálogo", "Bridge"):
        page.click(f"nav.tabs >> text={tab}")
        words_whole(page)

    # Carrefour's quotes, one failing while VTEX errs, on the Frete page; the failed one replayed.
    quote = f"{live}/api/carrefourintegration/pub/loja-walk/freight?postalCode=01310100&items={sku['Id']}:1"
    assert requests.get(quote).status_code == 200
    requests.post(f"{vtex_sim.config['URL']}/_admin/knobs", json={"error_rate": 1.0}).raise_for_status()
    assert requests.get(quote.replace("01310100", "04538133")).status_code == 503
    requests.post(f"{vtex_sim.config['URL']}/_admin/knobs", json={"error_rate": 0.0}).raise_for_status()
    page.click("nav.tabs >> text=Frete")
    accessible(page)
    assert "A VTEX falhou" in page.inner_text("main")
    page.click("text=Repetir")
    assert "A VTEX respondeu com 2 opções: Normal R$" in page.inner_text("main")
    page.click("text=Calcular a tabela")
    assert "Calculando: 0 de" in page.inner_text("main")
    accessible(page)
    from saas.freight import contingency
    from saas.freight.models import ContingencyTable
    assert contingency.build(db.session.query(ContingencyTable).one().id) == "done"
    page.wait_for_selector("text=Baixar XLSX", timeout=10_000)  # the progress script reloads the page once done
    accessible(page)

    # The main pages on a phone.
    phone = browser.new_page(locale="pt-BR", viewport=PHONE)
    for path in ("/signup", "/no-such-page", "/login"):
        phone.goto(live + path)
        fits(phone)
        accessible(phone)
    phone.fill("input[name=email]", "dona@loja.example")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button.primary")
    base = f"{live}/t/loja-walk"
    for path in ("/", "/pending/", "/catalog/", "/orders/", f"/orders/{shop.order(mkt_id).id}", "/bridge/product",
                 "/marketplace", "/marketplace/carrefour", "/marketplace/mirakl", "/pricing/carrefour",
                 "/catalog/paths", "/freight/", "/store", "/members"):
        phone.goto(base + path)
        fits(phone)
        accessible(phone)
        if path in ("/catalog/", "/orders/", f"/orders/{shop.order(mkt_id).id}", "/bridge/product"):
            cards(phone)
            words_whole(phone)
