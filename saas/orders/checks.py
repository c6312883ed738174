"""The checks an order passes before it is placed at VTEX, each failing with its own cause, and the VTEX order body.

Pure functions over the order and VTEX's answers, so each cause is tested with plain data.
"""
from dataclasses import dataclass, field

from saas.connectors.base import OrderData
from saas.text import plain

SHIPPING_SETTINGS = {"normal": "sla_normal", "expressa": "sla_expressa", "economica": "sla_economica",
                     "agendada": "sla_agendada"}


@dataclass
class CheckFailed(Exception):
    cause: str     # sku_not_found | out_of_stock | shipping_unmapped | sla_unavailable | price_divergence | …
    message: str
    details: dict = field(default_factory=dict)
    retryable: bool = False  # a fault of a service, not of the order

    def __str__(self):
        return self.message


def mapped_carrier(order: OrderData, settings: dict) -> str:
    """The VTEX carrier the tenant mapped to the order's shipping type (Normal, Expressa, Econômica, Agendada)."""
    setting = SHIPPING_SETTINGS.get(plain(order.shipping_type))
    carrier = (settings.get(setting) or "").strip() if setting else ""
    if not carrier:
        raise CheckFailed("shipping_unmapped",
                          f"The Carrefour shipping type “{order.shipping_type}” is not mapped to a VTEX carrier. "
                          "Map it in Carrefour's settings (Mapeamento de SLA), then reprocess the order.",
                          {"shipping_type": order.shipping_type})
    return carrier


def check_stock(order: OrderData, simulation: dict) -> None:
    """Every line sellable in the trade policy, with stock for its quantity, by the simulation."""
    items = {str(i.get("id")): i for i in simulation.get("items") or []}
    logistics = {li.get("itemIndex"): li for li in simulation.get("logisticsInfo") or []}
    short = []
    for index, line in enumerate(order.lines):
        item, info = items.get(line.sku_id), logistics.get(index) or {}
        stock = info.get("stockBalance")
        if item is None or (item.get("price") or 0) <= 0 or (stock is not None and stock < line.quantity):
            short.append({"sku": line.sku_id, "quantity": line.quantity, "stock": stock or 0})
    if short:
        listing = ", ".join(f"SKU {s['sku']} (asked {s['quantity']}, has {s['stock']})" for s in short)
        raise CheckFailed("out_of_stock", f"Not sellable with stock in the trade policy: {listing}. Check the stock, "
                                          "the SKU's active flag and its trade policy, then reprocess.",
                          {"lines": short})


def select_slas(order: OrderData, simulation: dict, carrier: str) -> list[dict]:
    """The mapped carrier's SLA for every line at the buyer's CEP, as the simulation offers it."""
    wanted = plain(carrier)
    logistics = {li.get("itemIndex"): li for li in simulation.get("logisticsInfo") or []}
    chosen, missing = [], []
    for index, line in enumerate(order.lines):
        slas = (logistics.get(index) or {}).get("slas") or []
        match = next((s for s in slas if wanted in {plain(s.get("id")), plain(s.get("name"))} | {
            plain(d.get("courierName")) for d in s.get("deliveryIds") or []} | {
            plain(d.get("courierId")) for d in s.get("deliveryIds") or []}), None)
        if match is None:
            missing.append(line.sku_id)
        chosen.append(match)
    if missing:
        cep = order.address.postal_code if order.address else "?"
        raise CheckFailed("sla_unavailable",
                          f"The carrier “{carrier}” does not deliver SKU(s) {', '.join(missing)} to CEP {cep}. "
                          "Check the shipping policy, its docks and the trade policy, then reprocess.",
                          {"carrier": carrier, "postal_code": cep, "skus": missing})
    return chosen


def check_price(order: OrderData, simulation: dict, slas: list[dict], tolerance_pct: float) -> None:
    """Carrefour's total against VTEX's (items and freight); beyond the tolerance the order is not placed."""
    prices = {str(i.get("id")): i.get("sellingPrice") or i.get("price") or 0 for i in simulation.get("items") or []}
    vtex = sum(prices.get(line.sku_id, 0) * line.quantity for line in order.lines) + sum(s.get("price") or 0
                                                                                        for s in slas)
    carrefour = order.total_cents
    difference = abs(carrefour - vtex) / vtex * 100 if vtex else 100.0
    if difference > tolerance_pct:
        raise CheckFailed("price_divergence",
                          f"Carrefour's total R$ {carrefour / 100:.2f} differs from VTEX's R$ {vtex / 100:.2f} by "
                          f"{difference:.2f}%, beyond the tolerance of {tolerance_pct:g}%. Fix the price or the "
                          "Taxa de divergência, then reprocess.",
                          {"carrefour_cents": carrefour, "vtex_cents": vtex, "difference_pct": round(difference, 2),
                           "tolerance_pct": tolerance_pct})


def vtex_order(order: OrderData, slas: list[dict], *, services_endpoint: str) -> dict:
    """The order VTEX's fulfillment API places: Carrefour's prices and freight in cents, no payment data."""
    address = order.address
    freight = _split(order.shipping_cents, len(order.lines))
    document_type = "cnpj" if len(order.document) == 14 else "cpf"
    email = order.email or f"pedido-{order.order_id.lower()}@marketplace.carrefour.invalid"
    return {
        "marketplaceOrderId": order.order_id,
        "marketplaceServicesEndpoint": services_endpoint,
        "marketplacePaymentValue": order.total_cents,
        "isCreatedAsync": False,
        "items": [{"id": line.sku_id, "quantity": line.quantity, "seller": "1", "price": line.unit_price_cents,
                   "priceTags": [], "commission": 0, "freightCommission": 0, "isGift": False}
                  for line in order.lines],
        "clientProfileData": {"email": email, "firstName": order.first_name, "lastName": order.last_name,
                              "documentType": document_type, "document": order.document, "phone": order.phone,
                              "isCorporate": document_type == "cnpj",
                              "corporateName": None, "tradeName": None, "corporateDocument": None,
                              "stateInscription": None, "corporatePhone": None},
        "shippingData": {
            "isFob": False,
            "address": {"addressType": "residential", "receiverName": address.receiver,
                        "postalCode": address.postal_code, "city": address.city, "state": address.state,
                        "country": address.country, "street": address.street, "number": address.number,
                        "neighborhood": address.neighborhood, "complement": address.complement,
                        "reference": None, "geoCoordinates": []},
            "logisticsInfo": [{"itemIndex": index, "selectedSla": sla["id"], "price": freight[index],
                               "shippingEstimate": sla.get("shippingEstimate"), "lockTTL": sla.get("lockTTL") or "10d",
                               "deliveryWindow": None}
                              for index, sla in enumerate(slas)]},
        "paymentData": None,
    }


def _split(total: int, parts: int) -> list[int]:
    """``total`` cents over ``parts`` lines, the remainder on the last, so the parts add up exactly."""
    share = total // parts
    return [share] * (parts - 1) + [total - share * (parts - 1)]
