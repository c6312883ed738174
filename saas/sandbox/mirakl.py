"""A Carrefour (Mirakl seller API) simulator.

Imports are processed asynchronously (WAITING → RUNNING → COMPLETE, timed from their creation) with an error report
for bad lines; products wait for Carrefour's manual approval (a delay) and offers for unapproved products are
discarded; orders appear over time (a rate per minute) and move STAGING → WAITING_ACCEPTANCE → (OR21)
WAITING_DEBIT_PAYMENT → SHIPPING → (OR24) SHIPPED, a share of them cancelled before payment.

Timings come from the environment (``SANDBOX_MIRAKL_*``); time-driven changes are applied when someone looks, so the
simulator needs no thread of its own. Run: ``gunicorn 'saas.sandbox.mirakl:create_app()' -b 127.0.0.1:5102``.
"""
import csv
import functools
import io
import json
import os
import random
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for

from saas.sandbox.common import Store, data_path, error, install_knobs

SHIPPING_TYPES = [
    {"code": code, "label": label, "description": f"Entrega {label}", "standard_code": std,
     "mandatory_tracking": True, "click_and_collect": False, "delivery_by_operator": False}
    for code, label, std in (("NORMAL", "Normal", "STD"), ("EXPRESSA", "Expressa", "EXP"),
                             ("ECONOMICA", "Econômica", "ECO"), ("AGENDADA", "Agendada", "SCH"))
]
CARRIERS = [{"code": "correios", "label": "Correios", "standard_code": "CORREIOS",
             "tracking_url": "https://rastreamento.correios.com.br/app/index.php?objeto={trackingId}"},
            {"code": "jadlog", "label": "Jadlog", "standard_code": "JADLOG",
             "tracking_url": "https://www.jadlog.com.br/tracking?cte={trackingId}"},
            {"code": "loggi", "label": "Loggi", "standard_code": "LOGGI", "tracking_url": ""}]
FIRST_NAMES = ["Ana", "João", "Maria", "José", "Francisca", "Antônio", "Luíza", "Carlos", "Júlia", "Paulo"]
LAST_NAMES = ["Silva", "Santos", "Oliveira", "Souza", "Conceição", "Pereira", "Lima", "Gonçalves", "Araújo"]
CITIES = [("01310100", "São Paulo", "SP", "Bela Vista"), ("20040002", "Rio de Janeiro", "RJ", "Centro"),
          ("30130010", "Belo Horizonte", "MG", "Centro"), ("80010000", "Curitiba", "PR", "Centro"),
          ("40020000", "Salvador", "BA", "Comércio"), ("04538132", "São Paulo", "SP", "Itaim Bibi")]


def _with_order(handler):
    """The handler gets the order its URL names; an unknown order is Mirakl's 404."""
    @functools.wraps(handler)
    def wrapper(self, order_id):
        order = self._order(order_id)
        if order is None:
            return error("ORDER_NOT_FOUND", 404)
        return handler(self, order_id, order)
    return wrapper


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _env(name, default):
    return float(os.environ.get(f"SANDBOX_MIRAKL_{name}", default))


def create_app(store_path=None, *, shop_key: str | None = None, shop_id: int | None = None,
               shop_name: str = "Loja Demo (sandbox Carrefour)") -> Flask:
    app = Flask(__name__, template_folder="templates")
    store = Store(store_path or data_path("mirakl"))
    if store.get("clock", "created") is None:
        store.put("clock", "created", {"at": time.time()})
    app.config.update(
        SHOP_KEY=shop_key or os.environ.get("SANDBOX_MIRAKL_SHOP_KEY", "sandbox-shop-key-demo"),
        SHOP_ID=shop_id or int(_env("SHOP_ID", 2001)), SHOP_NAME=shop_name,
        IMPORT_SECONDS=_env("IMPORT_SECONDS", 2), APPROVAL_SECONDS=_env("APPROVAL_SECONDS", 30),
        ACCEPTANCE_SECONDS=_env("ACCEPTANCE_SECONDS", 1), PAYMENT_SECONDS=_env("PAYMENT_SECONDS", 2),
        ORDERS_PER_MINUTE=_env("ORDERS_PER_MINUTE", 0), CANCEL_RATE=_env("CANCEL_RATE", 0.1),
        SHIPPING_TYPES=SHIPPING_TYPES,  # another operator lists its own (SH12)
    )
    app.extensions["store"] = store
    install_knobs(app, store, "SANDBOX_MIRAKL")
    sim = MiraklSimulator(app, store)

    @app.before_request
    def authenticate():
        if request.path.startswith("/_admin"):
            return None
        if request.headers.get("Authorization") != app.config["SHOP_KEY"]:
            return error("Unauthorized", 401)
        shop_id = request.args.get("shop_id")
        if shop_id and shop_id != str(app.config["SHOP_ID"]):
            return error(f"The shop {shop_id} is not accessible with this API key", 403)
        return _within_the_hour(store)

    sim.register()
    return app


def _within_the_hour(store: Store):
    """Mirakl's 429: "too many requests in the last hour", with ``Retry-After`` in seconds, once a shop has made
    ``hourly_limit`` calls (a knob; 0: no limit) over the last 3,600 s. Refused calls count too, as they do at a real
    gateway, so a client that ignores ``Retry-After`` stays shut out."""
    limit = int(store.get("knobs", "current").get("hourly_limit") or 0)
    if not limit:
        return None
    now = time.time()
    with store.lock:
        calls = [t for t in (store.get("hourly", "shop") or {"calls": []})["calls"] if t > now - 3600]
        calls.append(now)
        store.put("hourly", "shop", {"calls": calls[-limit * 2:]})
    if len(calls) <= limit:
        return None
    wait = max(1, int(calls[-limit - 1] + 3600 - now) + 1)
    response = jsonify(message="Too many requests in the last hour", status=429)
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


class MiraklSimulator:
    def __init__(self, app, store: Store):
        self.app, self.store, self.cfg = app, store, app.config

    def register(self):
        app = self.app
        app.get("/api/account")(self.account)
        app.get("/api/shipping/types", endpoint="shipping_types")(
            lambda: jsonify(shipping_types=self.cfg["SHIPPING_TYPES"]))
        app.get("/api/shipping/carriers", endpoint="carriers")(lambda: jsonify(carriers=CARRIERS))
        app.post("/api/products/imports")(self.product_import)
        app.get("/api/products/imports/<import_id>")(self.product_import_status)
        app.get("/api/products/imports/<import_id>/error_report")(self.product_error_report)
        app.get("/api/products")(self.products)
        app.post("/api/offers/imports")(self.offer_import)
        app.get("/api/offers/imports/<import_id>")(self.offer_import_status)
        app.get("/api/offers/imports/<import_id>/error_report")(self.offer_error_report)
        app.get("/api/offers")(self.offers)
        app.post("/api/offers/export/async")(self.export_offers)
        app.get("/api/offers/export/async/status/<tracking_id>")(self.offer_export_status)
        app.get("/api/offers/export/async/file/<tracking_id>")(self.offer_export_file)
        app.get("/api/orders")(self.orders)
        app.put("/api/orders/<order_id>/accept")(self.accept)
        app.put("/api/orders/<order_id>/tracking")(self.tracking)
        app.put("/api/orders/<order_id>/ship")(self.ship)
        app.put("/api/orders/<order_id>/additional_fields")(self.additional_fields)
        app.post("/api/orders/<order_id>/messages")(self.message)
        app.post("/api/orders/<order_id>/threads")(self.thread)
        app.post("/api/orders/<order_id>/documents")(self.documents)
        app.get("/_admin")(self.admin_page)
        app.post("/_admin/orders")(self.admin_create_order)
        app.get("/_admin/orders", endpoint="admin_orders")(lambda: jsonify(self._all_orders()))
        app.post("/_admin/orders/<order_id>/cancel")(self.admin_cancel_order)
        app.post("/_admin/products/approve")(self.admin_approve_all)
        app.get("/_admin/state")(self.admin_state)
        app.get("/_admin/imports/offers")(self.admin_offer_imports)
        app.route("/_admin/offers/<sku>", methods=["POST", "DELETE"])(self.admin_offer)

    # -- account -----------------------------------------------------------------------------------------------------
    def account(self):
        created = iso(self.store.get("clock", "created")["at"]) if self.store.get("clock", "created") else iso(0)
        address = {"street_1": "Av. Paulista, 1000", "city": "São Paulo", "country_iso_code": "BRA"}
        return jsonify({
            "shop_id": self.cfg["SHOP_ID"], "shop_name": self.cfg["SHOP_NAME"], "shop_state": "OPEN",
            "currency_iso_code": "BRL", "channels": [], "domains": [], "date_created": created,
            "last_updated_date": created, "is_professional": True, "premium": False, "free_shipping": False,
            "payment_method_mandatory": False, "evaluations_count": 0, "offers_count": self.store.count("offer"),
            "orders_count": self.store.count("order"), "billing_info": {}, "pro_details": {}, "shipping": {},
            "contact_informations": {"email": "loja@sandbox.example", "lastname": "Demo",
                                     "street1": address["street_1"], "city": address["city"], "country": "BRA"},
            "default_billing_information": {"id": "1", "default_language": "pt_BR", "registration_address": address},
            "payment_details": {"paid_balance": 0.0, "payable_balance": 0.0, "pending_balance": 0.0},
            "shipping_types": [t["code"] for t in self.cfg["SHIPPING_TYPES"]],
            "shipping_zones": ["BR"], "shop_additional_fields": []})

    # -- imports -----------------------------------------------------------------------------------------------------
    def _upload(self, kind):
        upload = request.files.get("file")
        if upload is None:
            return None, error("The multipart part 'file' is required")
        content = upload.read().decode("utf-8-sig")
        import_id = self.store.next_id(kind)
        self.store.put(kind, import_id, {"import_id": import_id, "created": time.time(), "content": content,
                                         "mode": request.form.get("import_mode"), "processed": False})
        return import_id, None

    def product_import(self):
        import_id, failure = self._upload("product_import")
        return failure or (jsonify(import_id=import_id), 201)

    def offer_import(self):
        if request.form.get("import_mode") not in ("NORMAL", "REPLACE", "PARTIAL_UPDATE"):
            return error("import_mode is required: NORMAL or REPLACE")
        import_id, failure = self._upload("offer_import")
        return failure or (jsonify(import_id=import_id), 201)

    def _stage(self, record) -> str:
        age = time.time() - record["created"]
        if age < self.cfg["IMPORT_SECONDS"] / 2:
            return "WAITING"
        return "COMPLETE" if record["processed"] else "RUNNING"

    def _processed(self, kind, import_id, process):
        """The import, processed by the first request that finds it due (others see it RUNNING meanwhile)."""
        record = self.store.get(kind, import_id)
        if record is None:
            return None
        due = time.time() - record["created"] >= self.cfg["IMPORT_SECONDS"]
        if due and not record["processed"] and self.store.claim(f"{kind}-processing", import_id):
            rows = list(csv.DictReader(io.StringIO(record["content"]), delimiter=";"))
            record.update(process(rows), processed=True, header=list(rows[0].keys()) if rows else [])
            self.store.put(kind, import_id, record)
        return record

    def product_import_status(self, import_id):
        record = self._processed("product_import", import_id, self._process_products)
        if record is None:
            return error(f"Import {import_id} not found", 404)
        status = self._stage(record)
        done = status == "COMPLETE"
        return jsonify({"import_id": int(import_id), "import_status": status, "shop_id": self.cfg["SHOP_ID"],
                        "date_created": iso(record["created"]), "has_error_report": done and bool(record["errors"]),
                        "has_new_product_report": done and bool(record.get("accepted")),
                        "has_transformation_error_report": False, "has_transformed_file": False,
                        "transform_lines_read": len(record.get("lines", [])) if done else 0,
                        "transform_lines_in_success": len(record.get("accepted", [])) if done else 0,
                        "transform_lines_in_error": len(record.get("errors", [])) if done else 0,
                        "transform_lines_with_warning": 0})

    def _process_products(self, rows):
        accepted, errors, products = [], [], {p["sku"]: p for p in self.store.all("product")}
        changed = {}
        for line, row in enumerate(rows, start=2):
            ean, sku = (row.get("ean") or "").strip(), (row.get("sku") or "").strip()
            problem = ("The EAN is required" if not ean else
                       f"The EAN {ean} is not a valid EAN-13" if not (ean.isdigit() and len(ean) == 13) else
                       "The title is required" if not (row.get("title") or "").strip() else
                       "The sku is required" if not sku else None)
            if problem:
                errors.append({"line": line, "row": row, "message": problem})
                continue
            product = products.get(sku) or {"sku": sku, "created": time.time()}
            product.update(ean=ean, title=row["title"], row=row,
                           approve_at=product.get("approve_at") or time.time() + self.cfg["APPROVAL_SECONDS"])
            changed[sku] = product
            accepted.append(sku)
        self.store.put_many("product", changed.items())
        self.store.put_many("product_by_ean", [(p["ean"], {"sku": sku}) for sku, p in changed.items()])
        return {"accepted": accepted, "errors": errors, "lines": [r.get("sku") for r in rows]}

    def _report(self, record):
        if not record.get("errors"):
            return error("This import has no error report", 404)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(record["header"] + ["error-line", "error-message"])
        for item in record["errors"]:
            writer.writerow([item["row"].get(col, "") for col in record["header"]] + [item["line"], item["message"]])
        return Response(out.getvalue(), mimetype="application/octet-stream")

    def product_error_report(self, import_id):
        record = self._processed("product_import", import_id, self._process_products)
        return self._report(record) if record else error(f"Import {import_id} not found", 404)

    def _approved(self, product) -> bool:
        return product is not None and time.time() >= product["approve_at"]

    def products(self):
        """P31: the products Carrefour has catalogued (approved), by ``product_references=EAN|…,EAN|…``."""
        refs = [r.split("|", 1)[-1] for r in request.args.get("product_references", "").split(",") if r]
        if not refs or len(refs) > 100:
            return error("product_references is required (at most 100)")
        skus = [(self.store.get("product_by_ean", ref) or {}).get("sku") for ref in dict.fromkeys(refs)]
        found = [p for p in (self.store.get("product", sku) for sku in skus if sku) if self._approved(p)]
        return jsonify(products=[{"product_id": p["ean"], "product_id_type": "EAN", "product_sku": p["sku"],
                                  "product_title": p["title"], "category_code": p["row"].get("category") or "Geral",
                                  "category_label": p["row"].get("category-label") or "Geral"}
                                 for p in found], total_count=len(found))

    def _processed_offers(self, import_id):
        """Mirakl processes imports in the order they came: product files sent earlier go first."""
        record = self.store.get("offer_import", import_id)
        if record is not None and not record["processed"]:
            for product_import in self.store.all("product_import"):
                if product_import["created"] <= record["created"] and not product_import["processed"]:
                    done = self._processed("product_import", product_import["import_id"], self._process_products)
                    if not done["processed"]:
                        return record  # still RUNNING: the products go first
        return self._processed("offer_import", import_id, self._process_offers)

    def offer_import_status(self, import_id):
        record = self._processed_offers(import_id)
        if record is None:
            return error(f"Import {import_id} not found", 404)
        status, done = self._stage(record), self._stage(record) == "COMPLETE"
        counts = record.get("counts", {}) if done else {}
        return jsonify({"import_id": int(import_id), "status": status, "mode": record["mode"], "type": "API",
                        "reason_status": "" if status != "FAILED" else "The file could not be read",
                        "date_created": iso(record["created"]), "has_error_report": done and bool(record["errors"]),
                        "lines_read": counts.get("read", 0), "lines_in_success": counts.get("success", 0),
                        "lines_in_error": counts.get("error", 0), "lines_in_pending": 0,
                        "offer_inserted": counts.get("inserted", 0), "offer_updated": counts.get("updated", 0),
                        "offer_deleted": counts.get("deleted", 0)})

    def _process_offers(self, rows):
        errors, counts = [], {"read": len(rows), "success": 0, "error": 0, "inserted": 0, "updated": 0, "deleted": 0}
        products = self.store.all("product")
        by_ean, by_sku = {p["ean"]: p for p in products}, {p["sku"]: p for p in products}
        existing = {o["shop_sku"]: o for o in self.store.all("offer")}
        changed = {}
        for line, row in enumerate(rows, start=2):
            sku = (row.get("sku") or "").strip()
            product = by_ean.get((row.get("product-id") or "").strip()) or by_sku.get(sku)
            problem = None
            try:
                price = float(row.get("price") or 0)
                discount = float(row.get("discount-price") or 0)
                quantity = int(row.get("quantity") or 0)
            except ValueError:
                problem = "The price or the quantity is not a number"
            if problem is None and (row.get("update-delete") or "").lower() == "delete":
                counts["deleted"] += bool(self.store.delete("offer", sku))
                changed.pop(sku, None)
                counts["success"] += 1
                continue
            if problem is None:
                problem = ("The sku is required" if not sku else
                           "The price must be greater than 0" if price <= 0 else
                           "The quantity must be 0 or more" if quantity < 0 else
                           "The product does not exist" if product is None else
                           "The product is not yet approved by the operator: offer discarded"
                           if not self._approved(product) else None)
            if problem:
                errors.append({"line": line, "row": row, "message": problem})
                counts["error"] += 1
                continue
            counts["updated" if sku in existing else "inserted"] += 1
            counts["success"] += 1
            changed[sku] = self._offer_document(existing.get(sku), sku, product, price, quantity, row, discount)
        self.store.put_many("offer", changed.items())
        return {"errors": errors, "counts": counts}

    def _offer_document(self, existing, sku, product, price, quantity, row, discount=0.0) -> dict:
        """The offer as OF21 lists it: ``price`` what the customer pays, ``origin_price`` before the discount."""
        category = (product.get("row") or {}).get("category") or "Geral"
        label = (product.get("row") or {}).get("category-label") or category
        offer_id = (existing or {}).get("offer_id") or (int(sku) if sku.isdigit() else self.store.next_id("offer_id"))
        return {"offer_id": offer_id, "shop_sku": sku,
                "product_sku": product["sku"], "product_title": product["title"],
                "price": discount if 0 < discount < price else price, "origin_price": price,
                "quantity": quantity, "active": quantity > 0, "state_code": row.get("state") or "11",
                "leadtime_to_ship": int(row.get("leadtime-to-ship") or 2), "description": "",
                "category_code": category, "category_label": label, "currency_iso_code": "BRL",
                "all_prices": [], "channels": [], "fulfillment": {"center": {"code": "DEFAULT"}},
                "logistic_class": {"code": "STANDARD", "label": "Padrão"}, "min_order_quantity": 1,
                "max_order_quantity": 100, "min_quantity_alert": 0, "package_quantity": 1,
                "min_shipping_price": 12.9, "min_shipping_price_additional": 0.0, "min_shipping_type": "NORMAL",
                "min_shipping_zone": "BR", "shipping_deadline": iso(time.time() + 2 * 86400),
                "product_references": [{"reference_type": "EAN", "reference": product["ean"]}],
                "updated": time.time()}

    def offer_error_report(self, import_id):
        record = self._processed_offers(import_id)
        return self._report(record) if record else error(f"Import {import_id} not found", 404)

    def offers(self):
        offset, size = request.args.get("offset", 0, type=int), request.args.get("max", 10, type=int)
        if size > 100:
            return error("max is at most 100")
        if request.args.get("sku"):  # one offer at most: no page of the whole catalog to read
            found = self.store.get("offer", request.args["sku"])
            offers, total = [found] if found and offset == 0 else [], 1 if found else 0
        else:  # a page read as a page, so that paging a large catalog costs what it would at Mirakl
            offers, total = self.store.page("offer", offset, size), self.store.count("offer")
        page = [{k: v for k, v in o.items() if k != "updated"} | {"inactivity_reasons": []} for o in offers]
        return jsonify(offers=page, total_count=total)

    def admin_offer(self, sku):
        """Drift for the reconciliation's tests: change an offer's price or quantity as the operator's side might,
        or delete it."""
        offer = self.store.get("offer", sku)
        if offer is None:
            return error(f"No offer {sku}", 404)
        if request.method == "DELETE":
            self.store.delete("offer", sku)
            return jsonify(deleted=sku)
        changes = {k: v for k, v in (request.get_json(silent=True) or {}).items() if k in ("price", "quantity")}
        offer.update(changes)
        if "quantity" in changes:
            offer["active"] = offer["quantity"] > 0
        self.store.put("offer", sku, offer)
        return jsonify(offer)

    # -- OF52, OF53, OF54: the full export, ready ``IMPORT_SECONDS`` after it is asked, in files of
    # ``items_per_chunk`` offers, read as they are when the file is downloaded ----------------------------------------
    def export_offers(self):
        body = request.get_json(silent=True) or {}
        if body.get("export_type", "text/csv") not in ("application/json", "text/csv"):
            return error("export_type must be application/json or text/csv")
        tracking_id = str(uuid.uuid4())
        self.store.put("offer_export", tracking_id, {
            "created": time.time(), "chunk": max(int(body.get("items_per_chunk") or 10_000), 1),
            "fields": body.get("include_fields") or []})
        return jsonify(tracking_id=tracking_id)

    def offer_export_status(self, tracking_id):
        export = self.store.get("offer_export", tracking_id)
        if export is None:
            return error(f"Export {tracking_id} not found", 404)
        if time.time() - export["created"] < self.cfg["IMPORT_SECONDS"]:
            return jsonify(status="PENDING", last_updated=iso(time.time()))
        files = max(1, -(-self.store.count("offer") // export["chunk"]))
        base = request.host_url.rstrip("/")
        return jsonify(status="COMPLETED", last_updated=iso(time.time()),
                       urls=[f"{base}/api/offers/export/async/file/{tracking_id}?file={n}.json" for n in range(files)])

    def offer_export_file(self, tracking_id):
        export = self.store.get("offer_export", tracking_id)
        number = request.args.get("file", "").removesuffix(".json")
        if export is None or not number.isdigit():
            return error(f"Export file {tracking_id} not found", 404)
        offers = self.store.page("offer", int(number) * export["chunk"], export["chunk"])
        rows = [{"offer-id": o["offer_id"], "shop-sku": o["shop_sku"], "product-sku": o["product_sku"],
                 "price": o["price"], "origin-price": o["origin_price"], "quantity": o["quantity"],
                 "active": o["active"], "deleted": False, "state-code": o["state_code"]} for o in offers]
        fields = set(export["fields"])
        return jsonify([{k: v for k, v in row.items() if not fields or k in fields} for row in rows])

    # -- orders ------------------------------------------------------------------------------------------------------
    def _generate_due_orders(self):
        rate = self.cfg["ORDERS_PER_MINUTE"]
        if rate <= 0:
            return
        clock = self.store.get("clock", "orders") or {"last": time.time()}
        due = int((time.time() - clock["last"]) * rate / 60)
        offers = [o for o in self.store.all("offer") if o["quantity"] > 0]
        if due <= 0 or not offers:
            if not offers:
                self.store.put("clock", "orders", {"last": time.time()})
            return
        rng = random.Random()
        for _ in range(min(due, 20)):
            picks = rng.sample(offers, k=min(len(offers), rng.choice([1, 1, 2])))
            self.create_order([{"sku": o["shop_sku"], "quantity": 1, "price": o["price"]} for o in picks],
                              shipping_type=rng.choice(["NORMAL", "NORMAL", "EXPRESSA", "ECONOMICA"]),
                              cancel=rng.random() < self.cfg["CANCEL_RATE"])
        self.store.put("clock", "orders", {"last": clock["last"] + due * 60 / rate})

    def create_order(self, lines, *, shipping_type="NORMAL", zip_code=None, state="STAGING", cancel=False,
                     shipping_price=None):
        rng = random.Random()
        number = self.store.next_id("order")
        order_id = f"CRF{number:06d}-A"
        city = next((c for c in CITIES if c[0] == zip_code), None) or rng.choice(CITIES)
        postal = zip_code or city[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        now = time.time()
        order_lines = []
        for index, line in enumerate(lines, start=1):
            offer = self.store.get("offer", line["sku"]) or {}
            unit = float(line.get("price") or offer.get("price") or 0)
            qty = int(line.get("quantity", 1))
            order_lines.append({"order_line_id": f"{order_id}-{index}", "order_line_index": index,
                                "order_line_state": state, "offer_sku": str(line["sku"]),
                                "offer_id": offer.get("offer_id") or 0, "offer_state_code": "11",
                                "product_sku": offer.get("product_sku", str(line["sku"])),
                                "product_title": offer.get("product_title", ""), "description": "",
                                "category_code": offer.get("category_code", "Geral"),
                                "category_label": offer.get("category_label", "Geral"), "product_medias": [],
                                "quantity": qty, "price_unit": unit, "price": round(unit * qty, 2),
                                "shipping_price": 0.0, "total_price": round(unit * qty, 2),
                                "commission_fee": round(unit * qty * 0.12, 2), "commission_rate_vat": 0.0,
                                "commission_vat": 0.0, "total_commission": round(unit * qty * 0.12, 2),
                                "can_refund": False, "cancelations": [], "refunds": [],
                                "order_line_additional_fields": [], "created_date": iso(now),
                                "last_updated_date": iso(now)})
        label = next(t["label"] for t in self.cfg["SHIPPING_TYPES"] if t["code"] == shipping_type)
        shipping = float(shipping_price if shipping_price is not None else 12.9)
        price = round(sum(line["price"] for line in order_lines), 2)
        address = {"firstname": first, "lastname": last, "street_1": "Rua das Flores, 123", "street_2": "Apto 45",
                   "zip_code": postal, "city": city[1], "state": city[2], "country": "Brasil",
                   "country_iso_code": "BRA", "phone": "11987654321"}
        order = {
            "order_id": order_id, "commercial_id": f"CRF{number:06d}", "order_state": state,
            "created_date": iso(now), "last_updated_date": iso(now), "acceptance_decision_date": None,
            "currency_iso_code": "BRL", "price": price, "shipping_price": shipping,
            "total_price": round(price + shipping, 2), "order_tax_mode": "TAX_INCLUDED",
            "shipping_type_code": shipping_type, "shipping_type_label": label, "shipping_zone_code": "BR",
            "shipping_zone_label": "Brasil", "leadtime_to_ship": 2, "can_cancel": False, "has_invoice": False,
            "payment_workflow": "PAY_ON_ACCEPTANCE", "paymentType": "CREDIT_CARD", "can_shop_ship": True,
            "fully_refunded": False, "has_customer_message": False, "has_incident": False,
            "fulfillment": {"center": {"code": "DEFAULT"}},
            "total_commission": round(sum(line["total_commission"] for line in order_lines), 2),
            "order_lines": order_lines,
            "customer": {"customer_id": f"C{number}", "firstname": first, "lastname": last, "civility": "",
                         "locale": "pt_BR", "shipping_address": address, "billing_address": dict(address)},
            "order_additional_fields": [
                {"code": "cpf", "type": "STRING", "value": f"{rng.randint(10**10, 10**11 - 1):011d}"},
                {"code": "numero", "type": "STRING", "value": "123"},
                {"code": "bairro", "type": "STRING", "value": city[3]}],
            "shipping_tracking": None, "shipping_carrier_code": None, "shipping_company": None,
            "shipping_tracking_url": None, "documents": [], "messages": [], "threads": [],
            "_next": self._next_step(state, now, cancel), "_cancel": cancel,
        }
        self.store.put("order", order_id, order)
        return order

    def _next_step(self, state, now, cancel=False):
        """When the order moves on by itself, and to what."""
        if state == "STAGING":
            return {"at": now + self.cfg["ACCEPTANCE_SECONDS"], "to": "WAITING_ACCEPTANCE"}
        if state == "WAITING_DEBIT_PAYMENT":
            return {"at": now + self.cfg["PAYMENT_SECONDS"], "to": "CANCELED" if cancel else "SHIPPING"}
        return None

    def _advance(self, order) -> bool:
        changed = False
        while order.get("_next") and time.time() >= order["_next"]["at"]:
            at, state = order["_next"]["at"], order["_next"]["to"]
            self._set_state(order, state, at)
            order["_next"] = self._next_step(state, at, order.get("_cancel"))
            changed = True
        return changed

    def _set_state(self, order, state, at=None):
        order["order_state"] = state
        order["last_updated_date"] = iso(at or time.time())
        for line in order["order_lines"]:
            if line["order_line_state"] != "REFUSED":
                line["order_line_state"] = state
                line["last_updated_date"] = order["last_updated_date"]

    def _all_orders(self):
        self._generate_due_orders()
        orders = self.store.all("order")
        for order in orders:
            if self._advance(order):
                self.store.put("order", order["order_id"], order)
        return orders

    def _order(self, order_id):
        order = self.store.get("order", order_id)
        if order and self._advance(order):
            self.store.put("order", order_id, order)
        return order

    @staticmethod
    def _public(order):
        """What OR11 shows: Mirakl leaves absent fields out rather than sending nulls."""
        hidden = ("messages", "threads", "documents")
        return {k: v for k, v in order.items() if not k.startswith("_") and k not in hidden and v is not None}

    def orders(self):
        size = request.args.get("max", 10, type=int)
        if size > 100:
            return error("max is at most 100")
        offset = request.args.get("offset", 0, type=int)
        orders = self._all_orders()
        states = set(filter(None, request.args.get("order_state_codes", "").split(",")))
        ids = set(filter(None, request.args.get("order_ids", "").split(",")))
        since = request.args.get("start_update_date")
        created_since = request.args.get("start_date")
        if created_since:
            try:
                orders = [o for o in orders if parse_iso(o["created_date"]) >= parse_iso(created_since)]
            except ValueError:
                return error(f"start_date {created_since!r} is not an ISO-8601 date-time")
        if states:
            orders = [o for o in orders if o["order_state"] in states]
        if ids:
            orders = [o for o in orders if o["order_id"] in ids]
        if since:
            try:
                threshold = parse_iso(since) - 60  # Mirakl subtracts a delta so that no order is missed
            except ValueError:
                return error(f"start_update_date {since!r} is not an ISO-8601 date-time")
            orders = [o for o in orders if parse_iso(o["last_updated_date"]) >= threshold]
        orders.sort(key=lambda o: o["created_date"])
        return jsonify(orders=[self._public(o) for o in orders[offset: offset + size]], total_count=len(orders))

    @_with_order
    def accept(self, order_id, order):
        if order["order_state"] != "WAITING_ACCEPTANCE":
            return error(f"ORDER_INVALID_STATE: the order is {order['order_state']}")
        lines = (request.get_json(silent=True) or {}).get("order_lines", [])
        decisions = {d.get("id"): d.get("accepted") for d in lines}
        line_ids = {line["order_line_id"] for line in order["order_lines"]}
        if set(decisions) != line_ids or any(v is None for v in decisions.values()):
            return error("ORDER_LINE_ACCEPTANCE_DECISION_MISSING: every line needs a decision")
        now = time.time()
        for line in order["order_lines"]:
            if not decisions[line["order_line_id"]]:
                line["order_line_state"] = "REFUSED"
        order["acceptance_decision_date"] = iso(now)
        if all(not accepted for accepted in decisions.values()):
            self._set_state(order, "REFUSED", now)
            order["_next"] = None
        else:
            self._set_state(order, "WAITING_DEBIT_PAYMENT", now)
            order["_next"] = self._next_step("WAITING_DEBIT_PAYMENT", now, order.get("_cancel"))
        self.store.put("order", order_id, order)
        return "", 204

    @_with_order
    def tracking(self, order_id, order):
        body = request.get_json(silent=True) or {}
        code = body.get("carrier_code")
        if code and code not in {c["code"] for c in CARRIERS}:
            return error(f"The carrier code {code} does not exist")
        if not code and not body.get("carrier_name"):
            return error("carrier_code or carrier_name is required")
        carrier = next((c for c in CARRIERS if c["code"] == code), None)
        order.update(shipping_carrier_code=code, shipping_company=carrier["label"] if carrier else body["carrier_name"],
                     shipping_tracking=body.get("tracking_number"),
                     shipping_tracking_url=body.get("carrier_url") or (carrier or {}).get("tracking_url", "").replace(
                         "{trackingId}", body.get("tracking_number") or ""),
                     last_updated_date=iso(time.time()))
        self.store.put("order", order_id, order)
        return "", 204

    @_with_order
    def ship(self, order_id, order):
        if order["order_state"] != "SHIPPING":
            return error(f"ORDER_INVALID_STATE: the order is {order['order_state']}, not SHIPPING")
        if not order.get("shipping_tracking"):
            return error("The shipping type requires a tracking number before shipping")
        self._set_state(order, "SHIPPED")
        self.store.put("order", order_id, order)
        return "", 204

    @_with_order
    def additional_fields(self, order_id, order):
        fields = (request.get_json(silent=True) or {}).get("order_additional_fields")
        if not isinstance(fields, list) or not all(isinstance(f, dict) and f.get("code") for f in fields):
            return error("order_additional_fields is a list of {code, type, value}")
        by_code = {f["code"]: f for f in order["order_additional_fields"]}
        by_code.update({f["code"]: f for f in fields})
        order["order_additional_fields"] = list(by_code.values())
        order["last_updated_date"] = iso(time.time())
        self.store.put("order", order_id, order)
        return "", 204

    @_with_order
    def message(self, order_id, order):
        body = request.get_json(silent=True) or {}
        if len(body.get("subject") or "") < 3 or len(body.get("body") or "") < 3:
            return error("subject and body need at least 3 characters")
        order["messages"].append({**body, "date": iso(time.time())})
        self.store.put("order", order_id, order)
        return "", 201

    @_with_order
    def thread(self, order_id, order):
        raw = request.files.get("thread_input") or request.form.get("thread_input")
        try:
            thread = json.loads(raw.read() if hasattr(raw, "read") else raw)
        except (TypeError, ValueError):
            return error("thread_input is a JSON part {topic, body, to}")
        order["threads"].append({**thread, "date": iso(time.time())})
        self.store.put("order", order_id, order)
        return jsonify(thread_id=f"T{len(order['threads'])}", message_id=f"M{len(order['threads'])}"), 201

    @_with_order
    def documents(self, order_id, order):
        raw = request.files.get("order_documents") or request.form.get("order_documents")
        try:
            descriptor = json.loads(raw.read() if hasattr(raw, "read") else raw)["order_documents"]
        except (TypeError, ValueError, KeyError):
            return error("order_documents is a JSON part {order_documents: [{file_name, type_code}]}")
        files = {f.filename: f.read() for f in request.files.getlist("files")}
        failures = [{"file_name": d.get("file_name"), "message": "No file part with this name"}
                    for d in descriptor if d.get("file_name") not in files]
        for doc in descriptor:
            if doc.get("file_name") in files:
                order["documents"].append({"file_name": doc["file_name"], "type_code": doc.get("type_code"),
                                           "size": len(files[doc["file_name"]]), "date": iso(time.time())})
        order["has_invoice"] = order["has_invoice"] or any(d["type_code"] for d in order["documents"])
        self.store.put("order", order_id, order)
        return jsonify(errors_count=len(failures), order_documents=failures)

    # -- Carrefour's side (admin page and CLI) -------------------------------------------------------------------------
    def admin_page(self):
        return render_template("mirakl_admin.html", orders=self._all_orders()[-50:][::-1],
                               products=self.store.all("product")[-50:][::-1],
                               offers=self.store.all("offer")[-50:][::-1],
                               now=time.time(), shipping_types=self.cfg["SHIPPING_TYPES"],
                               shop_name=self.cfg["SHOP_NAME"], shop_id=self.cfg["SHOP_ID"],
                               siblings=self.cfg.get("SIBLINGS", []))

    def admin_create_order(self):
        body = request.get_json(silent=True) or request.form.to_dict()
        lines = body.get("lines") or [{"sku": s.strip(), "quantity": 1} for s in body.get("skus", "").split(",")
                                      if s.strip()]
        if not lines:
            return error("Give lines [{sku, quantity, price?}] or skus=1001,1002")
        state = body.get("state") or "STAGING"
        order = self.create_order(lines, shipping_type=body.get("shipping_type") or "NORMAL",
                                  zip_code=body.get("zip_code") or None, state=state,
                                  shipping_price=body.get("shipping_price"),
                                  cancel=str(body.get("cancel", "")).lower() in ("1", "true", "yes"))
        if request.is_json:
            return jsonify(self._public(order)), 201
        return redirect(url_for("admin_page"))

    @_with_order
    def admin_cancel_order(self, order_id, order):
        """Carrefour cancels the order (customer request, fraud …), whatever its state."""
        self._set_state(order, "CANCELED")
        order["_next"] = None
        self.store.put("order", order_id, order)
        return jsonify(self._public(order)) if request.is_json else redirect(url_for("admin_page"))

    def admin_approve_all(self):
        now = time.time()
        self.store.put_many("product", [(p["sku"], {**p, "approve_at": now}) for p in self.store.all("product")
                                        if not self._approved(p)])
        return redirect(url_for("admin_page")) if not request.is_json else jsonify(ok=True)

    def admin_offer_imports(self):
        """Every offer file received: when, and its lines (what a benchmark times its changes against)."""
        return jsonify([{"import_id": r["import_id"], "created": r["created"],
                         "complete_at": r["created"] + self.cfg["IMPORT_SECONDS"],
                         "lines": [{k: row.get(k) for k in ("sku", "price", "discount-price", "quantity")}
                                   for row in csv.DictReader(io.StringIO(r["content"]), delimiter=";")]}
                        for r in self.store.all("offer_import")])

    def admin_state(self):
        """Everything the simulator holds, for tests and the CLI."""
        return jsonify(products=self.store.all("product"), offers=self.store.all("offer"),
                       orders=self._all_orders())
