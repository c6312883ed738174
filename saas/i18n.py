"""The portal's languages and formats through Flask-Babel: Brazilian Portuguese first, English second.

Source strings are English and the catalogs in ``saas/translations`` translate them (``make i18n`` extracts and
updates them; ``make`` compiles them). Amounts read ``R$ 1.587,52``, numbers ``1.234`` and times are Brasília's.

A message that is stored to be read later (a Bridge entry, an order's failure) is stored as its English source and
its parameters, a :class:`Text`, and rendered in the reader's language; a parameter named ``*_cents`` is shown as
money in that language."""
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_request_context, request, session
from flask_babel import Babel, format_currency, format_decimal, gettext, ngettext
from flask_login import current_user

from saas.timeutil import MERCHANT_ZONE

LOCALE = "pt_BR"
CATALOGS = Path(__file__).parent / "translations"
_VALUE = re.compile(r"%\((\w+)\)[sdf]")
LANGUAGES = {"pt_BR": "Português (Brasil)", "en": "English"}


def install(app) -> None:
    compile_catalogs(CATALOGS)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", MERCHANT_ZONE.key)
    Babel(app, locale_selector=reader_locale)  # one per app: its catalogs are cached with it
    app.add_template_filter(money, "money")
    app.add_template_filter(format_decimal, "number")
    app.add_template_filter(delivery_estimate, "estimate")
    app.add_template_filter(said, "said")
    app.add_template_filter(lambda stored: render(stored["key"], stored.get("params")), "reason")
    app.add_template_global(LANGUAGES, "languages")
    app.add_template_global(reader_locale, "reader_locale")


def compile_catalogs(directory: Path) -> None:
    """Each catalog's ``.mo`` from its ``.po`` where it is missing or older (a fresh clone, a deploy, an edit), so
    every way of starting the app reads the current translations. Written aside and renamed: processes starting
    together never read half a file."""
    for po in directory.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        with tempfile.NamedTemporaryFile(dir=mo.parent, delete=False) as target:
            write_mo(target, catalog)
        os.replace(target.name, mo)


def reader_locale() -> str:
    """The signed-in user's choice, else the language chosen before signing in, else the browser's, else pt-BR."""
    if not has_request_context():
        return LOCALE
    user_choice = None if g.get("reader_unknown") else current_user.is_authenticated and current_user.locale
    chosen = user_choice or session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["pt-BR", "pt", "en"])
    return "en" if best == "en" else LOCALE


@dataclass(frozen=True)
class Text:
    """A message to be read later, in its reader's language: its English source (the catalog's key) and values."""

    key: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.key, self.params)

    def __add__(self, other: "Text") -> "Text":
        """Two sentences read as one: each is translated on its own."""
        return Text("%(first)s %(second)s", {"first": self, "second": other})


def msg(key: str, **params) -> Text:
    """A stored message; ``pybabel`` extracts its key as it does ``_()``'s."""
    return Text(key, params)


def stored(message) -> tuple[str, dict | None]:
    """How a message is kept in a row: its key and its parameters (None for text that came as is, e.g. from a
    marketplace, or that was stored before messages had keys)."""
    if isinstance(message, Text):
        return message.key, _plain_params(message.params)
    return message, None


def render(key: str | None, params: dict | None) -> str:
    """A stored message in the reader's language. Text stored without parameters is translated when it is one of
    our own sentences and shown as it came otherwise."""
    if not key:
        return ""
    if params is None:
        return gettext(key)
    values = {name: _shown(name, value) for name, value in params.items()}
    return gettext(key, **values) if values else gettext(key)


def cause_words(key: str) -> str:
    """A stored message as the name of a cause many rows share: translated, its values left out."""
    return _VALUE.sub("…", gettext(key).replace("%%", "%")) if _VALUE.search(key) else gettext(key)


def said(row, column: str = "message") -> str:
    """Template filter: a row's stored message in the reader's language (``row.message`` with its params)."""
    return render(getattr(row, column), getattr(row, f"{column}_params", None))


MONEY_SHOWN = 10**13  # cents: R$ 100 bilhões; anything beyond (or not a number) was never a real amount


def money(cents: int | None) -> str:
    """Cents as the merchant reads an amount: ``R$ 1.587,52``; a stored value that cannot be an amount (out of
    bounds, not a number) reads "invalid value" rather than failing the page."""
    if cents is None:
        return ""
    if isinstance(cents, bool) or not isinstance(cents, (int, float)) or not -MONEY_SHOWN <= cents <= MONEY_SHOWN:
        return gettext("invalid value")
    return format_currency(cents / 100, "BRL")


def plain_decimal(cents: int) -> str:
    """Cents as a spreadsheet in pt-BR reads a number: ``1587,52``."""
    return format_decimal(cents / 100, format="0.00")


def N_(text: str) -> str:
    """Marks an English source for the catalogs where it is declared; it is translated where it is shown."""
    return text


class Words(dict):
    """Codes and the English words for them (each marked with ``N_``): ``words[code]`` reads them in the reader's
    language, ``words.text(code)`` keeps them as a stored message; an unknown code reads as itself."""

    def __getitem__(self, code) -> str:
        return gettext(self.get(code)) if code in self else str(code)

    def text(self, code) -> "Text | str":
        return Text(self.get(code)) if code in self else str(code)


def _shown(name, value):
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, dict) and "key" in value:  # a nested message, as stored
        return render(value["key"], value.get("params"))
    if name.endswith("_cents") and isinstance(value, (int, float)):
        return money(value)
    if isinstance(value, float):
        return format_decimal(value)
    return value


def _plain_params(params: dict) -> dict:
    """Parameters as JSON keeps them: a nested message becomes {key, params}."""
    return {name: ({"key": value.key, "params": _plain_params(value.params)} if isinstance(value, Text) else value)
            for name, value in params.items()}


_ESTIMATE = re.compile(r"(\d{1,4})(bd|d|h|m)")


def delivery_estimate(estimate: str | None) -> str:
    """VTEX's ``shippingEstimate`` in words: "3bd" → "3 dias úteis", "2d" → "2 dias", "4h" → "4 horas"."""
    found = _ESTIMATE.fullmatch((estimate or "").strip())
    if not found:
        return estimate or "—"
    number, unit = int(found[1]), found[2]
    if unit == "bd":
        return ngettext("%(num)d business day", "%(num)d business days", number)
    if unit == "d":
        return ngettext("%(num)d day", "%(num)d days", number)
    if unit == "h":
        return ngettext("%(num)d hour", "%(num)d hours", number)
    return ngettext("%(num)d minute", "%(num)d minutes", number)
