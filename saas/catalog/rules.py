"""Price and stock rules per (store, marketplace), and the price-drop guard: pure functions over plain data.

A rule targets the whole catalog, a brand, a category or a list of SKUs; for each SKU the most specific rule that
matches wins (SKUs, then category, then brand, then the whole catalog; among equals, the first listed). Its price
steps run in this order: a percentage (markup, or markdown when negative), a fixed amount, rounding up to an ending
(,90 or ,99), then a minimum and a maximum. Its stock steps: a share of the stock, then a maximum quantity.
Prices are whole cents and never negative. The rules live in the marketplace's settings (``price_rules``), so every
change is in the settings history.
"""
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cached_property

from saas.vtex.sku_context import SkuContext

TARGETS = ("skus", "category", "brand", "all")  # most specific first
DEFAULT_DROP_GUARD = 30  # percent
# Each number of a rule within what a merchant could mean (the rules form's bounds): a price up to R$ 10.000.000,00.
BOUNDS = {"markup_pct": (-90, 1000), "fixed_cents": (-10**7, 10**7), "ending_cents": (0, 99),
          "min_cents": (0, 10**9), "max_cents": (0, 10**9), "stock_share_pct": (0, 100), "stock_max": (0, 10**7)}


def within(value, low, high) -> bool:
    """A finite number (not a boolean) from ``low`` to ``high``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high


def cost_of(context: dict, spec_name: str) -> int | None:
    """The cost (cents) a VTEX specification of the SKU carries ("123,45" or "123.45"), or None."""
    values = SkuContext(context).specification(spec_name)
    if not values:
        return None
    text = str(values[0]).replace("R$", "").strip()
    text = text.replace(".", "").replace(",", ".") if "," in text else text
    try:
        return int((Decimal(text) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    except ArithmeticError:
        return None


@dataclass(frozen=True)
class Rule:
    target: str = "all"
    value: str = ""                      # the brand's name, the category's id, or SKU ids separated by commas
    markup_pct: float = 0.0              # +16 adds 16 %, -10 takes 10 % off
    fixed_cents: int = 0                 # added after the percentage (negative: taken off)
    ending_cents: int | None = None      # 90: the price goes up to the next ,90
    min_cents: int | None = None
    max_cents: int | None = None
    stock_share_pct: float | None = None  # the share of VTEX's stock offered
    stock_max: int | None = None
    invalid: bool = False  # stored with a value out of bounds: never applied, shown so that it can be removed

    @classmethod
    def from_dict(cls, data) -> "Rule":
        """The rule as stored; whatever the store holds (a value out of bounds, a wrong type), a Rule that can be
        shown, marked ``invalid`` with the offending values left out."""
        if not isinstance(data, dict):
            return cls(invalid=True)
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data and f.name != "invalid"}
        invalid = values.get("target", "all") not in TARGETS or not isinstance(values.get("value", ""), str)
        for name, (low, high) in BOUNDS.items():
            if values.get(name) is not None and not within(values[name], low, high):
                values[name], invalid = None, True
        if invalid:
            values.update(target="all" if values.get("target") not in TARGETS else values["target"],
                          value=values["value"] if isinstance(values.get("value"), str) else "",
                          markup_pct=values.get("markup_pct") or 0.0, fixed_cents=values.get("fixed_cents") or 0)
        return cls(**values, invalid=invalid)

    def as_dict(self) -> dict:
        stored = asdict(self)
        del stored["invalid"]
        return stored

    @cached_property
    def skus(self) -> frozenset[str]:
        if self.target != "skus":
            return frozenset()
        return frozenset(s.strip() for s in self.value.split(",") if s.strip())

    @cached_property
    def _per_ten_thousand(self) -> int | None:
        """The markup as a whole factor over 10,000 when it has at most two decimals (the form's), else None."""
        scaled = Decimal(str(self.markup_pct)) * 100
        return int(scaled) + 10000 if scaled == scaled.to_integral_value() else None

    def marked_up(self, cents: int) -> int:
        """``cents`` with the percentage, to the nearest cent (half up); in integers where the markup allows."""
        factor = self._per_ten_thousand
        if factor is not None and cents >= 0:
            return (cents * factor * 2 + 10000) // 20000
        value = Decimal(cents) * (1 + Decimal(str(self.markup_pct)) / 100)
        return int(value.quantize(Decimal(1), ROUND_HALF_UP))

    @cached_property
    def _wanted(self) -> str:
        return self.value.strip().casefold() if self.target == "brand" else self.value.strip()

    def matches(self, sku_id: str, brand: str | None, category: str | None) -> bool:
        if self.target == "all":
            return True
        if self.target == "brand":
            return bool(brand) and brand.strip().casefold() == self._wanted
        if self.target == "category":
            return bool(category) and str(category) == self._wanted
        return sku_id in self.skus


def load(settings: dict) -> list[Rule]:
    stored = settings.get("price_rules") or []
    return [Rule.from_dict(r) for r in stored] if isinstance(stored, list) else [Rule(invalid=True)]


def precedence(rules: list[Rule]) -> list[int]:
    """The valid rules' indexes in the order they decide: the most specific target first, then the first in the
    list. An invalid rule never decides."""
    return sorted((n for n in range(len(rules)) if not rules[n].invalid),
                  key=lambda n: (TARGETS.index(rules[n].target), n))


def rule_for(rules: list[Rule], sku_id: str, brand: str | None = None, category: str | None = None,
             order: list[int] | None = None) -> int | None:
    """The index of the rule that decides for this SKU, or None when no rule matches; ``order`` is
    ``precedence(rules)``, computed once for a whole sync."""
    return next((n for n in order or precedence(rules) if rules[n].matches(sku_id, brand, category)), None)


def price(rule: Rule | None, cents: int) -> int:
    """VTEX's price (cents) as the rule makes it for the marketplace."""
    if rule is None:
        return cents
    value = rule.marked_up(cents) + rule.fixed_cents
    if rule.ending_cents is not None and value > 0:
        rounded = (value // 100) * 100 + rule.ending_cents % 100
        value = rounded if rounded >= value else rounded + 100
    if rule.min_cents is not None:
        value = max(value, rule.min_cents)
    if rule.max_cents is not None:
        value = min(value, rule.max_cents)
    return max(value, 0)


def quantity(rule: Rule | None, stock: int | None) -> int | None:
    """VTEX's stock as the rule offers it (a share, then a maximum); None stays None."""
    if rule is None or stock is None:
        return stock
    offered = Decimal(max(stock, 0))
    if rule.stock_share_pct is not None:
        offered = (offered * Decimal(str(rule.stock_share_pct)) / 100).quantize(Decimal(1), ROUND_DOWN)
    if rule.stock_max is not None:
        offered = min(offered, Decimal(rule.stock_max))
    return int(offered)


def held(new_cents: int, last_cents: int | None, drop_pct: float, approved_cents: int | None = None,
         cost_cents: int | None = None) -> str | None:
    """Why the price-drop guard holds this price back (``below_cost``, ``zero`` or ``drop``), or None when it may go.
    ``last_cents``: the last price the marketplace accepted (None: no offer yet, whose price of zero the marketplace's
    own checks refuse); ``approved_cents``: a price the merchant let through; ``cost_cents``: the SKU's cost, where
    a VTEX specification carries it."""
    if approved_cents is not None and new_cents == approved_cents:
        return None
    if cost_cents and 0 < new_cents < cost_cents:
        return "below_cost"
    if not last_cents:
        return None
    if new_cents <= 0:
        return "zero"
    if new_cents * 100 < last_cents * (100 - Decimal(str(drop_pct))):
        return "drop"
    return None
