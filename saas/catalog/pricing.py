"""The offers of one sync as the store's rules make them (``saas.catalog.rules``), and the prices the drop guard
holds back until the merchant approves them or fixes VTEX."""
from dataclasses import dataclass, field, replace

from saas.catalog import rules
from saas.connectors.base import CatalogItem


@dataclass
class Priced:
    """What goes (rules applied), what is held, and what each SKU's binding keeps of it."""

    items: list[CatalogItem] = field(default_factory=list)
    held: dict[str, tuple] = field(default_factory=dict)  # SKU → (reason, price, last accepted, cost)
    notes: dict[str, dict] = field(default_factory=dict)                       # SKU → binding values


class Pricing:
    def __init__(self, settings: dict, safety: dict | None = None):
        """``safety``: SKU → :class:`~saas.catalog.safety.Safety`, the units each offer holds back."""
        self.safety = safety or {}
        self.rules = rules.load(settings)
        self.order = rules.precedence(self.rules)
        self.stored = [rule.as_dict() for rule in self.rules]  # as each SKU's binding keeps the rule that priced it
        self.drop_pct = float(settings.get("price_drop_guard", rules.DEFAULT_DROP_GUARD) or 0)
        self.cost_spec = (settings.get("cost_spec") or "").strip()

    @property
    def needs_taxonomy(self) -> bool:
        """Whether a rule targets a brand or a category, which the SKU's binding or VTEX must then tell."""
        return any(r.target in ("brand", "category") and not r.invalid for r in self.rules)

    def apply(self, offers: list[CatalogItem], bindings: dict, taxonomy: dict[str, tuple],
              costs: dict[str, int | None] | None = None) -> Priced:
        """``taxonomy``: SKU → (brand, category id) where known; ``costs``: SKU → cost (cents) where known."""
        priced = Priced()
        for item in offers:
            if item.withdraw or item.price_cents is None:
                priced.items.append(item)
                continue
            binding = bindings.get(item.sku_id)
            brand, category = taxonomy.get(item.sku_id, (None, None))
            index = rules.rule_for(self.rules, item.sku_id, brand, category, self.order)
            rule = self.rules[index] if index is not None else None
            safety = self.safety.get(item.sku_id)
            quantity = rules.quantity(rule, item.quantity)
            if safety is not None and quantity is not None:
                quantity = max(quantity - safety.units, 0)
            sent = replace(item, price_cents=rules.price(rule, item.price_cents),
                           list_price_cents=rules.price(rule, item.list_price_cents) if item.list_price_cents else None,
                           quantity=quantity)
            notes = {"vtex_price_cents": item.price_cents, "price_rule": self.stored[index] if rule else None,
                     "safety": safety.as_dict() if safety is not None and safety.units else None}
            last = binding.price_cents if binding is not None and binding.offer_state in ("live", "sent") else None
            cost = (costs or {}).get(item.sku_id)
            reason = rules.held(sent.price_cents, last, self.drop_pct,
                                binding.approved_price_cents if binding is not None else None, cost)
            if reason:
                priced.held[item.sku_id] = (reason, sent.price_cents, last, cost)
                notes.update(held_price_cents=sent.price_cents, held_reason=reason)
            else:
                priced.items.append(sent)
                notes.update(held_price_cents=None, held_reason=None, approved_price_cents=None)
            priced.notes[item.sku_id] = notes
        return priced
