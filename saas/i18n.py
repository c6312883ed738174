"""Brazilian formats through Babel (Flask-Babel): money as ``R$ 1.587,52``, numbers as ``1.234``, times in Brasília.
The portal is pt-BR; Flask-Babel carries the locale and zone every formatter uses."""
from flask_babel import Babel, format_currency, format_decimal

from saas.timeutil import MERCHANT_ZONE

LOCALE = "pt_BR"
babel = Babel()


def install(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", MERCHANT_ZONE.key)
    babel.init_app(app)
    app.add_template_filter(money, "money")
    app.add_template_filter(format_decimal, "number")


def money(cents: int | None) -> str:
    """Cents as the merchant reads an amount: ``R$ 1.587,52``."""
    return "" if cents is None else format_currency(cents / 100, "BRL")


def plain_decimal(cents: int) -> str:
    """Cents as a spreadsheet in pt-BR reads a number: ``1587,52``."""
    return format_decimal(cents / 100, format="0.00")
