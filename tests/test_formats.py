"""Brazilian formats, as a merchant in Brazil reads them."""
from datetime import datetime

import pytest

from saas.i18n import money, plain_decimal
from saas.timeutil import local_time


@pytest.mark.parametrize("cents, shown", [(158752, "R$\xa01.587,52"), (990, "R$\xa09,90"), (0, "R$\xa00,00"),
                                          (123456789, "R$\xa01.234.567,89")])
def test_money_is_shown_as_in_brazil(app, cents, shown):
    with app.test_request_context():
        assert money(cents) == shown


def test_spreadsheets_get_a_decimal_comma_without_grouping(app):
    with app.test_request_context():
        assert plain_decimal(158752) == "1587,52"


def test_times_are_shown_in_brasilia(app):
    assert local_time(datetime(2026, 11, 27, 13, 50)) == "27/11/2026 10:50"  # stored in UTC


def test_documents_ceps_and_phones_read_as_brazilians_write_them():
    from saas.text import cep, document, phone
    assert document("62503596797") == "625.035.967-97" and document("12345678000195") == "12.345.678/0001-95"
    assert document("123") == "123" and document(None) == ""  # not a CPF or CNPJ: as it came
    assert cep("01310100") == "01310-100" and cep("0131") == "0131"
    assert phone("11987654321") == "(11) 98765-4321" and phone("+55 11 3456-7890") == "(11) 3456-7890"
    assert phone("ramal 12") == "ramal 12"


def test_none_and_many_read_in_the_plural_one_in_the_singular(app):
    """pt-BR as merchants write it: "0 pedidos", "1 pedido", "2 pedidos" (CLDR's rule would give "0 pedido")."""
    from flask_babel import ngettext
    with app.test_request_context():
        assert [ngettext("%(num)d order", "%(num)d orders", n) for n in (0, 1, 2)] == \
            ["0 pedidos", "1 pedido", "2 pedidos"]


def test_vtex_delivery_estimates_read_in_words(app):
    from saas.i18n import delivery_estimate
    with app.test_request_context():
        assert [delivery_estimate(e) for e in ("3bd", "1bd", "2d", "5h", "")] == \
            ["3 dias úteis", "1 dia útil", "2 dias", "5 horas", "—"]
        assert delivery_estimate("soon") == "soon"  # what VTEX may invent, as it came
