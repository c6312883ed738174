"""VTEX's "SKU and context" (``GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{skuId}``), read in one place:
the product file's mapping, the readiness checks, the price rules' taxonomy and cost, the bindings' EAN and title
and the contingency table's weights all read a SKU through :class:`SkuContext`.

A specification of the SKU wins over the product's of the same name when it has a value; names are compared without
case or surrounding spaces.
"""
from functools import cached_property


class SkuContext:
    def __init__(self, raw: dict | None):
        self.raw = raw or {}

    @property
    def ean(self) -> str:
        return str((self.raw.get("AlternateIds") or {}).get("Ean") or "").strip()

    @property
    def title(self) -> str:
        """The SKU's full name, or its product's when that is blank."""
        return str(self.raw.get("NameComplete") or "").strip() or str(self.raw.get("ProductName") or "").strip()

    @property
    def brand(self) -> str:
        return str(self.raw.get("BrandName") or "").strip()

    @property
    def category_id(self) -> str:
        """The deepest category of the product (``/1/12/`` → ``12``), or ``""``."""
        path = str(self.raw.get("ProductCategoryIds") or "").strip("/")
        return path.split("/")[-1] if path else ""

    @property
    def category_name(self) -> str:
        return str((self.raw.get("ProductCategories") or {}).get(self.category_id, "")) if self.category_id else ""

    @property
    def description(self) -> str:
        return str(self.raw.get("ProductDescription") or "")

    @property
    def images(self) -> list[str]:
        urls = [image.get("ImageUrl") for image in self.raw.get("Images") or [] if image.get("ImageUrl")]
        return urls or ([self.raw["ImageUrl"]] if self.raw.get("ImageUrl") else [])

    @property
    def dimension(self) -> dict:
        """``weight`` (grams), ``height``, ``width``, ``length`` (cm), as VTEX has them (possibly missing)."""
        return self.raw.get("Dimension") or {}

    @property
    def weight_grams(self):
        return self.dimension.get("weight") or (self.raw.get("RealDimension") or {}).get("realWeight")

    @cached_property
    def _specifications(self) -> dict[str, tuple[str, list]]:
        found = {}
        for spec in (self.raw.get("ProductSpecifications") or []) + (self.raw.get("SkuSpecifications") or []):
            name, values = str(spec.get("FieldName") or ""), spec.get("FieldValues") or []
            if values or _key(name) not in found:
                found[_key(name)] = (name, list(values))
        return found

    def specification(self, name: str) -> list:
        """The values of the specification ``name`` (empty when there is none)."""
        if not name.strip():
            return []
        return self._specifications.get(_key(name), ("", []))[1]

    def specification_text(self, name: str) -> str:
        return ", ".join(str(value) for value in self.specification(name))


def _key(name: str) -> str:
    return name.strip().casefold()
