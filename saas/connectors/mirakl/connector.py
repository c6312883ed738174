"""A Mirakl operator: what the platform asks of a connector, carried out with the Mirakl client. Each operator is a
profile of it (a subclass that sets its name, key's name, default URL, shipping types, document type and texts):
Carrefour is one (``saas.connectors.carrefour``), and "Mirakl (outro operador)" (``operator.py``) connects any other
by URL and key."""
import io
import threading
from concurrent.futures import ThreadPoolExecutor

from cachetools import TTLCache, cached
from flask import current_app

from saas.connectors.base import (
    AccountInfo,
    Batch,
    BatchReport,
    Connector,
    LineResult,
    OrderData,
    OrderPage,
    Published,
    Requirements,
)
from saas.connectors.mirakl import budget, mapping
from saas.connectors.mirakl.client import MiraklClient
from saas.i18n import msg
from saas.integration_errors import PermanentError

_CARRIERS = TTLCache(maxsize=1024, ttl=86400)
LISTED_CALLS_AT_ONCE = 4  # P31 has no published limit: a few at once, as a browser would
FINAL_PRODUCT_STATES = {"COMPLETE", "FAILED", "CANCELLED", "TRANSFORMATION_FAILED"}
FINAL_OFFER_STATES = {"COMPLETE", "FAILED"}


class MiraklConnector(Connector):
    """The Mirakl logic every operator shares; a profile sets the class attributes below and ``settings_form``."""

    credentials_field = "shop_key"
    default_affiliate = "MRK"
    invoice_document_type = "CUSTOMER_INVOICE"
    credentials_help = ""
    api_url_help = ""
    # Mirakl's published maxima: a product import every 15 minutes, an offer import every minute, per shop.
    min_product_import_interval = 15 * 60
    min_offer_import_interval = 60
    export_chunk = 10_000  # offers per file of the reconciliation's export: one file is one run of its job
    # Images beyond the file's columns would be lost; the title is Mirakl's usual limit [I].
    requirements = Requirements(max_title=255, max_images=mapping.MAX_IMAGES,
                                certificates=mapping.CERTIFIED_CATEGORIES)

    @staticmethod
    def default_api_url() -> str:
        return ""

    @classmethod
    def extra_form_fields(cls) -> dict:
        """A profile's own fields, shown first on its form."""
        return {}

    @property
    def marketplace_name(self) -> str:
        return self.name

    @property
    def client(self) -> MiraklClient:
        settings = self.context.settings
        return MiraklClient(settings["api_url"], self.context.secrets.get("shop_key", ""),
                            shop_id=settings.get("shop_id") or None, timeout=self.context.timeout,
                            marketplace=self.key)

    def rate_limited_for(self) -> int:
        client = self.client
        return budget.budget().waiting(budget.shop_of(client.base_url, client.api_key))

    def check_credentials(self) -> AccountInfo:
        body = self.client.account()
        return AccountInfo(shop_id=str(body.get("shop_id", "")), shop_name=body.get("shop_name", ""),
                           shop_state=body.get("shop_state", ""), currency=body.get("currency_iso_code", ""))

    # -- catalog -----------------------------------------------------------------------------------------------------
    def publish_products(self, items) -> Published:
        """One product file (P41), streamed from ``items``."""
        certificate_specs = self.context.settings.get("certificate_specs") or {}
        return self._send("product", mapping.PRODUCT_HEADER, items,
                          lambda item: mapping.product_row(item, certificate_specs), self.client.import_products)

    def publish_offers(self, items) -> Published:
        """One offer file (OF01, NORMAL mode: offers not in the file are left as they are)."""
        min_stock = int(self.context.settings.get("min_stock") or 0)
        return self._send("offer", mapping.OFFER_HEADER, items, lambda item: mapping.offer_row(item, min_stock),
                          lambda csv_file: self.client.import_offers(csv_file, import_mode="NORMAL"))

    @staticmethod
    def _send(kind, header, items, build, upload) -> Published:
        published, sent = Published(), []

        def rows():
            for item in items:
                try:
                    row = build(item)
                except mapping.RowError as exc:
                    published.rejected[item.sku_id] = exc.message
                    continue
                sent.append(item.sku_id)
                yield row

        with mapping.write_csv(header, rows()) as csv_file:
            if sent:
                published.batch = Batch(kind, upload(csv_file), tuple(sent))
        return published

    def offered_quantity(self, stock: int | None) -> int:
        return mapping.offered_quantity(stock, int(self.context.settings.get("min_stock") or 0))

    # -- reconciliation: OF52 → OF53 → OF54, OR11 by creation --------------------------------------------------------
    def start_offer_export(self) -> str:
        return self.client.export_offers(mapping.EXPORT_FIELDS, self.export_chunk)

    def offer_export(self, handle: str):
        status = self.client.offer_export(handle)
        state = status.get("status")
        if state == "FAILED":
            detail = (status.get("error") or {}).get("detail") or state
            raise PermanentError(f"{self.marketplace_name} could not export the offers: {detail}")
        if state != "COMPLETED":
            return None
        return [str(url) for url in status.get("urls") or []]

    def offer_export_part(self, part: str):
        return mapping.exported_offers(self.client.offer_export_file(part))

    def paid_orders_since(self, since: str) -> list[OrderData]:
        orders, offset = [], 0
        while True:
            page = self.client.list_orders(states=["SHIPPING"], start_date=since, offset=offset, max_results=100)
            batch = page.get("orders") or []
            orders += [mapping.order_from_mirakl(raw) for raw in batch]
            offset += len(batch)
            if not batch or offset >= int(page.get("total_count") or 0):
                return orders

    def check_batch(self, batch: Batch) -> BatchReport:
        if batch.kind == "product":
            return self._product_report(batch)
        return self._offer_report(batch)

    def _product_report(self, batch: Batch) -> BatchReport:
        status = self.client.product_import(batch.import_id)
        state = status.get("import_status", "")
        if state not in FINAL_PRODUCT_STATES:
            return BatchReport(final=False, status=state)
        if state != "COMPLETE":
            reason = status.get("reason_status") or state
            return BatchReport(final=True, status=state, results={
                sku: LineResult("error", msg("%(marketplace)s did not process the product file: %(reason)s",
                                             marketplace=self.marketplace_name, reason=reason))
                for sku in batch.sku_ids})
        errors = mapping.parse_error_report(self.client.product_error_report(batch.import_id)) \
            if status.get("has_error_report") else {}
        results = {sku: LineResult("error", errors[sku]) if sku in errors else
                   LineResult("pending", msg("Product accepted by %(marketplace)s; awaiting its approval.",
                                             marketplace=self.marketplace_name))
                   for sku in batch.sku_ids}
        return BatchReport(final=True, status=state, results=results, summary=_counts(status, "transform_lines_"),
                           ok=True)

    def _offer_report(self, batch: Batch) -> BatchReport:
        status = self.client.offer_import(batch.import_id)
        state = status.get("status", "")
        if state not in FINAL_OFFER_STATES:
            return BatchReport(final=False, status=state)
        if state != "COMPLETE":
            reason = status.get("reason_status") or state
            return BatchReport(final=True, status=state, results={
                sku: LineResult("error", msg("%(marketplace)s did not process the offer file: %(reason)s",
                                             marketplace=self.marketplace_name, reason=reason))
                for sku in batch.sku_ids})
        errors = mapping.parse_error_report(self.client.offer_error_report(batch.import_id)) \
            if status.get("has_error_report") else {}
        results = {sku: LineResult("error", errors[sku]) if sku in errors else
                   LineResult("success", msg("Offer updated at %(marketplace)s.", marketplace=self.marketplace_name))
                   for sku in batch.sku_ids}
        return BatchReport(final=True, status=state, results=results, summary=_counts(status, "lines_"), ok=True)

    # -- orders ------------------------------------------------------------------------------------------------------
    def fetch_orders(self, cursor: str | None) -> OrderPage:
        """OR11 by last update since ``cursor`` (Mirakl subtracts its own delta), every page of 100."""
        orders, offset, newest = [], 0, cursor
        while True:
            page = self.client.list_orders(start_update_date=cursor, offset=offset, max_results=100)
            batch = page.get("orders") or []
            for raw in batch:
                orders.append(mapping.order_from_mirakl(raw))
                newest = max(newest or "", raw.get("last_updated_date") or "")
            offset += len(batch)
            if not batch or offset >= int(page.get("total_count") or 0):
                return OrderPage(orders=orders, cursor=newest)

    @classmethod
    def order_state_of(cls, marketplace_state: str) -> str:
        return mapping.ORDER_STATES.get(marketplace_state, "other")

    def order_data(self, raw: dict) -> OrderData:
        return mapping.order_from_mirakl(raw)

    def accept_order(self, order: OrderData, accepted: bool) -> None:
        raw_lines = order.raw.get("order_lines") or []
        self.client.accept_order(order.order_id, {str(line["order_line_id"]): accepted for line in raw_lines})

    def order_state(self, order_id: str) -> str:
        found = self.client.list_orders(order_ids=[order_id]).get("orders") or []
        return mapping.ORDER_STATES.get(found[0].get("order_state"), "other") if found else "other"

    # -- order events --------------------------------------------------------------------------------------------------
    def send_invoice(self, order_id: str, invoice: dict) -> None:
        """OR74: the NF-e XML when VTEX sent it embedded, else a document with its key, number, value and date;
        OR31 fields too where the tenant named their codes."""
        settings = self.context.settings
        name, content = mapping.invoice_document(invoice)
        document_type = settings.get("invoice_document_type") or self.invoice_document_type
        result = self.client.upload_documents(order_id, [(name, io.BytesIO(content), document_type)])
        if result.get("errors_count"):
            problems = "; ".join(str(d.get("message") or d) for d in result.get("order_documents") or [])
            raise PermanentError(f"{self.marketplace_name} did not take the invoice document: {problems}")
        fields = [{"code": settings[code], "type": "STRING", "value": invoice[value]}
                  for code, value in (("nfe_key_field", "invoiceKey"), ("nfe_number_field", "invoiceNumber"))
                  if settings.get(code) and invoice.get(value)]
        if fields:
            self.client.update_additional_fields(order_id, fields)

    def send_tracking(self, order_id: str, tracking: dict) -> None:
        """OR23: a carrier the operator knows by its code, otherwise its name and the tracking URL."""
        code = mapping.carrier_code(tracking.get("courier") or "", self._carriers())
        self.client.set_tracking(order_id, tracking_number=tracking.get("trackingNumber") or None, carrier_code=code,
                                 carrier_name=tracking.get("courier") or "Transportadora",
                                 carrier_url=tracking.get("trackingUrl") or None)

    def _carriers(self) -> list[dict]:
        return _mirakl_carriers(self.client)

    def mark_shipped(self, order_id: str) -> None:
        self.client.ship(order_id)

    def mark_delivered(self, order_id: str, delivered_at: str) -> None:
        field = self.context.settings.get("delivered_field")
        if field:
            self.client.update_additional_fields(order_id, [{"code": field, "type": "STRING",
                                                             "value": delivered_at or "true"}])
        else:
            when = f" em {delivered_at}" if delivered_at else ""
            self.client.send_message(order_id, "Pedido entregue", f"O pedido foi entregue ao cliente{when}.")

    def request_cancellation(self, order_id: str, reason: str) -> None:
        """Mirakl's operators do not let the seller cancel: ask, by a message (OR42) or, where that is closed, a
        thread."""
        body = (f"A loja cancelou este pedido na VTEX ({reason or 'sem motivo informado'}). "
                f"Por favor, cancelem o pedido no {self.marketplace_name}.")
        try:
            self.client.send_message(order_id, "Solicitação de cancelamento", body)
        except PermanentError:
            self.client.create_thread(order_id, "Solicitação de cancelamento", body)

    def listed(self, eans: list[str]) -> set[str]:
        """P31 by EAN, 100 references a call, ``LISTED_CALLS_AT_ONCE`` calls at a time (a catalog approved at once
        is a thousand calls)."""
        app = current_app._get_current_object()

        def one(start):
            with app.app_context():  # the shop's call budget is the app's
                body = self.client.products_by_reference([("EAN", ean) for ean in eans[start:start + 100]])
            return {str(p.get("product_id")) for p in body.get("products", [])}
        with ThreadPoolExecutor(max_workers=LISTED_CALLS_AT_ONCE) as pool:
            return set().union(*pool.map(one, range(0, len(eans), 100)))


def _counts(status: dict, prefix: str) -> dict:
    return {k: v for k, v in status.items() if k.startswith(prefix) and isinstance(v, int)}


@cached(_CARRIERS, key=lambda client: (client.base_url, client.api_key, client.shop_id), lock=threading.Lock())
def _mirakl_carriers(client: MiraklClient) -> list[dict]:
    """SH21, which Mirakl asks to read once a day: kept a day per shop."""
    return client.carriers()
