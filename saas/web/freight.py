"""``GET``/``POST /api/<marketplace>integration/pub/<store>/freight``: a marketplace's freight quote for one store
(the address VTEX's own connectors give a marketplace, e.g. ``/api/<key>integration/pub/<store>/freight``).

It is on the marketplace's checkout path, which gives up after about 0.8 s: a request that cannot be read → 400 with
the reason, a marketplace that quotes no freight or an unknown or inactive store → 404, VTEX slow or failing → 503
inside the budget.

The store's slug is public, so the rate limits count only what could cost the store a VTEX simulation: a request
that fails validation or names no active store spends nothing. Valid requests are counted per client address first,
then per store, so one noisy client runs out of its own budget long before it eats into the marketplace's.

Every answer to an active store is counted for its Frete page (``saas.freight.metrics``): latency, cache hit, failure
and its cause; a failed quote that VTEX caused is kept, to be replayed.
"""
import time

from flask import Blueprint, jsonify, request

from saas.connectors import get_connector_class
from saas.connectors.base import FreightRequestError
from saas.extensions import csrf
from saas.freight import metrics, quote
from saas.integration_errors import AuthError, IntegrationError
from saas.web.inputs import json_body
from saas.web.ratelimit import within

bp = Blueprint("freight", __name__)
csrf.exempt(bp)


@bp.route("/api/<marketplace>integration/pub/<store>/freight", methods=["GET", "POST"])
def freight(marketplace, store):
    started = time.perf_counter()
    wire = getattr(get_connector_class(marketplace), "freight_wire", None)
    if wire is None:
        return jsonify(error="Unknown store."), 404  # the same answer as for a store: nothing to probe
    try:
        freight_request = wire.from_json(json_body()) if request.method == "POST" else wire.from_query(request.args)
    except FreightRequestError as exc:
        shop = quote.known(store, marketplace)  # never a database read for what cannot be read
        if shop is not None:  # counted for the store, its body not kept: anyone may send garbage to a public URL
            _count(shop, started, cause="invalid")
        return jsonify(error=str(exc)), 400
    shop = quote.store(store, marketplace)
    if shop is None:
        return jsonify(error="Unknown store."), 404
    if not within("FREIGHT_CLIENT_RATE_LIMIT", marketplace, store, request.remote_addr or "unknown"):
        return jsonify(error="Too many quotes from this address; try again in a minute."), 429
    if not within("FREIGHT_RATE_LIMIT", marketplace, store):
        _count(shop, started, cause="rate_limited")
        return jsonify(error="Too many quotes for this store; try again in a minute."), 429
    try:
        options, cached = quote.quote(shop, freight_request)
    except IntegrationError as exc:
        _count(shop, started, cause=cause_of(exc), request=replayable(freight_request))
        return jsonify(error=f"The store's freight could not be quoted now ({exc.message}).",
                       postalCode=freight_request.postal_code), 503
    _count(shop, started, cached=cached, empty=not options)
    response = jsonify(wire.answer(freight_request, options))
    response.headers["X-Cache"] = "hit" if cached else "miss"
    return response


def _count(shop, started: float, **outcome) -> None:
    metrics.record(shop.tenant_id, shop.connector_key, (time.perf_counter() - started) * 1000, **outcome)


def cause_of(error: IntegrationError) -> str:
    """The failure's cause as the Frete page groups them."""
    if isinstance(error, AuthError):
        return "vtex_refused_key"
    if error.status is None:
        return "vtex_unreachable"
    return "vtex_rate_limited" if error.status == 429 else ("vtex_error" if error.status >= 500 else "vtex_refused")


def replayable(freight_request) -> dict:
    return {"postalCode": freight_request.postal_code, "items": [list(item) for item in freight_request.items]}
