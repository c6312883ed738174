"""Property-based tests of the parsers behind the public routes (hypothesis): whatever JSON or text arrives, each
answers with a value or its own error, which the route turns into a 400 — never another exception, which would be
a 500."""
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from saas import vtex
from saas.catalog import changes
from saas.connectors.carrefour import freight_wire as wire
from saas.orders import events
from saas.web.redirects import safe_next

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.sampled_from(
    ("²", "１２", "9" * 30, "2026-11-27T10:50:00Z", "https://x.example/a", "BR123", "", " ", "\x00"))
JSON = st.recursive(SCALARS,
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                       max_size=4), max_leaves=12)
FIELDS = ("IdSku", "idsku", "postalCode", "items", "sku", "quantity", "invoiceNumber", "issuanceDate",
          "invoiceValue", "invoiceKey", "trackingNumber", "trackingUrl", "courier", "isDelivered", "deliveredDate",
          "events", "reason", "type")
# Objects whose keys are the fields the parsers look for, so that the values, not the keys, get fuzzed.
BODIES = JSON | st.dictionaries(st.sampled_from(FIELDS), JSON | st.lists(st.dictionaries(
    st.sampled_from(("sku", "quantity")), JSON), max_size=3), max_size=8)


def answers_or_refuses(parse, body, error):
    try:
        return parse(body)
    except error:
        return None


@settings(max_examples=400, derandomize=True)
@given(BODIES)
def test_every_body_is_read_or_refused_with_a_reason(body):
    answers_or_refuses(changes.parse_notification, body, changes.NotificationError)
    answers_or_refuses(wire.from_json, body, wire.WireError)
    for read in (events.read_invoice, events.read_tracking, events.read_tracking_status, events.read_cancellation):
        answers_or_refuses(read, body, events.EventError)


@settings(max_examples=300, derandomize=True)
@given(st.dictionaries(st.sampled_from(("postalCode", "items")), st.text(max_size=40)))
def test_every_freight_query_is_read_or_refused(args):
    request = answers_or_refuses(wire.from_query, args, wire.WireError)
    if request is not None:
        assert len(request.postal_code) == 8 and request.postal_code.isdigit()
        assert all(vtex.is_sku_id(sku) and 1 <= quantity <= wire.MAX_QUANTITY for sku, quantity in request.items)


@settings(max_examples=300, derandomize=True)
@given(BODIES)
def test_what_is_accepted_fits_the_database_and_the_marketplace(body):
    tracking = answers_or_refuses(events.read_tracking, body, events.EventError)
    if tracking is not None:
        assert 0 < len(tracking["trackingNumber"]) <= events.TRACKING_NUMBER_MAX
        assert tracking["trackingNumber"].isascii() and tracking["trackingNumber"].isprintable()
    change = answers_or_refuses(changes.parse_notification, body, changes.NotificationError)
    if change is not None:
        assert len(change.sku_id) <= 40  # the column's width


@settings(max_examples=500, derandomize=True)
@given(st.text() | st.from_regex(r"^[/\\\t\n ]{1,3}[a-z:.%]{0,12}", fullmatch=True))
def test_a_next_is_a_path_of_this_site_or_nothing(target):
    kept = safe_next(target)
    if kept is not None:
        parts = urlsplit(kept)
        assert kept.startswith("/") and not kept.startswith("//") and "\\" not in kept
        assert not parts.scheme and not parts.netloc and kept.isprintable()
