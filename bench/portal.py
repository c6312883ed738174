"""Portal benchmark (issue: the merchant's portal…).

One tenant with 100,000 SKUs, 1,000,000 Bridge entries and 50,000 orders, beside 100 other tenants' rows in the same
tables: the server-side time of Catálogo, Bridge, Orders and the dashboard, filters and counts included (the Flask
test client, so no network is measured); the searches by every word of a name, a brand, part of an order number,
a customer, a SKU. Baseline in the same run: the same pages on the same rows without the portal's indexes (those of
migrations 0010 and 0023: the searches' trigram indexes exist on PostgreSQL only).

PostgreSQL when ``BENCH_DATABASE_URL`` is set (the production case); SQLite otherwise. ``BENCH_PORTAL_SCALE``
divides every row count (e.g. 10 for a quick look); ``BENCH_PORTAL_KEEP=1`` keeps the rows for the next run.
"""
import os
import statistics
import tempfile
import time
from datetime import timedelta

from sqlalchemy import inspect, text

from bench import harness
from saas import create_app
from saas.bridge.models import BridgeEntry
from saas.catalog.models import SkuBinding
from saas.extensions import db
from saas.orders.models import MarketplaceOrder
from saas.tenants.models import ConnectorSettings, User
from saas.tenants.service import create_tenant
from saas.tenants.settings import save_settings
from saas.text import search_text
from saas.timeutil import utcnow

SCALE = int(os.environ.get("BENCH_PORTAL_SCALE", "1"))
KEEP = bool(os.environ.get("BENCH_PORTAL_KEEP"))  # keep the rows for the next run (seeding takes minutes)
SKUS, ENTRIES, ORDERS = 100_000 // SCALE, 1_000_000 // SCALE, 50_000 // SCALE
OTHERS, OTHER_SKUS, OTHER_ENTRIES, OTHER_ORDERS = 100, 1000 // SCALE, 5000 // SCALE, 500 // SCALE
RUNS = 5
PASSWORD = "bench password 123"
TARGET_MS = 300
NEW_INDEXES = ("ix_bridge_entry_created_at", "ix_bridge_entry_tenant_entity_newest", "ix_bridge_entry_tenant_newest",
               "ix_bridge_entry_tenant_entity_status_newest", "ix_sku_binding_tenant_connector_ean",
               "ix_sku_binding_search_trgm", "ix_marketplace_order_search_trgm", "ix_marketplace_order_vtex_trgm",
               "ix_marketplace_order_tenant_created",
               "ix_sku_binding_tenant_connector_offer_state", "ix_sku_binding_tenant_connector_updated",
               "ix_marketplace_order_tenant_newest")
CAUSES = ("The SKU has no image at VTEX (Carrefour requires at least one).", "The SKU has no name at VTEX.",
          "EAN inválido: dígito verificador não confere")
PAGES = ("/", "/catalog/", "/catalog/?product=error", "/catalog/?offer=live", f"/catalog/?cause={CAUSES[0]}",
         "/catalog/?q=Camiseta%2012345", "/catalog/?q=camiseta%20preta", "/catalog/?q=malwee", "/catalog/?page=500",
         "/bridge/product", "/bridge/product?status=error", "/bridge/product?q=1012345", "/orders/",
         "/orders/?status=failed", "/orders/?q=CRF-40000", "/orders/?q=4000", "/orders/?q=antonio%20souza",
         "/orders/?q=1012345")
COLOURS = ("Preta", "Branca", "Azul-marinho", "Verde", "Cinza Mescla", "Vermelha")
BRANDS = ("Malwee", "Hering", "Reserva", "Colcci", "Lacoste", "Aramis", "Osklen", "Track&Field")
NAMES = (("Antônio", "Souza"), ("Maria", "Conceição"), ("João", "Silva"), ("Ana", "Araújo"), ("Luíza", "Pereira"))


def run():
    database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='bench-portal-')}/p.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "WTF_CSRF_ENABLED": False, "TESTING": True})
    with app.app_context():
        if KEEP and inspect(db.engine).has_table("tenant") and \
                db.session.execute(text("SELECT 1 FROM tenant WHERE slug = 'loja-bench'")).first():
            _recreate_indexes()
            slug = "loja-bench"
        else:
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            slug = _seed()
            print(f"{SKUS:,} SKUs, {ENTRIES:,} Bridge entries, {ORDERS:,} orders for one tenant and {OTHERS} other "
                  f"tenants ({database.split(':')[0]}), seeded in {time.perf_counter() - started:.0f} s")
        with_indexes = _measure(app, slug)
        for name in NEW_INDEXES:
            db.session.execute(text(f"DROP INDEX IF EXISTS {name}"))  # the trigram ones exist on PostgreSQL only
        db.session.commit()
        without = _measure(app, slug)
        _report(with_indexes, without)
        db.session.remove()
        db.engine.dispose()  # the requests' connections, so that nothing holds a table the drop needs
        if KEEP:
            _recreate_indexes()
        else:
            db.drop_all()


def _recreate_indexes() -> None:
    for table in db.metadata.tables.values():
        for index in table.indexes:
            if index.name in NEW_INDEXES:
                index.create(db.engine, checkfirst=True)


def _report(with_indexes, without) -> None:
    print(f"  {'page':38} {'median':>8} {'slowest':>8}   median without the portal's indexes")
    for path in PAGES:
        median, slowest = with_indexes[path]
        base = without[path][0]
        print(f"  {path:38} {median:6.0f} ms {slowest:6.0f} ms   {base:6.0f} ms ({base / median:.1f}×)")
    worst = max(slowest for _median, slowest in with_indexes.values())
    print(f"  slowest of {RUNS} runs of any page: {worst:.0f} ms (target: under {TARGET_MS} ms)", flush=True)
    slowest_page = max(PAGES, key=lambda path: with_indexes[path][0])
    harness.summary("portal", f"the slowest page's median {with_indexes[slowest_page][0]:.0f} ms ({slowest_page}), "
                    f"the slowest run of any page {worst:.0f} ms",
                    f"{without[slowest_page][0]:.0f} ms for that page without the portal's indexes")


def _measure(app, slug) -> dict:
    client = app.test_client()
    client.post("/login", data={"email": "bench@loja.example", "password": PASSWORD})
    times = {}
    for path in PAGES:
        samples = []
        client.get(f"/t/{slug}{path}")  # warm: the first read of a page fills the database's cache
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(f"/t/{slug}{path}")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times[path] = (statistics.median(samples), max(samples))
    return times


def _seed() -> str:
    owner = User(email="bench@loja.example")
    owner.set_password(PASSWORD)
    db.session.add(owner)
    tenant = create_tenant(owner, name="Loja Bench", slug="loja-bench", vtex_account="lojabench")
    save_settings(tenant, "carrefour", active=True, settings={"trade_policy": "1"}, secrets={"shop_key": "k"})
    _rows(tenant.id, SKUS, ENTRIES, ORDERS)
    for n in range(OTHERS):
        other = create_tenant(owner, name=f"Outra {n}", slug=f"outra-{n}", vtex_account=f"outra{n}")
        db.session.add(ConnectorSettings(tenant_id=other.id, connector_key="carrefour", active=True))
        _rows(other.id, OTHER_SKUS, OTHER_ENTRIES, OTHER_ORDERS)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return tenant.slug


def _rows(tenant_id, skus, entries, orders) -> None:
    now = utcnow()
    _insert(SkuBinding, ({
        "tenant_id": tenant_id, "connector_key": "carrefour", "sku_id": str(1_000_000 + i), "ean": f"789{i:010d}",
        "title": f"Camiseta {COLOURS[i % 6]} {i}", "brand": BRANDS[i % 8],
        "search_text": search_text(f"Camiseta {COLOURS[i % 6]} {i}", BRANDS[i % 8], f"789{i:010d}",
                                   str(1_000_000 + i)),
        "product_state": "error" if i % 20 == 0 else "listed",
        "offer_state": "error" if i % 20 == 0 else "live", "price_cents": 1000 + i % 5000, "quantity": i % 30,
        "last_error": CAUSES[i % 3] if i % 20 == 0 else None, "last_error_params": {} if i % 20 == 0 else None,
        "updated_at": now - timedelta(seconds=i)} for i in range(skus)))
    _insert(BridgeEntry, ({
        "tenant_id": tenant_id, "entity": ("product", "price", "inventory", "order")[i % 4],
        "entity_id": str(1_000_000 + i % max(skus, 1)), "status": "error" if i % 25 == 0 else "success",
        "message": "Offer updated at Carrefour.", "message_params": {}, "details": {},
        "created_at": now - timedelta(seconds=i)} for i in range(entries)))
    _insert(MarketplaceOrder, ({
        "tenant_id": tenant_id, "connector_key": "carrefour", "marketplace_order_id": f"CRF-{i}",
        "marketplace_state": "SHIPPING", "marketplace_updated_at": "2026-11-27T10:00:00Z",
        "status": "failed" if i % 50 == 0 else "imported", "total_cents": 10_000 + i, "raw": {}, "history": [],
        "mailed_causes": [], "series": 0, "created_at": now - timedelta(minutes=i), "updated_at": now,
        "search_text": search_text(f"CRF-{i}", *NAMES[i % 5], f"{i:011d}", str(1_000_000 + i % max(skus, 1)))}
        for i in range(orders)))


def _insert(model, rows, chunk=20_000) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            db.session.execute(model.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(model.__table__.insert(), batch)
    db.session.commit()
