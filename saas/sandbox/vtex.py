"""A VTEX store simulator: catalog, fulfillment simulation, fulfillment orders, OMS, affiliates, hook, carriers.

It behaves like the seller's VTEX towards our connector: it notifies SKU changes to every affiliate's search
endpoint, and, when the merchant invoices, tracks, delivers or cancels an order (``/_admin``), it calls the order's
``marketplaceServicesEndpoint`` and the OMS hook. Money is in cents, as at VTEX.

Run: ``gunicorn 'saas.sandbox.vtex:create_app()' -b 127.0.0.1:5101``.
"""
import logging
import os
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
from flask import Flask, jsonify, redirect, render_template, request, url_for

from saas.sandbox import catalog, promotions
from saas.sandbox.common import Store, data_path, error, install_knobs

log = logging.getLogger(__name__)
PUBLIC_PATHS = ("/api/checkout/pub/",)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def create_app(store_path=None, seed_size: int | None = None) -> Flask:
    app = Flask(__name__, template_folder="templates")
    store = Store(store_path or data_path("vtex"))
    app.config.update(
        ACCOUNT=os.environ.get("SANDBOX_VTEX_ACCOUNT", "lojademo"),
        APP_KEY=os.environ.get("SANDBOX_VTEX_APP_KEY", "vtexappkey-lojademo"),
        APP_TOKEN=os.environ.get("SANDBOX_VTEX_APP_TOKEN", "sandbox-app-token"),
    )
    app.extensions["store"] = store
    if store.count("sku") == 0:
        size = seed_size or int(os.environ.get("SANDBOX_VTEX_SKUS", "300"))
        store.put_many("sku", [(s["Id"], s) for s in catalog.generate(size)])
    install_knobs(app, store, "SANDBOX_VTEX")
    sim = VtexSimulator(app, store)

    @app.before_request
    def authenticate():
        if request.path.startswith("/_admin") or request.path.startswith(PUBLIC_PATHS):
            return None
        if (request.headers.get("X-VTEX-API-AppKey") != app.config["APP_KEY"]
                or request.headers.get("X-VTEX-API-AppToken") != app.config["APP_TOKEN"]):
            return error("Unauthorized: invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken", 401)
        return None

    sim.register()
    return app


class VtexSimulator:
    def __init__(self, app, store: Store):
        self.app, self.store = app, store

    def register(self):
        app = self.app
        app.get("/api/catalog_system/pvt/sku/stockkeepingunitbyid/<int:sku_id>")(self.sku_context)
        app.get("/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel")(self.sku_ids)
        app.post("/api/checkout/pub/orderForms/simulation")(self.simulation)
        app.post("/api/fulfillment/pvt/orders")(self.place_order)
        app.post("/api/fulfillment/pvt/orders/<order_id>/fulfill")(self.fulfill)
        app.get("/api/oms/pvt/orders/<order_id>")(self.get_order)
        app.post("/api/oms/pvt/orders/<order_id>/cancel")(self.oms_cancel)
        app.route("/api/fulfillment/pvt/affiliates/<affiliate_id>", methods=["GET", "PUT", "DELETE"])(self.affiliate)
        app.get("/api/fulfillment/pvt/affiliates")(self.affiliates)
        app.route("/api/orders/hook/config", methods=["GET", "POST", "DELETE"])(self.hook_config)
        app.get("/api/logistics/pvt/shipping-policies")(self.carriers)
        app.get("/api/rnb/pvt/benefits/calculatorconfiguration")(self.promotion_list)
        app.get("/api/rnb/pvt/calculatorconfiguration/<promotion_id>")(self.promotion)
        app.post("/_admin/promotions")(self.admin_create_promotion)
        app.get("/_admin/prices")(self.admin_prices)
        app.post("/_admin/promotions/<promotion_id>/delete")(self.admin_delete_promotion)
        app.get("/_admin")(self.admin_page)
        app.post("/_admin/skus/<int:sku_id>")(self.admin_update_sku)
        app.post("/_admin/orders/<order_id>/<action>")(self.admin_order_action)
        app.get("/_admin/orders", endpoint="admin_orders")(lambda: jsonify(self.store.all("order")))
        app.get("/_admin/placements")(lambda: jsonify(orders=self.store.count("order"),
                                                      refused_duplicates=self.store.count("refused_duplicate")))

    # -- catalog ---------------------------------------------------------------------------------------------------
    def sku_context(self, sku_id):
        sku = self.store.get("sku", sku_id)
        if sku is None:
            return error(f"SKU {sku_id} not found", 404)
        return jsonify({k: v for k, v in sku.items() if k not in ("price", "stock", "list_price", "previous")})

    def sku_ids(self):
        trade_policy = request.args.get("sc", type=int)
        if trade_policy is None:
            return error("The query parameter sc (trade policy) is required")
        page, size = request.args.get("page", 1, type=int), request.args.get("pageSize", 50, type=int)
        if page < 1 or not 1 <= size <= 1000:
            return error("page starts at 1 and pageSize is 1 to 1000")
        skus = self.store.page("sku", (page - 1) * size, size)
        return jsonify([s["Id"] for s in skus if trade_policy in s["SalesChannels"]])

    # -- checkout --------------------------------------------------------------------------------------------------
    def simulation(self):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not body["items"]:
            return error("The body needs items: [{id, quantity, seller}]")
        trade_policy = request.args.get("sc", "1")
        postal_code = (body.get("postalCode") or "").replace("-", "")
        items, logistics, messages = [], [], []
        running = self.store.all("promotion")
        now = datetime.now(timezone.utc)
        for index, requested in enumerate(body["items"]):
            try:
                sku, quantity = self.stale(self.store.get("sku", requested["id"])), int(requested["quantity"])
            except (KeyError, TypeError, ValueError):
                return error(f"items[{index}] needs id and quantity")
            if sku is None or not sku["IsActive"] or int(trade_policy) not in sku["SalesChannels"]:
                messages.append({"code": "ORD027", "text": f"Item {requested['id']} não encontrado ou indisponível",
                                 "status": "error"})
                logistics.append({"itemIndex": index, "stockBalance": 0, "slas": [], "shipsTo": ["BRA"],
                                  "deliveryChannels": []})
                continue
            available = sku["stock"] >= quantity and sku["price"] > 0
            promotion = promotions.best(running, sku, trade_policy, now)
            off = promotion[1] if promotion else 0
            tags = [{"name": f"discount@price-{promotion[0]['idCalculatorConfiguration']}#{promotion[0]['name']}",
                     "value": -off * quantity, "isPercentual": False,
                     "identifier": promotion[0]["idCalculatorConfiguration"]}] if off else []
            items.append({"id": str(sku["Id"]), "requestIndex": index, "quantity": quantity, "seller": "1",
                          "price": sku["price"], "listPrice": max(sku.get("list_price") or 0, sku["price"]),
                          "sellingPrice": sku["price"] - off,
                          "tax": 0, "priceTags": tags, "measurementUnit": "un", "unitMultiplier": 1,
                          "availability": "available" if available else (
                              "nullPrice" if sku["price"] <= 0 else "withoutStock")})
            slas = self.slas(sku, quantity, postal_code) if postal_code and available else []
            logistics.append({"itemIndex": index, "stockBalance": sku["stock"], "quantity": quantity,
                              "shipsTo": ["BRA"], "slas": slas, "selectedSla": None,
                              "deliveryChannels": [{"id": "delivery", "stockBalance": sku["stock"]}]})
        return jsonify({"items": items, "logisticsInfo": logistics, "messages": messages,
                        "postalCode": postal_code or None, "country": body.get("country"),
                        "totals": [{"id": "Items", "name": "Total dos itens",
                                    "value": sum(i["price"] * i["quantity"] for i in items)}]})

    def stale(self, sku):
        """VTEX's caches answer the previous price and stock for a while after a change (``stale_seconds``)."""
        if sku is None or not sku.get("previous") or sku["previous"]["until"] <= datetime.now(timezone.utc).timestamp():
            return sku
        return {**sku, "price": sku["previous"]["price"], "stock": sku["previous"]["stock"]}

    @staticmethod
    def slas(sku, quantity, postal_code) -> list[dict]:
        """Carriers by CEP region: Expressa and Agendada only near São Paulo; nothing for CEPs starting with 99."""
        if not postal_code.isdigit() or len(postal_code) != 8 or postal_code.startswith("99"):
            return []
        region = int(postal_code[0])
        weight_kg = sku["Dimension"]["weight"] / 1000
        offers = [("normal", "Normal", 1290 + region * 150, 3 + region),
                  ("economica", "Econômica", 890 + region * 100, 7 + region)]
        if region <= 3:
            offers.append(("expressa", "Expressa", 2490 + region * 200, 1 + region // 2))
        if region <= 1:
            offers.append(("agendada", "Agendada", 1990, 4))
        return [{"id": name, "name": name, "deliveryChannel": "delivery",
                 "price": int((base + weight_kg * 120) * quantity),
                 "listPrice": int((base + weight_kg * 120) * quantity),
                 "tax": 0, "shippingEstimate": f"{days}bd", "lockTTL": "10d", "availableDeliveryWindows": [],
                 "deliveryIds": [{"courierId": courier, "courierName": name, "warehouseId": "1_1", "dockId": "1",
                                  "quantity": quantity}]}
                for courier, name, base, days in offers]

    # -- fulfillment orders ------------------------------------------------------------------------------------------
    def place_order(self):
        body = request.get_json(silent=True)
        order = body[0] if isinstance(body, list) and len(body) == 1 else body
        if not isinstance(order, dict):
            return error("The body is one order (or a one-element array of it)")
        missing = [f for f in ("marketplaceOrderId", "marketplaceServicesEndpoint", "items", "clientProfileData",
                               "shippingData") if not order.get(f)]
        if missing:
            return error(f"Missing fields: {', '.join(missing)}")
        affiliate = request.args.get("affiliateId", "")
        order_id = f"{affiliate}-{order['marketplaceOrderId']}"
        if self.store.get("order", order_id):
            return self._duplicate(order_id, order["marketplaceOrderId"])
        address = order["shippingData"].get("address") or {}
        logistics = {li.get("itemIndex"): li for li in order["shippingData"].get("logisticsInfo") or []}
        skus = []
        for index, item in enumerate(order["items"]):
            sku = self.store.get("sku", item.get("id"))
            if sku is None or sku["stock"] < int(item.get("quantity", 0)):
                return error(f"Item {item.get('id')} is unavailable (ORD027)")
            postal_code = (address.get("postalCode") or "").replace("-", "")
            offered = {s["id"] for s in self.slas(sku, item["quantity"], postal_code)}
            if (logistics.get(index) or {}).get("selectedSla") not in offered:
                return error(f"SLA {(logistics.get(index) or {}).get('selectedSla')} is not available for item "
                             f"{item['id']} at CEP {address.get('postalCode')}")
            skus.append((sku, int(item["quantity"])))
        if not self.store.claim("placement", order_id):  # two placements at once: one wins, as at VTEX
            return self._duplicate(order_id, order["marketplaceOrderId"])
        for sku, quantity in skus:
            sku["stock"] -= quantity
            self.store.put("sku", sku["Id"], sku)
        stored = {**order, "orderId": order_id, "affiliateId": affiliate, "salesChannel": request.args.get("sc", "1"),
                  "status": "waiting-ffmt-authorization", "creationDate": now_iso(),
                  "value": sum(i["price"] * i["quantity"] for i in order["items"]) +
                  sum(li.get("price", 0) for li in logistics.values()),
                  "packageAttachment": {"packages": []}, "paymentData": None}
        self.store.put("order", order_id, stored)
        return jsonify([{"marketplaceOrderId": order["marketplaceOrderId"], "orderId": order_id,
                         "followUpEmail": "", "items": order["items"], "shippingData": order["shippingData"],
                         "paymentData": None}])

    def _duplicate(self, order_id, marketplace_order_id):
        """VTEX refuses a second order of one marketplace order; counted, for the benchmarks' "placed once"."""
        self.store.put("refused_duplicate", uuid.uuid4().hex, {"orderId": order_id})
        return error(f"Order {order_id} already exists for marketplaceOrderId {marketplace_order_id}", 409)

    def fulfill(self, order_id):
        order = self.store.get("order", order_id)
        if order is None:
            return error(f"Order {order_id} not found", 404)
        body = request.get_json(silent=True) or {}
        if body.get("marketplaceOrderId") != order["marketplaceOrderId"]:
            return error("marketplaceOrderId does not match the order")
        if order["status"] == "waiting-ffmt-authorization":
            self._set_status(order, "ready-for-handling")
        return jsonify({"date": now_iso(), "marketplaceOrderId": order["marketplaceOrderId"], "orderId": order_id,
                        "receipt": uuid.uuid4().hex}), 201

    # -- OMS ---------------------------------------------------------------------------------------------------------
    def get_order(self, order_id):
        order = self.store.get("order", order_id)
        if order is None:
            return error(f"Order {order_id} not found", 404)
        # OMS leaves absent values out, and a marketplace's order has no payment of its own at the seller.
        return jsonify({**{k: v for k, v in order.items() if v is not None}, "paymentData": {"transactions": []}})

    def oms_cancel(self, order_id):
        order = self.store.get("order", order_id)
        if order is None:
            return error(f"Order {order_id} not found", 404)
        if order["status"] == "invoiced":
            return error("An invoiced order cannot be canceled; send a return invoice")
        self._set_status(order, "canceled", cancelReason=(request.get_json(silent=True) or {}).get("reason"))
        return jsonify({"date": now_iso(), "orderId": order_id, "receipt": uuid.uuid4().hex})

    def hook_config(self):
        if request.method == "GET":
            return jsonify(self.store.get("hook", "config") or {})
        if request.method == "DELETE":
            self.store.delete("hook", "config")
            return "", 204
        body = request.get_json(silent=True) or {}
        url = (body.get("hook") or {}).get("url")
        if not url or not (body.get("filter") or {}).get("type"):
            return error("hook.url and filter.type are required")
        try:  # VTEX pings the hook and refuses to save when it does not answer 200
            ping = requests.post(url, json={"hookConfig": "ping"}, headers=(body["hook"].get("headers") or {}),
                                 timeout=5)
            ping.raise_for_status()
        except requests.HTTPError as exc:
            return error(f"The hook URL answered the ping with {exc.response.status_code}, not 200")
        except requests.RequestException:
            return error("The hook URL did not answer the ping")
        self.store.put("hook", "config", body)
        return "", 200

    # -- affiliates and carriers -------------------------------------------------------------------------------------
    def affiliate(self, affiliate_id):
        if request.method == "GET":
            found = self.store.get("affiliate", affiliate_id)
            return jsonify(found) if found else error(f"Affiliate {affiliate_id} not found", 404)
        if request.method == "DELETE":
            return ("", 204) if self.store.delete("affiliate", affiliate_id) else \
                error(f"Affiliate {affiliate_id} not found", 404)
        body = request.get_json(silent=True) or {}
        if len(affiliate_id) != 3 or not affiliate_id.isalpha() or any(c in "AEIOU" for c in affiliate_id.upper()):
            return error("The affiliate id is three consonants")
        missing = [f for f in ("name", "salesChannel", "followUpEmail") if not body.get(f)]
        if missing:
            return error(f"Missing fields: {', '.join(missing)}")
        self.store.put("affiliate", affiliate_id, {"id": affiliate_id, **body})
        return "", 204

    def affiliates(self):
        return jsonify(self.store.all("affiliate"))

    def carriers(self):
        return jsonify({"items": catalog.CARRIERS,
                        "paging": {"page": 1, "perPage": 100, "total": len(catalog.CARRIERS), "pages": 1}})

    # -- the merchant's side (admin page and CLI) ---------------------------------------------------------------------
    def admin_page(self):
        search = request.args.get("q", "").strip()
        skus = [s for s in self.store.all("sku") if not search or search.lower() in s["NameComplete"].lower()
                or search == str(s["Id"])][:60]
        return render_template("vtex_admin.html", skus=skus, orders=self.store.all("order")[-50:][::-1],
                               affiliates=self.store.all("affiliate"), search=search,
                               promotions=self.store.all("promotion"))

    def admin_update_sku(self, sku_id):
        sku = self.store.get("sku", sku_id)
        if sku is None:
            return error(f"SKU {sku_id} not found", 404)
        changes = request.get_json(silent=True) or request.form.to_dict()
        stale = float(self.store.get("knobs", "current").get("stale_seconds") or 0)
        if stale:
            sku["previous"] = {"price": sku["price"], "stock": sku["stock"],
                               "until": datetime.now(timezone.utc).timestamp() + stale}
        price_changed = "price" in changes and changes["price"] != "" and int(changes["price"]) != sku["price"]
        list_changed = "list_price" in changes and changes["list_price"] != "" and \
            int(changes["list_price"]) != sku.get("list_price")
        stock_changed = "stock" in changes and changes["stock"] != "" and int(changes["stock"]) != sku["stock"]
        wants_active = str(changes.get("active", sku["IsActive"])).lower() not in ("0", "false", "no")
        active_changed = wants_active != sku["IsActive"]
        if price_changed:
            sku["price"] = int(changes["price"])
        if list_changed:  # the "de" of a de/por price; without one, the list price is the price
            sku["list_price"] = int(changes["list_price"])
        price_changed = price_changed or list_changed
        if stock_changed:
            sku["stock"] = int(changes["stock"])
        if active_changed:
            sku["IsActive"] = not sku["IsActive"]
        self.store.put("sku", sku_id, sku)
        if price_changed or stock_changed or active_changed:
            self.notify_affiliates(sku, price=price_changed, stock=stock_changed, catalog_changed=active_changed)
        if request.is_json:
            return jsonify({k: sku[k] for k in ("Id", "price", "stock", "IsActive")})
        return redirect(url_for("admin_page", q=request.args.get("q", "")))

    def notify_affiliates(self, sku, *, price=False, stock=False, catalog_changed=False):
        if self._merged(sku["Id"]):
            return
        for affiliate in self.store.all("affiliate"):
            url = affiliate.get("searchURIEndpoint")
            if not url or str(affiliate.get("salesChannel") or "1") not in map(str, sku["SalesChannels"]):
                continue  # VTEX tells an affiliate only of the SKUs of its trade policy
            body = {"IdSku": str(sku["Id"]), "ProductId": sku["ProductId"], "An": self.app.config["ACCOUNT"],
                    "IdAffiliate": affiliate["id"], "DateModified": now_iso(), "IsActive": sku["IsActive"],
                    "StockModified": stock, "PriceModified": price, "HasStockKeepingUnitModified": catalog_changed,
                    "HasStockKeepingUnitRemovedFromAffiliate": False}
            _post_in_background(url, body)

    def _merged(self, sku_id) -> bool:
        """VTEX merges the changes of one SKU that come within about two minutes into one notification: the second
        one sends nothing (``notify_merge_seconds``)."""
        window = float(self.store.get("knobs", "current").get("notify_merge_seconds") or 0)
        now = datetime.now(timezone.utc).timestamp()
        last = (self.store.get("notified", sku_id) or {}).get("at")
        if window and last is not None and now - last < window:
            return True
        self.store.put("notified", sku_id, {"at": now})
        return False

    # -- promotions (VTEX's Promotions API; nobody is notified when one starts or ends) -------------------------------
    def promotion_list(self):
        return jsonify({"items": [promotions.summary(p) for p in self.store.all("promotion")], "disabledItems": [],
                        "archivedItems": [], "limitConfiguration": {"activesCount": self.store.count("promotion"),
                                                                    "limit": 100}})

    def promotion(self, promotion_id):
        found = self.store.get("promotion", promotion_id)
        if found is None:
            return error(f"Promotion {promotion_id} not found", 404)
        return jsonify({k: v for k, v in found.items() if v is not None})  # absent values are left out

    def admin_prices(self):
        """What the simulation gives each SKU of a trade policy now, promotions applied and no cache in the way:
        {sku: [selling price, stock]} (what a benchmark compares the marketplace's offers with)."""
        trade_policy, now = request.args.get("sc", "1"), datetime.now(timezone.utc)
        running = self.store.all("promotion")
        prices = {}
        for sku in self.store.all("sku"):
            if sku["IsActive"] and int(trade_policy) in sku["SalesChannels"] and sku["price"] > 0:
                best = promotions.best(running, sku, trade_policy, now)
                prices[str(sku["Id"])] = [sku["price"] - (best[1] if best else 0), sku["stock"]]
        return jsonify(prices)

    def admin_create_promotion(self):
        form = request.get_json(silent=True) or request.form.to_dict()
        try:
            promotion = promotions.from_admin(form, datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
        except ValueError as exc:
            return error(f"Invalid promotion: {exc}")
        self.store.put("promotion", promotion["idCalculatorConfiguration"], promotion)
        return jsonify(promotion) if request.is_json else redirect(url_for("admin_page"))

    def admin_delete_promotion(self, promotion_id):
        self.store.delete("promotion", promotion_id)
        return jsonify(ok=True) if request.is_json else redirect(url_for("admin_page"))

    def admin_order_action(self, order_id, action):
        order = self.store.get("order", order_id)
        if order is None:
            return error(f"Order {order_id} not found", 404)
        form = request.get_json(silent=True) or request.form.to_dict()
        endpoint = order["marketplaceServicesEndpoint"].rstrip("/")
        mkt_id = order["marketplaceOrderId"]
        if action == "invoice":
            number = form.get("invoiceNumber") or f"{self.store.next_id('invoice'):06d}"
            package = {"type": "Output", "invoiceNumber": number, "invoiceValue": order["value"],
                       "invoiceKey": form.get("invoiceKey") or f"3526{number:0>40}"[:44],
                       "issuanceDate": now_iso(), "invoiceUrl": None, "embeddedInvoice": form.get("embeddedInvoice"),
                       "courier": form.get("courier") or "Normal", "trackingNumber": form.get("trackingNumber") or "",
                       "trackingUrl": form.get("trackingUrl") or "",
                       "items": [{"id": i["id"], "quantity": i["quantity"], "price": i["price"]}
                                 for i in order["items"]],
                       "courierStatus": {"finished": False, "status": None, "data": []}}
            order["packageAttachment"]["packages"].append(package)
            self._set_status(order, "invoiced", invoicedDate=now_iso())
            callback = {k: package[k] for k in ("type", "invoiceNumber", "invoiceValue", "invoiceKey",
                                                "issuanceDate", "invoiceUrl", "embeddedInvoice", "courier",
                                                "trackingNumber", "trackingUrl", "items")}
            _post_in_background(f"{endpoint}/pvt/orders/{mkt_id}/invoice", callback)
        elif action == "tracking":
            package = self._last_package(order)
            if package is None:
                return error("Invoice the order before adding tracking")
            package.update(trackingNumber=form.get("trackingNumber") or f"BR{uuid.uuid4().hex[:10].upper()}",
                           trackingUrl=form.get("trackingUrl") or "https://rastreio.sandbox.example/",
                           courier=form.get("courier") or package["courier"])
            self.store.put("order", order_id, order)
            _post_in_background(f"{endpoint}/pvt/orders/{mkt_id}/invoice/{package['invoiceNumber']}",
                                {k: package[k] for k in ("courier", "trackingNumber", "trackingUrl")} |
                                {"dispatchedDate": now_iso()})
        elif action == "deliver":
            package = self._last_package(order)
            if package is None:
                return error("Invoice the order before delivering it")
            package["courierStatus"] = {"finished": True, "status": "delivered", "deliveredDate": now_iso(),
                                        "data": [{"description": "Entregue", "createDate": now_iso()}]}
            self.store.put("order", order_id, order)
            self._fire_hook(order, order["status"])
            # requestUpdateTrackingStatus: isDelivered and the events; VTEX sends no deliveredDate
            _post_in_background(f"{endpoint}/pvt/orders/{mkt_id}/invoice/{package['invoiceNumber']}/tracking",
                                {"isDelivered": True, "events": [{"description": "Entregue", "date": now_iso()}]})
        elif action == "cancel":
            if order["status"] == "invoiced":
                return error("An invoiced order cannot be canceled")
            self._set_status(order, "canceled", cancelReason=form.get("reason") or "Cancelado pela loja")
            _post_in_background(f"{endpoint}/pvt/orders/{mkt_id}/cancel",
                                {"reason": form.get("reason") or "Cancelado pela loja"})
        else:
            return error(f"Unknown action {action}: invoice, tracking, deliver or cancel", 404)
        if request.is_json:
            return jsonify(self.store.get("order", order_id))
        return redirect(url_for("admin_page"))

    @staticmethod
    def _last_package(order):
        packages = order["packageAttachment"]["packages"]
        return packages[-1] if packages else None

    def _set_status(self, order, status, **fields):
        last = order["status"]
        order.update(status=status, lastChange=now_iso(), **fields)
        self.store.put("order", order["orderId"], order)
        self._fire_hook(order, last)

    def _fire_hook(self, order, last_state):
        hook = self.store.get("hook", "config")
        if not hook:
            return
        statuses = (hook.get("filter") or {}).get("status")
        if statuses and order["status"] not in statuses:
            return
        body = {"Domain": "Fulfillment", "OrderId": order["orderId"], "State": order["status"],
                "LastState": last_state, "LastChange": now_iso(), "CurrentChange": now_iso(),
                "Origin": {"Account": self.app.config["ACCOUNT"], "Key": self.app.config["APP_KEY"]}}
        _post_in_background(hook["hook"]["url"], body, headers=hook["hook"].get("headers") or {})


def _post_in_background(url, body, headers=None):
    """VTEX's own notifications arrive asynchronously; a slow receiver must not hold the merchant's click."""
    def post():
        try:
            requests.post(url, json=body, headers=headers or {}, timeout=10)
        except requests.RequestException as exc:
            # The path carries the receiving tenant's secret: only the host is logged.
            log.warning("VTEX simulator: POST to %s failed: %s", urlsplit(url).netloc, type(exc).__name__)
    threading.Thread(target=post, daemon=True).start()
