"""Readiness: what would make the marketplace reject a product, checked on what VTEX says of the SKU before it is sent.

A connector declares what its marketplace requires (``Requirements``); the core runs the checks on every SKU whose
product is about to go, and a SKU that fails is not sent: it is "não pronto" in the Catálogo, with every reason and
what to fix at VTEX. The next change notification of the SKU checks it again, so a fix at VTEX is enough.
"""
from collections import Counter
from dataclasses import dataclass

from stdnum import ean as gtin

from saas.catalog.models import SkuBinding
from saas.connectors.base import Requirements
from saas.i18n import Text, msg, stored
from saas.tenants.scoping import scoped
from saas.vtex.sku_context import SkuContext

# What the offer needs, checked on VTEX's simulation: a price (without one the offer is not sent, an error of the
# SKU's price) and stock above the store's minimum (at or below it, the offer goes with quantity 0: no product is
# held back for it, so that the product is approved by the time the stock arrives).
NOT_SOLD = "VTEX does not sell this SKU in the trade policy (the simulation gives no price)."
MAX_WEIGHT_GRAMS = 1_000_000  # a tonne: anything heavier is a unit mistake at VTEX (kilos typed as grams, say)
MAX_SIDE_CM = 500


@dataclass(frozen=True)
class Problem:
    code: str
    message: Text


def problems(context: dict, requirements: Requirements, marketplace: str,
             certificate_specs: dict[str, str] | None = None) -> list[Problem]:
    """Every reason the marketplace would refuse this SKU's product (none: it is ready)."""
    sku = SkuContext(context)
    found = []
    found += _ean(sku)
    found += _title(sku, requirements, marketplace)
    found += _images(sku, requirements, marketplace)
    found += _dimensions(sku)
    if not sku.brand:
        found.append(Problem("brand", msg("The SKU has no brand at VTEX.")))
    if not sku.category_id:
        found.append(Problem("category", msg("The SKU's product has no category at VTEX.")))
    found += _certificates(sku, requirements, certificate_specs or {})
    return found


def _ean(sku: SkuContext) -> list[Problem]:
    code = sku.ean
    if not code:
        return [Problem("ean_missing", msg("The SKU has no valid EAN at VTEX (the marketplace identifies products "
                                           "by EAN)."))]
    if len(code) not in (8, 12, 13, 14) or not gtin.is_valid(code):
        return [Problem("ean_invalid", msg("The EAN %(ean)s is not a valid GTIN (8, 12, 13 or 14 digits, the last "
                                           "one a check digit): correct it at VTEX.", ean=code[:20]))]
    return []


def _title(sku: SkuContext, requirements: Requirements, marketplace: str) -> list[Problem]:
    title = sku.title
    if not title:
        return [Problem("title_missing", msg("The SKU has no name at VTEX."))]
    if len(title) > requirements.max_title:
        return [Problem("title_long", msg("The name has %(length)d characters; %(marketplace)s takes at most "
                                          "%(limit)d. Shorten it at VTEX.", length=len(title),
                                          marketplace=marketplace, limit=requirements.max_title))]
    return []


def _images(sku: SkuContext, requirements: Requirements, marketplace: str) -> list[Problem]:
    count = len(sku.images)
    if not count:
        return [Problem("images_missing", msg("The SKU has no image at VTEX (the marketplace requires at least one)."))]
    if count > requirements.max_images:
        return [Problem("images_many", msg("The SKU has %(count)d images; %(marketplace)s takes at most %(limit)d. "
                                           "Remove some at VTEX.", count=count, marketplace=marketplace,
                                           limit=requirements.max_images))]
    return []


def _dimensions(sku: SkuContext) -> list[Problem]:
    dimension = sku.dimension
    values = {key: _number(dimension.get(key)) for key in ("weight", "height", "width", "length")}
    if any(value is None or value <= 0 for value in values.values()):
        return [Problem("dimensions_missing", msg("The SKU's weight or dimensions are missing at VTEX (weight, "
                                                  "height, width and length are needed for freight)."))]
    sides = (values["height"], values["width"], values["length"])
    if values["weight"] > MAX_WEIGHT_GRAMS or max(sides) > MAX_SIDE_CM:
        shown = {key: f"{value:g}" for key, value in values.items()}
        return [Problem("dimensions_implausible",
                        msg("The SKU's weight or dimensions are implausible at VTEX (%(weight)s g, %(height)s × "
                            "%(width)s × %(length)s cm): check the units.", **shown))]
    return []


def _certificates(sku: SkuContext, requirements: Requirements, certificate_specs: dict[str, str]) -> list[Problem]:
    category = sku.category_name
    if not category:
        return []
    found = []
    for certificate, words in requirements.certificates.items():
        if not any(word in category.lower() for word in words):
            continue
        spec = certificate_specs.get(certificate) or f"Certificado {certificate}"
        if not any(str(v).strip() for v in sku.specification(spec)):
            found.append(Problem(f"certificate_{certificate.lower()}",
                                 msg("The category %(category)s needs the %(certificate)s certificate: fill the "
                                     "specification \"%(spec)s\" at VTEX (or map another one in the settings).",
                                     category=category, certificate=certificate, spec=spec)))
    return found


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reasons(tenant, connector_key: str) -> list[tuple[str, str, int]]:
    """Why the SKUs of one marketplace are not ready, each reason with how many SKUs it holds back, most frequent
    first: (its code, its message's key, how many)."""
    counts, keys = Counter(), {}
    for problems, in scoped(SkuBinding, tenant, connector_key).filter(SkuBinding.product_state == "not_ready") \
            .with_entities(SkuBinding.readiness):
        for problem in problems or []:
            counts[problem["code"]] += 1
            keys.setdefault(problem["code"], problem["key"])
    return [(code, keys[code], count) for code, count in counts.most_common()]


def offer_reasons(tenant, connector_key: str, min_stock: int) -> dict[str, int]:
    """How many SKUs have no price in the trade policy (an offer in error that never had a price sent), and how many
    are offered with no stock above the minimum."""
    bindings = scoped(SkuBinding, tenant, connector_key)
    return {"price": bindings.filter(SkuBinding.offer_state == "error", SkuBinding.price_cents.is_(None)).count(),
            "stock": bindings.filter(SkuBinding.offer_state.in_(("sent", "live")),
                                     SkuBinding.quantity <= min_stock).count()}


def stored_problems(found: list[Problem]) -> list[dict]:
    """As the binding keeps them: the reason's code, and its message's key and values."""
    return [{"code": p.code, "key": p.message.key, "params": stored(p.message)[1]} for p in found]
