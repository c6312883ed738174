"""``GET``/``POST /api/<marketplace>integration/pub/<store>/freight``: a marketplace's freight quote for one store
(the address VTEX's own connectors give a marketplace, e.g. ``/api/<key>integration/pub/<store>/freight``).

It is on the marketplace's checkout path, which gives up after about 0.8 s: a request that cannot be read → 400 with
the reason, a marketplace that quotes no freight or an unknown or inactive store → 404, VTEX slow or failing → 503
inside the budget.

The store's slug is public, so the rate limits count only what could cost the store a VTEX simulation: a request
that fails validation or names no active store spends nothing. Valid requests are counted per client address first,
then per store, so one noisy client runs out of its own budget long before it eats into the marketplace's.
"""
from flask import Blueprint, jsonify, request

from saas.connectors import get_connector_class
from saas.connectors.base import FreightRequestError, IntegrationError
from saas.extensions import csrf
from saas.freight import quote
from saas.web.inputs import json_body
from saas.web.ratelimit import within

bp = Blueprint("freight", __name__)
csrf.exempt(bp)


@bp.route("/api/<marketplace>integration/pub/<store>/freight", methods=["GET", "POST"])
def freight(marketplace, store):
    wire = getattr(get_connector_class(marketplace), "freight_wire", None)
    if wire is None:
        return jsonify(error="Unknown store."), 404  # the same answer as for a store: nothing to probe
    try:
        freight_request = wire.from_json(json_body()) if request.method == "POST" else wire.from_query(request.args)
    except FreightRequestError as exc:
        return jsonify(error=str(exc)), 400
    shop = quote.store(store, marketplace)
    if shop is None:
        return jsonify(error="Unknown store."), 404
    if not within("FREIGHT_CLIENT_RATE_LIMIT", marketplace, store, request.remote_addr or "unknown"):
        return jsonify(error="Too many quotes from this address; try again in a minute."), 429
    if not within("FREIGHT_RATE_LIMIT", marketplace, store):
        return jsonify(error="Too many quotes for this store; try again in a minute."), 429
    try:
        options, cached = quote.quote(shop, freight_request)
    except IntegrationError as exc:
        return jsonify(error=f"The store's freight could not be quoted now ({exc.message}).",
                       postalCode=freight_request.postal_code), 503
    response = jsonify(wire.answer(freight_request, options))
    response.headers["X-Cache"] = "hit" if cached else "miss"
    return response
