"""Every numeric field of every form takes only numbers a merchant could mean: anything else is the field's error,
nothing is saved, and no page fails, not even on a value stored before these bounds existed. Exports run no
formula."""
import csv
import io

import pytest
from openpyxl import load_workbook

from saas.catalog import rules
from saas.orders.models import MarketplaceOrder
from saas.tenants.models import ConnectorSettings
from saas.tenants.settings import load_settings, save_settings
from tests.conftest import login
from tests.test_settings import VALID as CARREFOUR_SETTINGS

BAD_NUMBERS = ["NaN", "nan", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e309", "-1e309", "1e3", "1E-400",
               "9" * 400, "-" + "9" * 30, "10000000000000", "0x10", "1_000", "١٢", "1.2.3", "--1", "1,2,3",
               "12 34", "½"]
# (page, form data that is valid, the numeric field's name)
RULE = {"action": "add", "rule-target": "all", "rule-value": "", "rule-ending": ""}
NUMERIC_FIELDS = [("/t/loja-a/pricing/carrefour", RULE, name) for name in (
    "rule-markup_pct", "rule-fixed", "rule-min_price", "rule-max_price", "rule-stock_share_pct", "rule-stock_max")] + [
    ("/t/loja-a/pricing/carrefour", {"action": "guard", "guard-cost_spec": ""}, "guard-price_drop_guard"),
    ("/t/loja-a/pricing/carrefour", {"action": "safety", "safety-safety_stock": "y"}, "safety-safety_cap"),
    ("/t/loja-a/marketplace/carrefour", {**CARREFOUR_SETTINGS, "active": "no"}, "divergence"),
    ("/t/loja-a/marketplace/carrefour", {**CARREFOUR_SETTINGS, "active": "no"}, "min_stock"),
]


def test_twenty_two_bad_numbers_in_every_numeric_field_are_field_errors(client, db, owner, active_tenant):
    login(client, owner.email)
    assert len(BAD_NUMBERS) == 22
    before = dict(load_settings(active_tenant, "carrefour").settings)
    for page, data, field in NUMERIC_FIELDS:
        for bad in BAD_NUMBERS:
            response = client.post(page, data={**data, field: bad})
            assert response.status_code == 200, (field, bad, response.status_code)  # the form again, not a 5xx
            assert 'class="error"' in response.get_data(as_text=True), (field, bad)
    db.session.expire_all()
    assert load_settings(active_tenant, "carrefour").settings == before
    assert db.session.query(ConnectorSettings).count() == 1


def test_numbers_within_their_bounds_are_taken_with_a_comma_or_a_point(client, db, owner, active_tenant):
    login(client, owner.email)
    assert client.post("/t/loja-a/pricing/carrefour", data={
        **RULE, "rule-markup_pct": "12,5", "rule-min_price": "10000000.00", "rule-stock_max": "10000000"}
    ).status_code == 302
    (rule,) = rules.load(load_settings(active_tenant, "carrefour").settings)
    assert (rule.markup_pct, rule.min_cents, rule.stock_max, rule.invalid) == (12.5, 10**9, 10**7, False)
    page = client.post("/t/loja-a/pricing/carrefour", data={**RULE, "rule-min_price": "10000000.01"})
    assert "Informe um número de 0 a 10.000.000" in page.get_data(as_text=True)


def test_the_rules_page_shows_a_bad_stored_value_as_invalid_and_lets_it_be_removed(client, db, owner,
                                                                                 active_tenant):
    row = load_settings(active_tenant, "carrefour")
    save_settings(active_tenant, "carrefour", active=True, secrets=row.secrets, settings={
        **row.settings, "price_rules": [{"target": "all", "value": "", "min_cents": 10**311},
                                        {"target": "brand", "value": "Acme", "markup_pct": 10}]})
    login(client, owner.email)
    page = client.get("/t/loja-a/pricing/carrefour")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Regra inválida" in text and "10 % no preço" in text.replace("+", "")
    stored = rules.load(load_settings(active_tenant, "carrefour").settings)
    assert [r.invalid for r in stored] == [True, False]
    assert rules.rule_for(stored, "1001", brand="Acme") == 1 and rules.rule_for(stored, "1002") is None
    assert client.post("/t/loja-a/pricing/carrefour/remove/0").status_code == 302
    assert [r.invalid for r in rules.load(load_settings(active_tenant, "carrefour").settings)] == [False]


@pytest.mark.parametrize("stored", [10**311, float("nan"), float("inf"), "abc", True, None])
def test_a_stored_rule_value_never_breaks_reading_it(stored):
    rule = rules.Rule.from_dict({"target": "all", "min_cents": stored})
    assert rule.invalid == (stored is not None)
    assert rule.min_cents is None


FORMULAS = ['=HYPERLINK("https://evil.example","clique")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_exports_write_formulas_as_text(client, db, owner, tenant):
    for n, text in enumerate(FORMULAS):
        db.session.add(MarketplaceOrder(tenant_id=tenant.id, connector_key="carrefour",
                                        marketplace_order_id=text, marketplace_state="SHIPPING",
                                        marketplace_updated_at="2026-12-07T10:00:00Z",
                                        status="failed", total_cents=1000 + n, raw={}, history=[], series=1,
                                        mailed_causes=[]))
    db.session.commit()
    login(client, owner.email)
    rows = list(csv.reader(io.StringIO(client.get("/t/loja-a/orders/export.csv").get_data(as_text=True)
                                       .lstrip("\ufeff")), delimiter=";"))[1:]
    assert sorted(r[0] for r in rows) == sorted("'" + text for text in FORMULAS)
    book = load_workbook(io.BytesIO(client.get("/t/loja-a/orders/export.xlsx").data))
    cells = [row[0] for row in book.active.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed (its line-end normalisation): the cell is text all the same
    assert sorted(c.value for c in cells) == sorted(f.replace("\r", "\n") for f in FORMULAS)
    assert {c.data_type for c in cells} == {"s"}


def test_the_contingency_table_writes_a_shipping_type_named_like_a_formula_as_text(app):
    from saas.freight import contingency
    from saas.freight.models import ContingencyTable
    row = {"state": "SP", "area": "capital", "first": "01000000", "last": "05999999", "kg_min": 0, "kg_max": 1,
           "shipping_type": '=HYPERLINK("https://evil.example","x")', "price_cents": 1590, "days": 2}
    table = ContingencyTable(rows=[row])
    with app.test_request_context():
        lines = list(csv.reader(io.StringIO(contingency.as_csv(table)), delimiter=";"))
        book = load_workbook(io.BytesIO(contingency.as_xlsx(table)))
    assert lines[1][6] == "'" + row["shipping_type"] and lines[1][7] == "15,90"
    cell = list(book.active.iter_rows(min_row=2))[0][6]
    assert cell.value == row["shipping_type"] and cell.data_type == "s"
