"""Reconciliation benchmark (issue: nothing drifts).

100,000 offers at the Mirakl simulator (``BENCH_RECONCILE_OFFERS``), VTEX's simulator at 20 ms a call plus 0.5 ms a
SKU, with drift on both sides: 1 % of the prices and 0.5 % of the quantities changed at the marketplace, 100 offers
deleted there, 100 offers of SKUs VTEX does not have. Measured: the reconciliation from its start to the last
correction recorded, at the limits both publish (Mirakl: one full export a day, its status read once a minute as it
recommends, so a minute of it is waiting; VTEX: the simulations paced as the sync's), its VTEX calls, and its peak
memory. Baseline, in the same run: reading the same offers through OF21, 100 a page, the only other way Mirakl gives.
Targets: under 15 minutes and 300 MB; every drift found.
"""
import os
import tempfile
import time
from pathlib import Path

from bench import harness

OFFERS = int(os.environ.get("BENCH_RECONCILE_OFFERS", "100000"))
EXTRA = 100  # offers of SKUs VTEX does not have
LATENCY_MS, ITEM_LATENCY_MS = 20, 0.5


def run():
    with harness.simulator("vtex", {"SANDBOX_VTEX_SKUS": OFFERS}, workers=4) as vtex_url, \
            harness.simulator("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": 0.5,
                                         "SANDBOX_MIRAKL_APPROVAL_SECONDS": 0}) as mirakl_url:
        harness.knobs(vtex_url, latency_ms=LATENCY_MS, item_latency_ms=ITEM_LATENCY_MS)
        with tempfile.TemporaryDirectory() as tmp:
            drift, _setup_mb = harness.in_child(seed, vtex_url, mirakl_url, tmp)
            result, peak_mb = harness.in_child(reconcile, tmp)
    print(f"reconciliation of {result['offers']:,} offers, VTEX at {LATENCY_MS} ms a call + {ITEM_LATENCY_MS} ms a "
          f"SKU, Mirakl's export status read once a minute:")
    print(f"  ours: {result['seconds']:.0f} s start → last correction recorded ({result['waiting']:.0f} s of it "
          f"waiting for the export's status) in {result['runs']} runs of the job, the export read in "
          f"{result['read_seconds']:.1f} s; "
          f"{result['simulations']:,} VTEX simulations ({result['simulation_rate']:,.0f} a minute); "
          f"peak {peak_mb:.0f} MB")
    print(f"  baseline: the same offers through OF21, 100 a page: {result['of21_seconds']:.1f} s and "
          f"{result['of21_calls']:,} calls to read them ({result['of21_seconds'] / result['read_seconds']:.1f}× the "
          f"export's read)")
    found = result["summary"]
    print(f"  drift injected: {drift}; found: " + ", ".join(f"{k} {found[k]}" for k in drift))
    met = result["seconds"] < 900 and peak_mb < 300 and all(found[k] == v for k, v in drift.items())
    print(f"  target under 15 min and 300 MB, every drift found: {'met' if met else 'NOT met'}")
    harness.summary("reconcile", f"{result['offers']:,} offers: {result['seconds']:.0f} s start → last correction, "
                    f"peak {peak_mb:.0f} MB", f"reading them through OF21 {result['of21_seconds']:.1f} s against the "
                    f"export's {result['read_seconds']:.1f} s", "60 s (Mirakl's export status, read once a minute)")


def seed(vtex_url, mirakl_url, tmp) -> dict:
    """The store listed at the marketplace with drift on both sides, in a process of its own; answers the drift."""
    from saas.catalog.models import SkuBinding
    from saas.connectors.base import CatalogItem
    from saas.extensions import db
    from saas.sandbox.catalog import ean13, generate
    from saas.tenants.settings import build_connector
    from saas.timeutil import utcnow
    app = harness.make_app(Path(tmp), REPORT_DELAY=3600)
    app.app_context().push()
    tenant = harness.wired_tenant(vtex_url, mirakl_url)
    connector = build_connector(tenant, "carrefour")
    catalog = [s for s in generate(OFFERS + EXTRA) if s["AlternateIds"]["Ean"] and s["price"] > 0]
    harness.list_catalog_at_mirakl(tenant, OFFERS + EXTRA)
    ours = [s for s in catalog if s["Id"] < 1001 + OFFERS]
    priced, counted = {s["Id"] for s in ours[::100]}, {s["Id"] for s in ours[50::200]}
    items = [CatalogItem(str(s["Id"]), ean=ean13(s["Id"]), price_cents=s["price"] + 1000 * (s["Id"] in priced),
                         quantity=s["stock"] + 7 * (s["Id"] in counted)) for s in catalog]
    published = connector.publish_offers(items).batch.import_id
    harness.wait_import_complete(lambda: connector.client.offer_import(published))
    deleted = [str(s["Id"]) for s in ours[25::len(ours) // 100] if s["Id"] not in priced | counted][:100]
    for sku in deleted:
        harness.delete_offer(mirakl_url, sku)
    for start in range(0, len(ours), 5000):
        db.session.execute(SkuBinding.__table__.insert(), [
            {"tenant_id": tenant.id, "connector_key": "carrefour", "sku_id": str(s["Id"]), "ean": ean13(s["Id"]),
             "product_state": "listed", "offer_state": "live", "price_cents": s["price"], "quantity": s["stock"],
             "updated_at": utcnow().replace(year=2025)} for s in ours[start:start + 5000]])
    db.session.commit()
    return {"price_fixed": len(priced), "stock_fixed": len(counted), "missing_resent": len(deleted),
            "withdrawn": len(catalog) - len(ours)}


def reconcile(tmp) -> dict:
    """The reconciliation alone, in a fresh process, so that its memory is its own."""
    from saas.catalog import reconcile as reconciliation_jobs
    from saas.catalog.models import Reconciliation
    from saas.extensions import db
    from saas.tenants.models import Tenant
    from saas.tenants.settings import build_connector, load_settings
    from saas.timeutil import utcnow
    from saas.vtex.client import VtexClient
    app = harness.make_app(Path(tmp), fresh=False, REPORT_DELAY=3600)
    app.app_context().push()
    tenant = db.session.query(Tenant).one()
    connector = build_connector(tenant, "carrefour")
    of21_seconds, of21_calls = _read_through_of21(connector)
    with harness.counting(VtexClient, "simulate") as simulations:
        started = time.perf_counter()
        reconciliation_jobs.start(tenant, load_settings(tenant, "carrefour"))
        row = db.session.query(Reconciliation).one()
        waiting = max((row.next_check_at - utcnow()).total_seconds(), 0)
        time.sleep(waiting)  # the delayed check, a minute later
        compare_started = time.perf_counter()
        runs = 0
        while (outcome := reconciliation_jobs.check_reconciliation(row.id)) not in ("done", "failed"):
            runs += 1  # each part is a run of the job, as a worker takes them from the queue
            if outcome == "waiting for the export":
                time.sleep(reconciliation_jobs.CHECK_EVERY.total_seconds())
        seconds = time.perf_counter() - started
        compare_seconds = time.perf_counter() - compare_started
    db.session.refresh(row)
    return {"offers": row.summary["offers"], "seconds": seconds, "waiting": waiting, "runs": runs + 1,
            "read_seconds": _export_read_seconds(connector, row.handle), "simulations": simulations[0],
            "simulation_rate": simulations[0] / compare_seconds * 60,
            "of21_seconds": of21_seconds, "of21_calls": of21_calls, "summary": row.summary}


def _read_through_of21(connector) -> tuple[float, int]:
    started, offset, calls = time.perf_counter(), 0, 0
    while True:
        page = connector.client.list_offers(offset=offset, max_results=100)
        calls += 1
        offset += len(page["offers"])
        if not page["offers"] or offset >= page["total_count"]:
            return time.perf_counter() - started, calls


def _export_read_seconds(connector, handle) -> float:
    """Downloading and reading every file of the export again: the share of the reconciliation that is Mirakl's."""
    started = time.perf_counter()
    for part in connector.offer_export(handle):
        connector.offer_export_part(part)
    return time.perf_counter() - started
