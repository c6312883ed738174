"""A marketplace that lives in memory, written against the connector interface alone, as a third party would ship
one: the plugin test finds it through the ``saas.connectors`` entry point and runs every flow of the core with it."""
import itertools

from saas.connectors import base
from saas.connectors.base import Connector
from saas.connectors.carrefour import freight_wire

MARKET = {"products": {}, "offers": {}, "orders": {}, "events": []}
_import_ids = itertools.count(1)


def reset() -> None:
    for value in MARKET.values():
        value.clear()


class FakeMarketConnector(Connector):
    key = "fakemarket"
    name = "Fake Market"
    description = "A marketplace in memory, for tests."
    shipping_types = (("sla_padrao", "Padrão"),)
    freight_wire = freight_wire  # it reads and answers freight quotes as Carrefour does, like any Mirakl operator

    def check_credentials(self) -> base.AccountInfo:
        return base.AccountInfo(shop_id="fm-1", shop_name="Loja na Fake Market")

    def publish_products(self, items) -> base.Published:
        sent = []
        for item in items:
            MARKET["products"][item.sku_id] = ((item.context or {}).get("AlternateIds") or {}).get("Ean")
            sent.append(item.sku_id)
        return base.Published(batch=_batch("product", sent) if sent else None)

    def publish_offers(self, items) -> base.Published:
        sent = []
        for item in items:
            if item.withdraw:
                MARKET["offers"].pop(item.sku_id, None)
            else:
                MARKET["offers"][item.sku_id] = (item.price_cents, item.quantity)
            sent.append(item.sku_id)
        return base.Published(batch=_batch("offer", sent) if sent else None)

    def check_batch(self, batch: base.Batch) -> base.BatchReport:
        return base.BatchReport(final=True, status="PROCESSED", ok=True, results={
            sku: base.LineResult("success", "Taken by Fake Market.") for sku in batch.sku_ids})

    def listed(self, eans):
        return set(eans)

    def fetch_orders(self, cursor):
        return base.OrderPage(orders=[self.order_data(raw) for raw in MARKET["orders"].values()],
                         cursor=max((raw["updated"] for raw in MARKET["orders"].values()), default=cursor))

    def order_data(self, raw: dict) -> base.OrderData:
        lines = tuple(base.OrderLine(f"L{n}", sku, quantity, cents)
                      for n, (sku, quantity, cents) in enumerate(raw["lines"]))
        return base.OrderData(
            order_id=raw["id"], state="paid", marketplace_state="PAGO", updated_at=raw["updated"], lines=lines,
            shipping_type="Padrão", shipping_cents=0, total_cents=sum(q * c for _, q, c in raw["lines"]),
            first_name="Ana", last_name="Souza", email="ana@fake.example", phone="11999999999",
            document="12345678909", raw=raw,
            address=base.Address("Ana Souza", "01310100", "Avenida Paulista", "1000", "", "Bela Vista", "São Paulo",
                                 "SP"))

    def accept_order(self, order, accepted):
        MARKET["events"].append(("accepted" if accepted else "refused", order.order_id))

    def order_state(self, order_id):
        return "paid"

    def send_invoice(self, order_id, invoice):
        MARKET["events"].append(("invoice", order_id, invoice["invoiceNumber"]))

    def send_tracking(self, order_id, tracking):
        MARKET["events"].append(("tracking", order_id, tracking["trackingNumber"]))

    def mark_shipped(self, order_id):
        MARKET["events"].append(("shipped", order_id))

    def mark_delivered(self, order_id, delivered_at):
        MARKET["events"].append(("delivered", order_id))

    def request_cancellation(self, order_id, reason):
        MARKET["events"].append(("cancellation requested", order_id))


def _batch(kind, sku_ids) -> base.Batch:
    return base.Batch(kind, str(next(_import_ids)), tuple(sku_ids))
