"""The checks an order passes before it is placed at VTEX, each failing with its own cause, and the VTEX order body.

Pure functions over the order and VTEX's answers, so each cause is tested with plain data.
"""
from dataclasses import dataclass, field

from saas.connectors.base import OrderData
from saas.i18n import Text, msg
from saas.text import plain
from saas.vtex import slas as vtex_slas
from saas.vtex.simulation import Simulation


@dataclass
class CheckFailed(Exception):
    cause: str     # sku_not_found | out_of_stock | shipping_unmapped | sla_unavailable | price_divergence | …
    problem: Text  # what is wrong with the order
    details: dict = field(default_factory=dict)
    retryable: bool = False  # a fault of a service, not of the order
    fix: Text | None = None  # what the merchant does about it, before reprocessing

    @property
    def message(self) -> Text:
        return self.problem + msg("%(fix)s, then reprocess.", fix=self.fix) if self.fix else self.problem

    def __str__(self):
        return str(self.message)


def mapped_carrier(order: OrderData, settings: dict, shipping_types) -> str:
    """The VTEX carrier the tenant mapped to the order's shipping type; ``shipping_types`` are the marketplace's
    (setting, label) pairs, as its connector declares them."""
    setting = next((name for name, label in shipping_types if plain(label) == plain(order.shipping_type)), None)
    carrier = (settings.get(setting) or "").strip() if setting else ""
    if not carrier:
        raise CheckFailed("shipping_unmapped",
                          msg("The marketplace's shipping type “%(shipping_type)s” is not mapped to a VTEX carrier.",
                              shipping_type=order.shipping_type),
                          {"shipping_type": order.shipping_type},
                          fix=msg("Map it in the marketplace's settings (SLA mapping)"))
    return carrier


def check_stock(order: OrderData, simulation: Simulation) -> None:
    """Every line sellable in the trade policy, with stock for its quantity, by the simulation."""
    short = []
    for index, line in enumerate(order.lines):
        stock = simulation.stock(index)
        if not simulation.sells(line.sku_id) or (stock is not None and stock < line.quantity):
            short.append({"sku": line.sku_id, "quantity": line.quantity, "stock": stock or 0})
    if short:
        listing = [msg("SKU %(sku)s (asked %(quantity)d, has %(stock)d)", **s) for s in short]
        raise CheckFailed("out_of_stock", msg("Not sellable with stock in the trade policy: %(listing)s.",
                                              listing=_joined(listing)),
                          {"lines": short}, fix=msg("Check the stock, the SKU's active flag and its trade policy"))


def select_slas(order: OrderData, simulation: Simulation, carrier: str) -> list[dict]:
    """The mapped carrier's SLA for every line at the buyer's CEP, as the simulation offers it."""
    chosen, missing = [], []
    for index, line in enumerate(order.lines):
        match = vtex_slas.chosen(simulation.slas(index), carrier)
        if match is None:
            missing.append(line.sku_id)
        chosen.append(match)
    if missing:
        cep = order.address.postal_code if order.address else "?"
        raise CheckFailed("sla_unavailable",
                          msg("The carrier “%(carrier)s” does not deliver to CEP %(cep)s these SKUs: %(skus)s.",
                              carrier=carrier, skus=", ".join(missing), cep=cep),
                          {"carrier": carrier, "postal_code": cep, "skus": missing},
                          fix=msg("Check the shipping policy, its docks and the trade policy"))
    return chosen


def check_price(order: OrderData, simulation: Simulation, slas: list[dict], tolerance_pct: float) -> None:
    """The marketplace's total against VTEX's (items and freight); beyond the tolerance the order is not placed."""
    vtex = sum(simulation.price(line.sku_id) * line.quantity for line in order.lines) + sum(s.get("price") or 0
                                                                                           for s in slas)
    marketplace = order.total_cents
    difference = abs(marketplace - vtex) / vtex * 100 if vtex else 100.0
    if difference > tolerance_pct:
        raise CheckFailed("price_divergence",
                          msg("The marketplace's total %(marketplace_cents)s differs from VTEX's %(vtex_cents)s by "
                              "%(difference_pct)s%%, beyond the tolerance of %(tolerance_pct)s%%.",
                              marketplace_cents=marketplace, vtex_cents=vtex,
                              difference_pct=round(difference, 2), tolerance_pct=tolerance_pct),
                          {"marketplace_cents": marketplace, "vtex_cents": vtex, "difference_pct": round(difference, 2),
                           "tolerance_pct": tolerance_pct}, fix=msg("Fix the price or the divergence rate"))


def _joined(parts: list[Text]) -> Text:
    """A list of messages read as one, each translated."""
    names = {f"p{i}": part for i, part in enumerate(parts)}
    return Text(", ".join(f"%({name})s" for name in names), names)


def vtex_order(order: OrderData, slas: list[dict], *, services_endpoint: str) -> dict:
    """The order VTEX's fulfillment API places: the marketplace's item prices in cents, each item's freight as the
    simulation priced its SLA, no payment data. A field VTEX's spec types as a string or an object is left out when
    there is nothing to say, never sent as null (only the corporate fields and ``paymentData`` are nullable)."""
    address = order.address
    document_type = "cnpj" if len(order.document) == 14 else "cpf"
    email = order.email or f"pedido-{order.order_id.lower()}@marketplace.invalid"
    return {
        "marketplaceOrderId": order.order_id,
        "marketplaceServicesEndpoint": services_endpoint,
        "marketplacePaymentValue": order.total_cents,
        "isCreatedAsync": False,
        "items": [{"id": line.sku_id, "quantity": line.quantity, "seller": "1", "price": line.unit_price_cents,
                   "priceTags": [], "commission": 0, "freightCommission": 0, "isGift": False}
                  for line in order.lines],
        "clientProfileData": _present(
            email=email, firstName=order.first_name, lastName=order.last_name, documentType=document_type,
            document=order.document, phone=order.phone, isCorporate=document_type == "cnpj", corporateName=None,
            tradeName=None, corporateDocument=None, stateInscription=None, corporatePhone=None,
            nullable=("corporateName", "tradeName", "corporateDocument", "stateInscription", "corporatePhone")),
        "shippingData": {
            "isFob": False,
            "address": _present(addressType="residential", receiverName=address.receiver,
                                postalCode=address.postal_code, city=address.city, state=address.state,
                                country=address.country, street=address.street, number=address.number,
                                neighborhood=address.neighborhood, complement=address.complement,
                                geoCoordinates=[]),
            "logisticsInfo": [_present(itemIndex=index, selectedSla=sla["id"], price=int(sla.get("price") or 0),
                                       shippingEstimate=sla.get("shippingEstimate"),
                                       lockTTL=sla.get("lockTTL") or "10d")
                              for index, sla in enumerate(slas)]},
        "paymentData": None,
    }


def _present(nullable=(), **fields) -> dict:
    """``fields`` without the empty ones, but for those the spec lets be null."""
    return {name: value for name, value in fields.items() if value not in (None, "") or name in nullable}
