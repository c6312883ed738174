"""Approvals at catalog scale: 100,000 products (``BENCH_APPROVALS``) waiting for the marketplace's approval, approved
at once; time from the approval to every offer accepted (its offer file COMPLETE at the Mirakl simulator, each line a
live offer), the sync run as a worker runs it (its parts one after the other), VTEX at 20 ms a call.

The floor: the VTEX simulations of every SKU (50 a call, ``VTEX_CONCURRENCY`` at once), then one offer file, since
Mirakl takes one import a minute (a second file would wait a minute). There is no baseline to
run: the sync before this change listed 1,000 approved products a run, so 100,000 took 100 runs, 16.7 hours at the
production interval of 600 s; the figure is computed, and said so.
"""
import os
import tempfile
import time
from pathlib import Path

from bench import harness

PRODUCTS = int(os.environ.get("BENCH_APPROVALS", "100000"))
LATENCY_MS = 20
OLD_LIMIT = 1000  # products the sync used to list a run
SYNC_INTERVAL = 600
VTEX_CONCURRENCY = 16  # the default


def run():
    with harness.simulator("vtex", {"SANDBOX_VTEX_SKUS": PRODUCTS}, workers=4) as vtex_url, \
            harness.simulator("mirakl", {"SANDBOX_MIRAKL_IMPORT_SECONDS": 0.5,
                                         "SANDBOX_MIRAKL_APPROVAL_SECONDS": 30 * 86400}) as mirakl_url:
        result, peak_mb = harness.in_child(approved_at_once, vtex_url, mirakl_url)
    computed = PRODUCTS / OLD_LIMIT * SYNC_INTERVAL
    print(f"{result['products']:,} products approved at once, VTEX at {LATENCY_MS} ms a call:")
    print(f"  {result['seconds']:.0f} s approval → {result['live']:,} offers accepted (target under 300 s: "
          f"{'met' if result['seconds'] < 300 and result['live'] == result['products'] else 'NOT met'}); "
          f"{result['runs']} runs of the sync, {result['files']} offer file(s), P31 {result['p31_calls']:,} calls; "
          f"peak {peak_mb:.0f} MB")
    simulations = result["products"] / 50
    floor = simulations / VTEX_CONCURRENCY * LATENCY_MS / 1000
    harness.summary("approvals", f"{result['live']:,} of {result['products']:,} offers live {result['seconds']:.0f} s "
                    "after approval", f"{computed / 3600:.1f} h (computed: {OLD_LIMIT:,} a run every "
                    f"{SYNC_INTERVAL} s)", f"{floor:.1f} s ({simulations:,.0f} simulations of 50 SKUs, "
                    f"{VTEX_CONCURRENCY} at once at {LATENCY_MS} ms, then one offer file: Mirakl takes one a minute)")
    if result["live"] != result["products"]:
        raise SystemExit(f"approvals: {result['products'] - result['live']} offers not live")


def approved_at_once(vtex_url, mirakl_url):
    import requests

    from saas.catalog.models import ImportBatch
    from saas.connectors.mirakl.client import MiraklClient
    from saas.extensions import db
    from saas.jobs import schedule
    from saas.sandbox.catalog import generate
    from saas.tenants.settings import build_connector
    with tempfile.TemporaryDirectory() as tmp:
        app = harness.make_app(Path(tmp), REPORT_DELAY=3600)
        with app.app_context():
            tenant = harness.wired_tenant(vtex_url, mirakl_url)
            skus = [str(s["Id"]) for s in generate(PRODUCTS) if s["AlternateIds"]["Ean"] and s["price"] > 0]
            _sent_and_pending(tenant, skus)
            harness.knobs(vtex_url, latency_ms=LATENCY_MS)
            with harness.counting(MiraklClient, "products_by_reference") as p31:
                started = time.perf_counter()
                requests.post(mirakl_url + "/_admin/products/approve", json={}, timeout=600).raise_for_status()
                runs, more = 0, True
                while more:  # a run's parts, as a worker runs them (each queues the next)
                    more = (schedule.run_periodic("sync", tenant.id, "carrefour") or {}).get("more")
                    runs += 1
            connector = build_connector(tenant, "carrefour")
            offer_files = [b.import_id for b in db.session.query(ImportBatch).filter_by(kind="offer")]
            live = sum(harness.wait_import_complete(lambda i=i: connector.client.offer_import(i))["lines_in_success"]
                       for i in offer_files)
            return {"products": len(skus), "seconds": time.perf_counter() - started, "live": live, "runs": runs,
                    "files": len(offer_files), "p31_calls": p31[0]}


def _sent_and_pending(tenant, skus):
    """As after an initial load: every product sent to Carrefour and waiting for its approval, no offer live."""
    from saas.catalog.models import SkuBinding
    from saas.extensions import db
    from saas.sandbox.catalog import ean13
    from saas.tenants.settings import build_connector
    from saas.timeutil import utcnow
    db.session.execute(SkuBinding.__table__.insert(), [
        {"tenant_id": tenant.id, "connector_key": "carrefour", "sku_id": s, "ean": ean13(int(s)),
         "product_state": "pending", "offer_state": "pending", "updated_at": utcnow()} for s in skus])
    db.session.commit()
    connector = build_connector(tenant, "carrefour")
    rows = "\n".join(f"{s};{ean13(int(s))};Produto {s}" for s in skus)
    import_id = connector.client.import_products(f"sku;ean;title\n{rows}\n".encode())
    harness.wait_import_complete(lambda: connector.client.product_import(import_id))
