"""Numbers a merchant types, bounded to what they could mean.

WTForms' own number fields take what Python's ``Decimal`` and ``int`` take: ``NaN``, ``sNaN``, ``Infinity``, ``1e309``
(a minimum price of 10^311 reais once in cents, which then broke every page that shows it). These fields take plain
digits only, a comma or a point before the decimals, within the field's bounds; anything else is the field's own
error and nothing is saved. Every numeric field of every form is one of these.
"""
import re
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import NumberInput, TextInput

MONEY_LIMIT = Decimal("10000000.00")  # R$ 10.000.000,00: no offer's price, fee or bound goes beyond it
QUANTITY_LIMIT = 10_000_000
_PLAIN = re.compile(r"[+-]?[0-9]{1,15}(?:[.,][0-9]{1,6})?")


class _Bounded(Field):
    message = _l("Enter a number from %(low)s to %(high)s.")

    def __init__(self, label=None, validators=None, *, low, high, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high
        self.out_of_bounds = message

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def bounds_message(self) -> str:
        if self.out_of_bounds is not None:
            return str(self.out_of_bounds)
        return self.message % {"low": format_decimal(self.low), "high": format_decimal(self.high)}

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            self.data = None
            return
        self.data = None
        value = self.parse(raw)
        if value is None or not self.low <= value <= self.high:
            raise ValueError(self.bounds_message())
        self.data = value


class BoundedDecimal(_Bounded):
    """A decimal within [low, high], rounded to ``places``; None when left empty."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, places=2, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.render_kw = {"inputmode": "decimal", **(self.render_kw or {})}

    def parse(self, raw: str) -> Decimal | None:
        if not _PLAIN.fullmatch(raw):
            return None
        return Decimal(raw.replace(",", ".")).quantize(Decimal(1).scaleb(-self.places))


class BoundedInteger(_Bounded):
    """A whole number within [low, high]; None when left empty."""

    widget = NumberInput(step=1)
    message = _l("Enter a whole number from %(low)s to %(high)s.")

    def parse(self, raw: str) -> int | None:
        return int(raw) if re.fullmatch(r"[+-]?[0-9]{1,15}", raw) else None


def money(label, *, low=Decimal(0), high=MONEY_LIMIT, **kwargs) -> BoundedDecimal:
    """An amount in reais."""
    return BoundedDecimal(label, low=low, high=high, places=2, **kwargs)


def percent(label, *, low=0, high=100, places=2, **kwargs) -> BoundedDecimal:
    return BoundedDecimal(label, low=Decimal(low), high=Decimal(high), places=places, **kwargs)


def quantity(label, *, low=0, high=QUANTITY_LIMIT, **kwargs) -> BoundedInteger:
    return BoundedInteger(label, low=low, high=high, **kwargs)
