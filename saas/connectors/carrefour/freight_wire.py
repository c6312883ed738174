"""Carrefour's wire format for the freight quote (``CarrefourConnector.freight_wire``), in one module, so that the
exact format Carrefour's panel uses can be matched here without touching the quoting.

Request, GET: ``?postalCode=01310-100&items=1001:2,1002:1``; POST: ``{"postalCode": "01310100", "items":
[{"sku": "1001", "quantity": 2}]}``. Answer: ``{"postalCode": "01310100", "options": [{"shippingType": "Normal",
"carrier": "…", "price": 12.9, "currency": "BRL", "deliveryDays": 5}]}``.
"""
import re

from saas.connectors.base import FreightOption, FreightRequest, FreightRequestError
from saas.vtex import SKU_ID_MAX_DIGITS, is_sku_id

MAX_ITEMS = 50
MAX_QUANTITY = 999
_CEP = re.compile(r"^\d{5}-?\d{3}$")


class WireError(FreightRequestError):
    """The request cannot be read; the message says what to send instead."""


def from_query(args) -> FreightRequest:
    raw_items = args.get("items", "")
    pairs = []
    for part in filter(None, (p.strip() for p in raw_items.split(","))):
        sku, sep, quantity = part.partition(":")
        if not sep:
            raise WireError(f"items must be sku:quantity pairs separated by commas, e.g. 1001:2,1002:1 (got {part!r}).")
        pairs.append((sku, quantity))
    return _request(args.get("postalCode"), pairs)


def from_json(body) -> FreightRequest:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise WireError('The body must be {"postalCode": "01310100", "items": [{"sku": "1001", "quantity": 1}]}.')
    pairs = []
    for item in body["items"]:
        if not isinstance(item, dict):
            raise WireError("Each item must be an object with sku and quantity.")
        pairs.append((item.get("sku"), item.get("quantity")))
    return _request(body.get("postalCode"), pairs)


def _request(postal_code, pairs) -> FreightRequest:
    postal_code = str(postal_code or "").strip()
    if not _CEP.match(postal_code):
        raise WireError("postalCode must be a CEP of 8 digits, with or without the hyphen (e.g. 01310-100).")
    if not pairs:
        raise WireError("items is required: at least one SKU and its quantity.")
    if len(pairs) > MAX_ITEMS:
        raise WireError(f"At most {MAX_ITEMS} items per quote.")
    items = []
    for sku, quantity in pairs:
        sku = str(sku or "").strip()
        if not is_sku_id(sku):
            raise WireError(f"The SKU {sku[:40]!r} is not a VTEX SKU id (1 to {SKU_ID_MAX_DIGITS} digits).")
        try:
            quantity = int(str(quantity))
        except ValueError:
            raise WireError(f"The quantity of SKU {sku} must be a whole number.") from None
        if not 1 <= quantity <= MAX_QUANTITY:
            raise WireError(f"The quantity of SKU {sku} must be between 1 and {MAX_QUANTITY}.")
        items.append((sku, quantity))
    return FreightRequest(postal_code.replace("-", ""), tuple(items))


def answer(request: FreightRequest, options: list[FreightOption]) -> dict:
    return {"postalCode": request.postal_code,
            "options": [{"shippingType": o.shipping_type, "carrier": o.carrier, "price": o.price_cents / 100,
                         "currency": "BRL", "deliveryDays": o.delivery_days} for o in options]}
