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
