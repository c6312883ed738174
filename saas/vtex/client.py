"""The merchant's VTEX: catalog, fulfillment simulation, orders, affiliates, OMS and logistics.

Every connector uses this client; no other module speaks HTTP to VTEX. Money at VTEX's checkout and OMS is in
integer cents.
"""
from saas.httpclient import send, session_for
from saas.vtex.simulation import Simulation

SERVICE = "VTEX"


class VtexClient:
    def __init__(self, base_url: str, app_key: str, app_token: str, *, timeout: float = 10.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.app_token = app_token
        self.timeout = timeout
        self.session = session or session_for("vtex", self.base_url)

    @classmethod
    def for_tenant(cls, tenant, *, timeout: float = 10.0) -> "VtexClient":
        return cls(tenant.vtex_url, tenant.vtex_app_key, tenant.vtex_app_token, timeout=timeout)

    def _call(self, method, path, *, params=None, json=None, timeout=None):
        headers = {"X-VTEX-API-AppKey": self.app_key, "X-VTEX-API-AppToken": self.app_token,
                   "Accept": "application/json", "Content-Type": "application/json"}
        params = {k: v for k, v in (params or {}).items() if v is not None}
        return send(self.session, method, self.base_url + path, service=SERVICE,
                    timeout=timeout or self.timeout, params=params, headers=headers, json=json)

    # -- catalog ---------------------------------------------------------------------------------------------------
    def sku_context(self, sku_id, trade_policy: str | None = None) -> dict:
        return self._call("GET", f"/api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku_id}",
                          params={"sc": trade_policy}).json()

    def sku_ids_of_trade_policy(self, trade_policy: str, *, page: int = 1, page_size: int = 1000) -> list[int]:
        """One page of the SKU ids assigned to a trade policy; an empty page ends the list."""
        return self._call("GET", "/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel",
                          params={"sc": trade_policy, "page": page, "pageSize": page_size,
                                  "onlyAssigned": "true"}).json()

    # -- promotions ------------------------------------------------------------------------------------------------
    def promotions(self) -> list[dict]:
        """Every promotion's summary (its dates, whether it is active, how wide its scope is)."""
        return self._call("GET", "/api/rnb/pvt/benefits/calculatorconfiguration").json().get("items") or []

    def promotion(self, promotion_id: str) -> dict:
        """One promotion whole: its scope (SKUs, products, brands, categories, collections) and discount."""
        return self._call("GET", f"/api/rnb/pvt/calculatorconfiguration/{promotion_id}").json()

    # -- checkout --------------------------------------------------------------------------------------------------
    def simulate(self, items: list[tuple[str, int]], *, trade_policy: str, affiliate_id: str | None = None,
                 postal_code: str | None = None, country: str = "BRA", timeout: float | None = None) -> Simulation:
        """Fulfillment simulation of many items at once; with a CEP it also quotes the SLAs for that address."""
        body = {"items": [{"id": str(sku), "quantity": int(qty), "seller": "1"} for sku, qty in items]}
        if postal_code:
            body.update(postalCode=postal_code, country=country)
        return Simulation(self._call("POST", "/api/checkout/pub/orderForms/simulation",
                                     params={"sc": trade_policy, "affiliateId": affiliate_id}, json=body,
                                     timeout=timeout).json())

    # -- fulfillment orders ------------------------------------------------------------------------------------------
    def place_order(self, order: dict, *, trade_policy: str, affiliate_id: str) -> dict:
        """Place the marketplace's order. VTEX's guides send a one-element array (the spec shows an object)."""
        body = self._call("POST", "/api/fulfillment/pvt/orders",
                          params={"sc": trade_policy, "affiliateId": affiliate_id}, json=[order]).json()
        return body[0] if isinstance(body, list) else body

    def authorize_dispatch(self, order_id: str, marketplace_order_id: str, *, trade_policy: str,
                           affiliate_id: str) -> dict:
        return self._call("POST", f"/api/fulfillment/pvt/orders/{order_id}/fulfill",
                          params={"sc": trade_policy, "affiliateId": affiliate_id},
                          json={"marketplaceOrderId": marketplace_order_id}).json()

    # -- OMS -------------------------------------------------------------------------------------------------------
    def get_order(self, order_id: str) -> dict:
        return self._call("GET", f"/api/oms/pvt/orders/{order_id}").json()

    def cancel_order(self, order_id: str, reason: str) -> dict:
        return self._call("POST", f"/api/oms/pvt/orders/{order_id}/cancel", json={"reason": reason}).json()

    def configure_order_hook(self, url: str, *, statuses: list[str], secret: str) -> None:
        """VTEX POSTs order changes to ``url`` with the header ``key: <secret>`` (the spec's one header)."""
        body = {"filter": {"type": "FromWorkflow", "status": statuses},
                "hook": {"url": url, "headers": {"key": secret}}}
        self._call("POST", "/api/orders/hook/config", json=body)

    def order_hook(self) -> dict:
        return self._call("GET", "/api/orders/hook/config").json()

    # -- affiliates --------------------------------------------------------------------------------------------------
    def save_affiliate(self, affiliate_id: str, *, name: str, trade_policy: str, follow_up_email: str,
                       notification_url: str) -> None:
        body = {"name": name, "followUpEmail": follow_up_email, "salesChannel": str(trade_policy),
                "searchURIEndpoint": notification_url, "searchURIEndpointVersion": "1.x.x",
                "searchURIEndpointAvailableVersions": ["1.x.x"], "useSellerPaymentMethod": False}
        self._call("PUT", f"/api/fulfillment/pvt/affiliates/{affiliate_id}", json=body)

    def affiliates(self) -> list[dict]:
        return self._call("GET", "/api/fulfillment/pvt/affiliates").json()

    def get_affiliate(self, affiliate_id: str) -> dict:
        return self._call("GET", f"/api/fulfillment/pvt/affiliates/{affiliate_id}").json()

    def delete_affiliate(self, affiliate_id: str) -> None:
        self._call("DELETE", f"/api/fulfillment/pvt/affiliates/{affiliate_id}")

    # -- logistics ---------------------------------------------------------------------------------------------------
    def carriers(self, *, timeout: float | None = None) -> list[dict]:
        """The store's carriers (shipping policies), every page."""
        carriers, page = [], 1
        while True:
            body = self._call("GET", "/api/logistics/pvt/shipping-policies",
                              params={"page": page, "perPage": 100}, timeout=timeout).json()
            carriers.extend(body.get("items", []))
            if page >= (body.get("paging") or {}).get("pages", 1):
                return carriers
            page += 1
