"""Mirakl's seller API, the same for every operator (Carrefour and the others): the only module of the Mirakl
connectors that speaks HTTP.

The API key (Carrefour's ShopKey) goes raw in ``Authorization`` (no "Bearer"); ``shop_id`` is added to every call
when the tenant set one.
Imports (P41, OF01) and documents (OR74) are streamed from file objects, never built whole in memory.
"""
import json

from requests_toolbelt import MultipartEncoder

from saas import metrics
from saas.connectors.mirakl.budget import budget, shop_of
from saas.httpclient import send, session_for
from saas.integration_errors import RetryableError

SERVICE = "Mirakl"


class MiraklClient:
    def __init__(self, base_url: str, api_key: str, *, shop_id: str | int | None = None, timeout: float = 10.0,
                 session=None, marketplace: str = ""):
        self.base_url = base_url.rstrip("/")
        if self.base_url.endswith("/api"):
            self.base_url = self.base_url[:-4]
        self.api_key = api_key
        self.shop_id = shop_id
        self.timeout = timeout
        self.marketplace = marketplace  # the connector's key, for the metrics
        self.session = session or session_for("mirakl", self.base_url)

    # -- plumbing ------------------------------------------------------------------------------------------------
    def _call(self, method, path, *, params=None, headers=None, **kwargs):
        """One call within the shop's hourly budget (``budget.py``); a 429 makes the whole shop wait."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        if self.shop_id:
            params["shop_id"] = self.shop_id
        headers = {"Authorization": self.api_key, "Accept": "application/json", **(headers or {})}
        shop = shop_of(self.base_url, self.api_key)
        try:
            budget().take(shop, method, path)
        except RetryableError as exc:
            reason = "retry_after" if exc.status == 429 else "budget"
            metrics.count("saas_mirakl_budget_waits_total", marketplace=self.marketplace, reason=reason)
            raise
        try:
            return send(self.session, method, self.base_url + path, service=SERVICE, timeout=self.timeout,
                        marketplace=self.marketplace, params=params, headers=headers, **kwargs)
        except RetryableError as exc:
            if exc.status == 429:
                budget().refused(shop, exc.retry_after)
            raise

    def _upload(self, path, fields):
        encoder = MultipartEncoder(fields=fields)
        return self._call("POST", path, data=encoder, headers={"Content-Type": encoder.content_type}).json()

    # -- account and reference data ------------------------------------------------------------------------------
    def account(self) -> dict:
        """A01: the shop behind the key (``shop_id``, ``shop_name``, ``shop_state`` …)."""
        return self._call("GET", "/api/account").json()

    def shipping_types(self) -> list[dict]:
        """SH12."""
        return self._call("GET", "/api/shipping/types").json().get("shipping_types", [])

    def carriers(self) -> list[dict]:
        """SH21: the carrier codes OR23 accepts."""
        return self._call("GET", "/api/shipping/carriers").json().get("carriers", [])

    # -- products (P41, P42, P44) ----------------------------------------------------------------------------------
    def import_products(self, csv_file, filename: str = "products.csv") -> str:
        body = self._upload("/api/products/imports", {"file": (filename, csv_file, "text/csv")})
        return str(body["import_id"])

    def product_import(self, import_id) -> dict:
        return self._call("GET", f"/api/products/imports/{import_id}").json()

    def product_error_report(self, import_id) -> bytes:
        return self._call("GET", f"/api/products/imports/{import_id}/error_report",
                          headers={"Accept": "application/octet-stream"}).content

    def products_by_reference(self, references: list[tuple[str, str]]) -> dict:
        """P31: the catalogued products among ``[(type, value)]`` references (EAN, …), at most 100."""
        refs = ",".join(f"{kind}|{value}" for kind, value in references)
        return self._call("GET", "/api/products", params={"product_references": refs}).json()

    # -- offers (OF01, OF02, OF03, OF21) ---------------------------------------------------------------------------
    def import_offers(self, csv_file, filename: str = "offers.csv", import_mode: str = "NORMAL") -> str:
        body = self._upload("/api/offers/imports",
                            {"file": (filename, csv_file, "text/csv"), "import_mode": import_mode})
        return str(body["import_id"])

    def offer_import(self, import_id) -> dict:
        return self._call("GET", f"/api/offers/imports/{import_id}").json()

    def offer_error_report(self, import_id) -> bytes:
        return self._call("GET", f"/api/offers/imports/{import_id}/error_report",
                          headers={"Accept": "application/octet-stream"}).content

    def list_offers(self, *, offset: int = 0, max_results: int = 100, sku: str | None = None) -> dict:
        return self._call("GET", "/api/offers", params={"offset": offset, "max": max_results, "sku": sku}).json()

    # -- the whole catalog of offers (OF52, OF53, OF54): a full export at most once a day --------------------------
    def export_offers(self, fields: list[str], items_per_chunk: int = 10_000) -> str:
        """OF52, full (no ``last_request_date``), as JSON files; answers its tracking id."""
        body = {"export_type": "application/json", "include_fields": fields, "items_per_chunk": items_per_chunk}
        return str(self._call("POST", "/api/offers/export/async", json=body).json()["tracking_id"])

    def offer_export(self, tracking_id: str) -> dict:
        """OF53: ``{"status": PENDING|COMPLETED|FAILED, "urls": [...], "error": {...}}``."""
        return self._call("GET", f"/api/offers/export/async/status/{tracking_id}").json()

    def offer_export_file(self, url: str) -> list[dict]:
        """OF54: one file of the export, at the URL OF53 gave."""
        headers = {"Authorization": self.api_key, "Accept": "application/json"}
        return send(self.session, "GET", url, service=SERVICE, timeout=max(self.timeout, 60), headers=headers,
                    marketplace=self.marketplace).json()

    # -- orders ----------------------------------------------------------------------------------------------------
    def list_orders(self, *, states=None, start_update_date: str | None = None, start_date: str | None = None,
                    order_ids=None, offset: int = 0, max_results: int = 100) -> dict:
        """OR11, one page: ``{"orders": [...], "total_count": n}``; ``start_date`` by creation."""
        params = {"paginate": "true", "offset": offset, "max": max_results, "start_update_date": start_update_date,
                  "start_date": start_date,
                  "order_state_codes": ",".join(states) if states else None,
                  "order_ids": ",".join(order_ids) if order_ids else None}
        return self._call("GET", "/api/orders", params=params).json()

    def accept_order(self, order_id: str, decisions: dict[str, bool]) -> None:
        """OR21: every line of the order, accepted (True) or refused (False)."""
        lines = [{"id": line_id, "accepted": accepted} for line_id, accepted in decisions.items()]
        self._call("PUT", f"/api/orders/{order_id}/accept", json={"order_lines": lines})

    def set_tracking(self, order_id: str, *, tracking_number: str | None = None, carrier_code: str | None = None,
                     carrier_name: str | None = None, carrier_url: str | None = None) -> None:
        """OR23: a registered carrier by code, otherwise its name and tracking URL."""
        body = {"tracking_number": tracking_number, "carrier_code": carrier_code,
                "carrier_name": None if carrier_code else carrier_name,
                "carrier_url": None if carrier_code else carrier_url}
        self._call("PUT", f"/api/orders/{order_id}/tracking", json={k: v for k, v in body.items() if v})

    def ship(self, order_id: str) -> None:
        """OR24: SHIPPING → SHIPPED."""
        self._call("PUT", f"/api/orders/{order_id}/ship")

    def update_additional_fields(self, order_id: str, fields: list[dict]) -> None:
        """OR31: ``fields`` as ``[{"code": ..., "type": "STRING", "value": ...}]``."""
        self._call("PUT", f"/api/orders/{order_id}/additional_fields",
                   json={"order_additional_fields": fields})

    def send_message(self, order_id: str, subject: str, body: str) -> None:
        """OR42: a message to the operator on the order."""
        self._call("POST", f"/api/orders/{order_id}/messages",
                   json={"subject": subject, "body": body, "to_customer": False, "to_operator": True,
                         "to_shop": False})

    def create_thread(self, order_id: str, topic: str, body: str) -> dict:
        """OR43: a thread with the operator, where OR42 is not enabled."""
        thread = {"topic": {"type": "FREE_TEXT", "value": topic}, "body": body, "to": ["OPERATOR"]}
        return self._upload(f"/api/orders/{order_id}/threads",
                            {"thread_input": ("thread_input", json.dumps(thread), "application/json")})

    def upload_documents(self, order_id: str, documents: list[tuple[str, object, str]]) -> dict:
        """OR74: ``documents`` as ``[(file_name, file_object, type_code)]``; answers the failures it found."""
        descriptor = {"order_documents": [{"file_name": name, "type_code": code} for name, _, code in documents]}
        fields = [("files", (name, fileobj, "application/octet-stream")) for name, fileobj, _ in documents]
        fields.append(("order_documents", ("order_documents", json.dumps(descriptor), "application/json")))
        return self._upload(f"/api/orders/{order_id}/documents", fields)
