"""The price and stock rule engine and the price-drop guard, as pure functions: order of the steps, precedence,
rounding at its boundaries, caps, and properties over any rule and price."""
from hypothesis import given
from hypothesis import strategies as st

from saas.catalog.rules import Rule, cost_of, held, price, quantity, rule_for


def test_the_steps_run_in_order_percentage_fixed_rounding_then_bounds():
    rule = Rule(markup_pct=16, fixed_cents=200, ending_cents=90)
    assert price(rule, 10000) == 11890  # 100,00 → 116,00 → 118,00 → 118,90
    assert price(Rule(markup_pct=-10), 19990) == 17991
    assert price(Rule(markup_pct=100, max_cents=15000), 10000) == 15000
    assert price(Rule(markup_pct=-50, min_cents=6000), 10000) == 6000
    assert price(None, 12345) == 12345


def test_rounding_goes_up_to_the_next_ending_and_keeps_a_price_already_on_it():
    assert price(Rule(ending_cents=90), 1990) == 1990
    assert price(Rule(ending_cents=90), 1991) == 2090
    assert price(Rule(ending_cents=90), 1900) == 1990
    assert price(Rule(ending_cents=99), 1999) == 1999
    assert price(Rule(ending_cents=99), 2000) == 2099
    assert price(Rule(markup_pct=0.005), 100) == 100  # half a cent rounds to the nearest cent


def test_the_most_specific_rule_wins_and_the_first_among_equals():
    rules = [Rule("all", markup_pct=10), Rule("brand", "Acme", markup_pct=20), Rule("category", "7", markup_pct=30),
             Rule("skus", "1001, 1002", markup_pct=40), Rule("brand", "acme", markup_pct=50)]
    assert rule_for(rules, "1001", "Acme", "7") == 3
    assert rule_for(rules, "1003", "Acme", "7") == 2
    assert rule_for(rules, "1003", "ACME", "8") == 1  # brands compare without case
    assert rule_for(rules, "1003", "Other", None) == 0
    assert rule_for(rules[1:4], "1003", "Other", None) is None


def test_stock_rules_offer_a_share_rounded_down_then_a_maximum():
    assert quantity(Rule(stock_share_pct=50), 7) == 3
    assert quantity(Rule(stock_share_pct=50, stock_max=2), 7) == 2
    assert quantity(Rule(stock_max=10), 4) == 4
    assert quantity(Rule(stock_share_pct=30), None) is None
    assert quantity(Rule(stock_share_pct=100), -3) == 0


def test_the_guard_holds_a_zero_and_a_drop_beyond_the_threshold_until_that_price_is_approved():
    assert held(0, 10000, 30) == "zero"
    assert held(0, None, 30) is None  # no offer yet: the marketplace's own checks refuse a price of zero
    assert held(6999, 10000, 30) == "drop"
    assert held(7000, 10000, 30) is None  # exactly 30 % lower is allowed
    assert held(1990, 19900, 30) == "drop"  # the typo: R$ 19,90 for R$ 199,00
    assert held(1990, 19900, 30, approved_cents=1990) is None
    assert held(1990, None, 30) is None  # nothing accepted yet: nothing to compare
    assert held(50000, 10000, 30) is None


rules_ = st.builds(Rule, target=st.just("all"), markup_pct=st.floats(-90, 1000, allow_nan=False),
                   fixed_cents=st.integers(-10_000_000, 10_000_000),
                   ending_cents=st.none() | st.sampled_from([90, 99]),
                   min_cents=st.none() | st.integers(0, 10_000_000), max_cents=st.none() | st.integers(0, 10_000_000),
                   stock_share_pct=st.none() | st.floats(0, 100, allow_nan=False),
                   stock_max=st.none() | st.integers(0, 100_000))


@given(rules_, st.integers(0, 100_000_000))
def test_a_rule_never_yields_a_negative_price_nor_a_fraction_of_a_cent(rule, cents):
    made = price(rule, cents)
    assert isinstance(made, int) and made >= 0
    if rule.max_cents is not None and (rule.min_cents is None or rule.min_cents <= rule.max_cents):
        assert made <= rule.max_cents


@given(rules_, st.integers(-10, 1_000_000))
def test_a_rule_never_offers_more_than_the_stock_nor_less_than_nothing(rule, stock):
    offered = quantity(rule, stock)
    assert 0 <= offered <= max(stock, 0)


@given(st.integers(1, 10_000_000), st.integers(1, 10_000_000), st.integers(1, 100))
def test_the_guard_holds_every_drop_beyond_the_threshold_and_nothing_else(new, last, threshold):
    beyond = (last - new) * 100 > last * threshold
    assert (held(new, last, threshold) == "drop") == beyond


def test_a_price_below_the_cost_a_specification_carries_is_held():
    context = {"SkuSpecifications": [{"FieldName": "Custo", "FieldValues": ["1.234,50"]}]}
    assert cost_of(context, "custo") == 123450
    assert cost_of({"ProductSpecifications": [{"FieldName": "Custo", "FieldValues": ["99.90"]}]}, "Custo") == 9990
    assert cost_of({"SkuSpecifications": [{"FieldName": "Custo", "FieldValues": ["n/d"]}]}, "Custo") is None
    assert cost_of(context, "Preço de custo") is None
    assert held(100000, None, 30, cost_cents=123450) == "below_cost"  # held even before any offer
    assert held(130000, 140000, 30, cost_cents=123450) is None
    assert held(100000, None, 30, approved_cents=100000, cost_cents=123450) is None


@given(st.integers(-9000, 100000), st.integers(0, 100_000_000))
def test_the_markup_in_whole_numbers_is_the_markup_in_decimals(hundredths, cents):
    from decimal import ROUND_HALF_UP, Decimal
    pct = hundredths / 100
    exact = (Decimal(cents) * (1 + Decimal(str(pct)) / 100)).quantize(Decimal(1), ROUND_HALF_UP)
    assert Rule(markup_pct=pct).marked_up(cents) == int(exact)
