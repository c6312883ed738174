"""A marketplace that lives in memory, written against the connector interface alone, as a third party would ship
one: the plugin test finds it through the ``saas.connectors`` entry point and runs every flow of the core with it."""
import itertools

from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import InputRequired, Optional

from saas.connectors import base
from saas.connectors.base import Connector
from saas.connectors.carrefour import freight_wire
from saas.connectors.forms import Section, declared_fields

MARKET = {"products": {}, "offers": {}, "orders": {}, "events": []}
_import_ids = itertools.count(1)


def reset() -> None:
    for value in MARKET.values():
        value.clear()


class FakeMarketSettingsForm(FlaskForm):
    """What the portal's generic settings page needs of a plugin's form: its fields, ``sections``, ``is_active``,
    ``initial_data`` and ``settings()``."""

    active = RadioField("Active", choices=[("yes", "Yes"), ("no", "No")], default="no")
    notification_email = EmailField("E-mail", validators=[Optional()])
    api_key = PasswordField("Fake Market key", validators=[Optional()])
    trade_policy = StringField("Trade policy", default="1", validators=[InputRequired()])
    affiliate_id = StringField("Affiliate", default="FKM", validators=[InputRequired()])
    divergence = DecimalField("Divergence", default=50)
    sla_padrao = StringField("Padrão", validators=[Optional()])
    sections = (Section("", ("active", "notification_email", "api_key", "trade_policy", "affiliate_id",
                             "divergence")),
                Section("SLA", ("sla_padrao",), carriers=True))

    @property
    def is_active(self) -> bool:
        return self.active.data == "yes"

    @staticmethod
    def initial_data(settings: dict, active: bool) -> dict:
        return {**settings, "active": "yes" if active else "no"}

    def settings(self) -> dict:
        return {"notification_email": self.notification_email.data, "trade_policy": self.trade_policy.data,
                "affiliate_id": self.affiliate_id.data, "divergence": float(self.divergence.data or 0),
                "sla_padrao": self.sla_padrao.data, "auto_accept": True}


class FakeMarketConnector(Connector):
    key = "fakemarket"
    name = "Fake Market"
    description = "A marketplace in memory, for tests."
    shipping_types = (("sla_padrao", "Padrão"),)
    settings_form = FakeMarketSettingsForm
    settings_fields = declared_fields(FakeMarketSettingsForm)
    credentials_field = "api_key"
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
