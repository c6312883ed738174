"""The portal speaks Brazilian Portuguese from end to end, English second.

The catalog must hold every string the sources mark, translated; and no page may show a string that did not come
through the catalog. The second is checked with a marked catalog: every translation is wrapped in ⟦ ⟧, so whatever
text of a page is left outside the marks is either the merchant's own data or a string someone forgot to mark."""
import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from saas import bridge, create_app
from saas.catalog.models import SkuBinding
from saas.i18n import CATALOGS, msg
from saas.orders.models import MarketplaceOrder
from saas.tenants.settings import save_settings
from tests.conftest import login, make_tenant, make_user

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "msg": None, "N_": None,
            "lazy_gettext": None}
METHODS = [("saas/sandbox/**", "ignore"), ("saas/**.py", "python"), ("saas/templates/**.html", "jinja2")]
ROOT = Path(__file__).resolve().parents[1]
# Names no language translates: brands, and each language's own name in the language menu.
NAMES = {"VTEX", "Carrefour", "Mirakl", "Bridge", "ShopKey", "Português", "Brasil", "English"}


def _portal_strings() -> set:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"saas/templates/**.html": {}}):
        found.add(message)
    return found


def _catalog(locale: str = "pt_BR"):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=locale)


def test_every_string_the_portal_marks_is_translated_to_portuguese():
    catalog = _catalog()
    strings = _portal_strings()
    assert len(strings) > 300
    missing = [s for s in strings if (s[0] if isinstance(s, tuple) else s) not in catalog]
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not (
        all(m.string) if isinstance(m.string, tuple) else m.string))]
    assert missing == [] and untranslated == [], "run make i18n and translate the new entries"


class _Text(HTMLParser):
    """What a person reads on a page: text nodes and the attributes read aloud or shown."""

    SHOWN = ("placeholder", "aria-label", "title", "alt")

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "pre", "code"):  # a payload or an address, as they are: data
            self._hidden += 1
        # An <abbr>'s title is the raw code of a state shown in words, on purpose.
        self.parts += [value for name, value in attrs if name in self.SHOWN and value
                       and not (tag == "abbr" and name == "title")]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data)


def _unmarked_words(page: str) -> set:
    reader = _Text()
    reader.feed(page)
    words = set()
    for part in reader.parts:
        while True:  # innermost marks first: a translation may carry another one as a value
            shorter = re.sub(r"⟦[^⟦⟧]*⟧", " ", part)
            if shorter == part:
                break
            part = shorter
        words |= set(re.findall(r"[^\W\d_]{3,}", part))
    return words


@pytest.fixture
def marked_client(app, tmp_path):
    """A second app on the same database whose pt-BR catalog wraps every translation in ⟦ ⟧."""
    catalog = _catalog()
    for message in catalog:
        if message.id:
            message.string = tuple(f"⟦{s}⟧" for s in message.string) if isinstance(message.string, tuple) \
                else f"⟦{message.string}⟧"
    target = tmp_path / "pt_BR" / "LC_MESSAGES"
    target.mkdir(parents=True)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    (target / "messages.mo").write_bytes(buffer.getvalue())
    marked = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RATELIMIT_STORAGE_URI",
                                                       "MIRAKL_DEFAULT_URL", "PUBLIC_BASE_URL")},
                         "TESTING": True, "WTF_CSRF_ENABLED": False, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)})
    marked.test_client_class = app.test_client_class
    return marked.test_client()


MIRAKL_ORDER = {
    "order_id": "CRF-77", "order_state": "SHIPPING", "last_updated_date": "2026-11-27T10:50:48Z",
    "shipping_type_label": "Normal", "shipping_price": 0, "total_price": 1587.52,
    "order_lines": [{"order_line_id": "1", "offer_sku": "1001", "quantity": 1, "price_unit": 1587.52,
                     "product_title": "Camiseta Azul"}],
    "customer": {"firstname": "Maria", "lastname": "Silva",
                 "shipping_address": {"firstname": "Maria", "lastname": "Silva", "street_1": "Rua Augusta, 100",
                                      "zip_code": "01310-100", "city": "São Paulo", "state": "SP"}}}


def _store(db):
    owner = make_user("dona@loja.example")
    tenant = make_tenant(owner, "loja-teste", name="Loja Teste")
    save_settings(tenant, "carrefour", active=True, action="activate",
                  settings={"notification_email": "dona@loja.example", "trade_policy": "1", "divergence": 5.0,
                            "sla_normal": "Correios PAC", "api_url": "https://mirakl.test"},
                  secrets={"shop_key": "shop-key-123456"})
    db.session.add_all([
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1001", title="Camiseta Azul",
                   ean="7891234567895", product_state="listed", offer_state="live", price_cents=158752, quantity=3),
        SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id="1002", title="Camiseta Verde",
                   product_state="error", offer_state="none",
                   last_error="The SKU has no image at VTEX (the marketplace requires at least one).",
                   last_error_params={}),
        MarketplaceOrder(tenant_id=tenant.id, connector_key="carrefour", marketplace_order_id="CRF-77",
                         marketplace_state="SHIPPING", marketplace_updated_at="2026-11-27T10:50:48Z",
                         status="failed", total_cents=158752, cause="sla_unavailable", raw=MIRAKL_ORDER,
                         message="The carrier “%(carrier)s” does not deliver to CEP %(cep)s these SKUs: %(skus)s.",
                         message_params={"carrier": "Correios PAC", "skus": "1001", "cep": "01310100"}),
    ])
    db.session.commit()
    bridge.record(tenant.id, "product", "1001", "success", msg("Approved and listed by %(marketplace)s.",
                                                               marketplace="Carrefour"))
    bridge.record(tenant.id, "order", "CRF-77", "error", msg("It is tried again automatically."))
    return owner, tenant


def test_no_page_shows_a_string_that_did_not_come_through_the_catalog(marked_client, db):
    owner, tenant = _store(db)
    order = db.session.query(MarketplaceOrder).one()
    data = {"Loja", "Teste", "dona", "loja", "example", "teste", "Camiseta", "Azul", "Verde", "Correios", "PAC",
            "CRF", "shop", "key", "Maria", "Silva", "Rua", "Augusta", "São", "Paulo", "Normal",
            "https", "mirakl", "test"}  # the settings history shows the API URL as it was typed
    pages = ["/login", "/signup"]
    login(marked_client, owner.email)
    base = f"/t/{tenant.slug}"
    pages += [f"{base}/", f"{base}/catalog/", f"{base}/catalog/?product=error", f"{base}/orders/",
              f"{base}/orders/{order.id}", f"{base}/bridge/product", f"{base}/bridge/order", f"{base}/marketplace",
              f"{base}/marketplace/carrefour", f"{base}/store", f"{base}/members", "/account/password",
              "/tenants/new", "/no-such-page"]
    for path in pages:
        page = marked_client.get(path).get_data(as_text=True)
        assert "⟦" in page, path
        assert _unmarked_words(page) - data - NAMES == set(), path


def test_english_is_the_second_language_chosen_per_user(client, db):
    owner, tenant = _store(db)
    login(client, owner.email)
    assert "Catálogo" in client.get(f"/t/{tenant.slug}/").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": f"/t/{tenant.slug}/catalog/"})
    page = client.get(f"/t/{tenant.slug}/catalog/?product=error").get_data(as_text=True)
    assert "The SKU has no image at VTEX" in page and "Catálogo" not in page
    assert db.session.get(type(owner), owner.id).locale == "en"  # kept for the user's next sessions
    client.post("/logout")
    assert "Sign in" in client.get("/login").get_data(as_text=True)  # the session remembers it too
    other = client.application.test_client()
    assert "Entrar" in other.get("/login").get_data(as_text=True)
    assert "Sign in" in other.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
