"""Carrefour Brasil (Mirakl): what the platform asks of the connector, carried out with the Mirakl client."""
from saas.connectors.base import (AccountInfo, Batch, BatchReport, CatalogItem, Connector, LineResult,
                                  PublishResult)
from saas.connectors.carrefour import mapping
from saas.connectors.carrefour.client import MiraklClient
from saas.connectors.carrefour.settings import FIELDS, CarrefourSettingsForm

FINAL_PRODUCT_STATES = {"COMPLETE", "FAILED", "CANCELLED", "TRANSFORMATION_FAILED"}
FINAL_OFFER_STATES = {"COMPLETE", "FAILED"}
NOT_APPROVED = "not yet approved"  # how Mirakl's offer report says the product awaits the operator


class CarrefourConnector(Connector):
    key = "carrefour"
    name = "Carrefour"
    description = "Carrefour Brasil marketplace (Mirakl): catálogo, preço, estoque, pedidos e frete."
    settings_form = CarrefourSettingsForm
    settings_fields = FIELDS
    credentials_field = "shop_key"
    # Mirakl's published maxima: a product import every 15 minutes, an offer import every minute, per shop.
    min_product_import_interval = 15 * 60
    min_offer_import_interval = 60

    @property
    def client(self) -> MiraklClient:
        settings = self.context.settings
        return MiraklClient(settings["api_url"], self.context.secrets.get("shop_key", ""),
                            shop_id=settings.get("shop_id") or None, timeout=self.context.timeout)

    def check_credentials(self) -> AccountInfo:
        body = self.client.account()
        return AccountInfo(shop_id=str(body.get("shop_id", "")), shop_name=body.get("shop_name", ""),
                           shop_state=body.get("shop_state", ""), currency=body.get("currency_iso_code", ""))

    # -- catalog -----------------------------------------------------------------------------------------------------
    def publish(self, products: list[CatalogItem], offers: list[CatalogItem]) -> PublishResult:
        """One product file (P41) for the products and one offer file (OF01, NORMAL) for the offers."""
        result = PublishResult()
        certificate_specs = self.context.settings.get("certificate_specs") or {}
        min_stock = int(self.context.settings.get("min_stock") or 0)
        product_rows = self._rows(products, lambda item: mapping.product_row(item, certificate_specs),
                                  result.rejected_products)
        offer_rows = self._rows(offers, lambda item: mapping.offer_row(item, min_stock), result.rejected_offers)
        if product_rows:
            with mapping.write_csv(mapping.PRODUCT_HEADER, (row for _, row in product_rows)) as csv_file:
                import_id = self.client.import_products(csv_file)
            result.batches.append(Batch("product", import_id, tuple(sku for sku, _ in product_rows)))
        if offer_rows:
            with mapping.write_csv(mapping.OFFER_HEADER, (row for _, row in offer_rows)) as csv_file:
                import_id = self.client.import_offers(csv_file, import_mode="NORMAL")
            result.batches.append(Batch("offer", import_id, tuple(sku for sku, _ in offer_rows)))
        return result

    @staticmethod
    def _rows(items, build, rejected: dict) -> list[tuple[str, list[str]]]:
        rows = []
        for item in items:
            try:
                rows.append((item.sku_id, build(item)))
            except mapping.RowError as exc:
                rejected[item.sku_id] = str(exc)
        return rows

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
            reason = status.get("reason_status") or f"the import ended {state}"
            return BatchReport(final=True, status=state, results={
                sku: LineResult("error", f"Carrefour did not process the product file: {reason}")
                for sku in batch.sku_ids})
        errors = mapping.parse_error_report(self.client.product_error_report(batch.import_id)) \
            if status.get("has_error_report") else {}
        results = {sku: LineResult("error", errors[sku]) if sku in errors else
                   LineResult("pending", "Product accepted by Carrefour; awaiting Carrefour's approval.")
                   for sku in batch.sku_ids}
        return BatchReport(final=True, status=state, results=results, summary=_counts(status, "transform_lines_"))

    def _offer_report(self, batch: Batch) -> BatchReport:
        status = self.client.offer_import(batch.import_id)
        state = status.get("status", "")
        if state not in FINAL_OFFER_STATES:
            return BatchReport(final=False, status=state)
        if state != "COMPLETE":
            reason = status.get("reason_status") or "the import failed"
            return BatchReport(final=True, status=state, results={
                sku: LineResult("error", f"Carrefour did not process the offer file: {reason}")
                for sku in batch.sku_ids})
        errors = mapping.parse_error_report(self.client.offer_error_report(batch.import_id)) \
            if status.get("has_error_report") else {}
        results = {}
        for sku in batch.sku_ids:
            message = errors.get(sku)
            if message is None:
                results[sku] = LineResult("success", "Offer updated at Carrefour.")
            elif NOT_APPROVED in message.lower():
                results[sku] = LineResult("pending", f"{message} It is sent again as soon as Carrefour approves.")
            else:
                results[sku] = LineResult("error", message)
        return BatchReport(final=True, status=state, results=results, summary=_counts(status, "lines_"))

    def listed(self, eans: list[str]) -> set[str]:
        """P31 by EAN, 100 references per call."""
        found = set()
        for start in range(0, len(eans), 100):
            body = self.client.products_by_reference([("EAN", ean) for ean in eans[start:start + 100]])
            found.update(str(p.get("product_id")) for p in body.get("products", []))
        return found


def _counts(status: dict, prefix: str) -> dict:
    return {k: v for k, v in status.items() if k.startswith(prefix) and isinstance(v, int)}
