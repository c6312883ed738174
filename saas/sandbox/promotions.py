"""Promotions as VTEX's Promotions API keeps them (``vtex-promotions-taxes-api.json``), for the VTEX simulator.

A promotion has a begin and an end (UTC), ``isActive``, a scope (SKUs, products, brands, categories, collections,
each inclusive or exclusive, and trade policies) and a percentage or a nominal discount. The fulfillment simulation
applies the best promotion in force to ``sellingPrice``; nobody is notified when one starts or ends, as at VTEX.
"""
import uuid
from datetime import datetime, timezone

SCOPES = (("skus", "skusAreInclusive", lambda sku: {str(sku["Id"])}),
          ("products", "productsAreInclusive", lambda sku: {str(sku["ProductId"])}),
          ("brands", "brandsAreInclusive", lambda sku: {str(sku["BrandId"])}),
          ("categories", "categoriesAreInclusive", lambda sku: set(sku["ProductCategoryIds"].strip("/").split("/"))),
          ("collections", "collectionsIsInclusive", lambda sku: {str(c) for c in sku.get("Collections") or []}))


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def in_force(promotion: dict, now: datetime) -> bool:
    begin, end = _utc(promotion.get("beginDateUtc")), _utc(promotion.get("endDateUtc"))
    return bool(promotion.get("isActive")) and (begin is None or begin <= now) and (end is None or now < end)


def applies(promotion: dict, sku: dict, trade_policy: str, now: datetime) -> bool:
    if not in_force(promotion, now):
        return False
    channels = [str(c) for c in promotion.get("idsSalesChannel") or []]
    if channels and (trade_policy in channels) == bool(promotion.get("areSalesChannelIdsExclusive")):
        return False
    for name, inclusive_flag, values_of in SCOPES:
        listed = {str(item["id"]) for item in promotion.get(name) or []}
        if not listed:
            continue
        matches = bool(listed & values_of(sku))
        if matches != promotion.get(inclusive_flag, True):
            return False
    return True


def discount(promotion: dict, price_cents: int) -> int:
    if promotion.get("discountType") == "nominal":
        return min(price_cents, int(round(float(promotion.get("nominalDiscountValue") or 0) * 100)))
    return int(round(price_cents * float(promotion.get("percentualDiscountValue") or 0) / 100))


def best(promotions: list[dict], sku: dict, trade_policy: str, now: datetime) -> tuple[dict, int] | None:
    """The promotion that takes the most off this SKU's price now (VTEX does not add up regular promotions)."""
    found = [(p, discount(p, sku["price"])) for p in promotions if applies(p, sku, trade_policy, now)]
    return max(found, key=lambda pair: pair[1]) if found else None


def summary(promotion: dict) -> dict:
    """The promotion as ``GET /api/rnb/pvt/benefits/calculatorconfiguration`` lists it."""
    scope = {"allCatalog": not any(promotion.get(name) for name, _flag, _values in SCOPES)}
    for name, flag, _values in SCOPES:
        scope[name] = len(promotion.get(name) or [])
        scope[flag.replace("IsInclusive", "AreInclusive")] = promotion.get(flag, True)
    dates = {"beginDate": promotion.get("beginDateUtc"), "endDate": promotion.get("endDateUtc")}
    return {"idCalculatorConfiguration": promotion["idCalculatorConfiguration"], "name": promotion["name"],
            **{k: v for k, v in dates.items() if v},  # VTEX leaves out a date a promotion does not have
            "isActive": promotion.get("isActive", False), "type": "regular",
            "status": "active" if promotion.get("isActive") else "inactive", "isArchived": False,
            "lastModifiedUtc": promotion["lastModified"], "scope": scope,
            "idsSalesChannel": promotion.get("idsSalesChannel") or [],
            "areSalesChannelIdsExclusive": promotion.get("areSalesChannelIdsExclusive", False)}


def from_admin(form: dict, now: str) -> dict:
    """A promotion from the admin page's fields (or a test's JSON): name, begin, end (ISO 8601 UTC), percent or
    nominal (reais), and comma-separated skus, products, brands, categories, trade_policies."""
    def listed(name):
        raw = form.get(name) or []
        values = raw if isinstance(raw, list) else [v.strip() for v in str(raw).split(",") if v.strip()]
        return [{"id": str(v), "name": str(v)} for v in values]

    nominal = form.get("nominal") not in (None, "")
    return {"idCalculatorConfiguration": form.get("id") or str(uuid.uuid4()), "name": form.get("name") or "Promoção",
            "beginDateUtc": form.get("begin") or now[:19] + "Z", "endDateUtc": form.get("end") or None,
            "isActive": str(form.get("active", True)).lower() not in ("0", "false", "no"), "type": "regular",
            "discountType": "nominal" if nominal else "percentual",
            "nominalDiscountValue": float(form["nominal"]) if nominal else 0.0,
            "percentualDiscountValue": 0.0 if nominal else float(form.get("percent") or 0),
            "skus": listed("skus"), "skusAreInclusive": True, "products": listed("products"),
            "productsAreInclusive": True, "brands": listed("brands"), "brandsAreInclusive": True,
            "categories": listed("categories"), "categoriesAreInclusive": True, "collections": [],
            "collectionsIsInclusive": True, "idsSalesChannel": [str(v["id"]) for v in listed("trade_policies")],
            "areSalesChannelIdsExclusive": False, "cumulative": False, "lastModified": now}
