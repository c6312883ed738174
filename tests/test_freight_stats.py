"""Frete: every quote counted per store and hour in Redis, the page's figures, and a failed quote replayed."""
from datetime import datetime

import requests

from saas.freight import metrics
from saas.tenants.settings import save_settings
from tests.conftest import login, make_tenant, wire_to_vtex
from tests.factories import CarrefourSettings

URL = "/api/carrefourintegration/pub/loja-a/freight"
SETTINGS = CarrefourSettings(api_url="https://mirakl.test")


def _store(tenant, vtex_sim):
    wire_to_vtex(tenant, vtex_sim)
    save_settings(tenant, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "k"})
    requests.post(f"{vtex_sim.config['URL']}/_admin/skus/1001", json={"stock": 50})


def _knobs(vtex_sim, **values):
    requests.post(f"{vtex_sim.config['URL']}/_admin/knobs", json=values).raise_for_status()


def test_each_quote_is_counted_by_outcome_without_a_row(client, db, tenant, vtex_sim):
    _store(tenant, vtex_sim)
    quote = {"postalCode": "01310100", "items": "1001:1"}
    assert client.get(URL, query_string=quote).status_code == 200
    assert client.get(URL, query_string=quote).headers["X-Cache"] == "hit"
    assert client.get(URL, query_string={"postalCode": "0131", "items": "1001:1"}).status_code == 400
    assert client.get(URL, query_string={"postalCode": "69900000", "items": "1001:1"}).get_json()["options"]
    _knobs(vtex_sim, error_rate=1.0)
    assert client.get(URL, query_string={"postalCode": "04538133", "items": "1001:2"}).status_code == 503

    week = metrics.total(metrics.hours(tenant.id, "carrefour"))
    assert week.quotes == 5 and week.hits == 1 and week.empty == 0
    assert week.errors == {"invalid": 1, "vtex_error": 1}
    assert 0 < week.percentile(0.5) <= week.percentile(0.99) < metrics.SLOW_MS
    failed = metrics.failures(tenant.id, "carrefour")
    assert [f["cause"] for f in failed] == ["vtex_error"]  # an unreadable request is counted, not kept
    assert failed[0]["request"] == {"postalCode": "04538133", "items": [["1001", 2]]}


def test_an_unknown_store_counts_nothing_nor_does_garbage_read_the_database(client, db, tenant, vtex_sim):
    _store(tenant, vtex_sim)
    from saas.freight import quote
    assert client.get(URL, query_string={"postalCode": "0131"}).status_code == 400
    assert quote.known("loja-a", "carrefour") is None  # not looked up for an unreadable request
    client.get("/api/carrefourintegration/pub/no-such-store/freight", query_string={"postalCode": "0"})
    client.get("/api/carrefourintegration/pub/no-such-store/freight?postalCode=01310100&items=1001:1")
    assert metrics.total(metrics.hours(tenant.id, "carrefour")).quotes == 0


def test_percentiles_come_from_the_histogram():
    hour = metrics.Hour(datetime(2026, 12, 1, 10))
    for elapsed in [12] * 90 + [450] * 9 + [1200]:
        hour.buckets[metrics.BOUNDS_MS.index(next(b for b in metrics.BOUNDS_MS if b >= elapsed))] += 1
    assert hour.quotes == 100 and hour.slow == 1
    assert 10 < hour.percentile(0.5) <= 15          # within the 10–15 ms bucket
    assert 400 < hour.percentile(0.95) <= 500
    assert 1000 < hour.percentile(0.999) <= 1500
    assert metrics.Hour(hour.start).percentile(0.5) is None


def test_the_page_shows_the_week_and_a_failed_quote_is_replayed(client, db, owner, tenant, vtex_sim):
    _store(tenant, vtex_sim)
    _knobs(vtex_sim, error_rate=1.0)
    client.get(URL, query_string={"postalCode": "04538133", "items": "1001:2"})
    _knobs(vtex_sim, error_rate=0.0)
    login(client, owner.email)
    page = client.get("/t/loja-a/freight/").get_data(as_text=True)
    assert "Falhas por causa" in page and "A VTEX falhou" in page and "04538133" in page
    assert "<svg" in page and "Cotações por hora" in page
    assert f"/api/carrefourintegration/pub/{tenant.slug}/freight" in page

    response = client.post("/t/loja-a/freight/replay", data={"connector": "carrefour", "postal_code": "04538133",
                                                             "items": "1001:2"})
    assert response.status_code == 302
    shown = client.get("/t/loja-a/freight/").get_data(as_text=True)
    assert "A VTEX respondeu com 1 opção: Normal R$" in shown
    assert metrics.total(metrics.hours(tenant.id, "carrefour")).quotes == 1  # the replay is not the marketplace's


def test_an_unreadable_replay_is_refused_and_another_store_sees_nothing(client, db, owner, tenant, vtex_sim):
    _store(tenant, vtex_sim)
    _knobs(vtex_sim, error_rate=1.0)
    client.get(URL, query_string={"postalCode": "04538133", "items": "1001:2"})
    login(client, owner.email)
    client.post("/t/loja-a/freight/replay", data={"connector": "carrefour", "postal_code": "x", "items": "1001:2"})
    assert "não pode ser repetida" in client.get("/t/loja-a/freight/").get_data(as_text=True)
    other = make_tenant(owner, "loja-b")
    save_settings(other, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "k"})
    page = client.get("/t/loja-b/freight/").get_data(as_text=True)
    assert "04538133" not in page and "Nenhuma cotação falhou" in page


def test_the_contingency_table_quotes_every_range_and_band_with_a_sku_of_that_weight(client, db, owner, tenant,
                                                                                     vtex_sim):
    """Against the simulator's known catalog: its carriers charge by weight and serve Expressa only near São
    Paulo, so the table must say that, and a band no SKU weighs is left out and said so."""
    import csv
    import io

    from openpyxl import load_workbook

    from saas.catalog.models import SkuBinding
    from saas.freight import contingency
    from saas.freight.cep_ranges import RANGES
    from saas.freight.models import ContingencyTable
    _store(tenant, vtex_sim)
    save_settings(tenant, "carrefour", active=True, secrets={"shop_key": "k"},
                  settings={**SETTINGS, "sla_expressa": "Expressa"})
    skus = vtex_sim.extensions["store"].all("sku")
    db.session.add_all([SkuBinding(tenant_id=tenant.id, connector_key="carrefour", sku_id=str(s["Id"]),
                                   product_state="listed", offer_state="live", quantity=s["stock"])
                        for s in skus if s["stock"] > 0])
    db.session.commit()
    login(client, owner.email)
    client.post("/t/loja-a/freight/contingency", data={"connector": "carrefour"})
    table = db.session.query(ContingencyTable).one()
    assert table.status == "building" and table.total == len(RANGES) * 4
    assert "Calculando" in client.get("/t/loja-a/freight/").get_data(as_text=True)
    assert contingency.build(table.id) == "done"
    db.session.refresh(table)

    weights = {str(s["Id"]): s["Dimension"]["weight"] / 1000 for s in skus}
    for band, sample in zip(contingency.BANDS_KG, (table.samples.get(str(i)) for i in range(4)), strict=True):
        if sample:
            assert band[0] < weights[sample["sku"]] <= band[1]
    bands_quoted = sum(1 for s in table.samples.values() if s)
    normal = [r for r in table.rows if r["shipping_type"] == "Normal"]
    assert len(normal) == len(RANGES) * bands_quoted  # Normal serves every range
    # The simulator's Expressa serves CEPs starting 0 to 3; its carriers charge more by weight.
    assert {r["state"] for r in table.rows if r["shipping_type"] == "Expressa"} == {"SP", "RJ", "ES", "MG"}
    porto_alegre = sorted((r for r in normal if r["state"] == "RS" and r["area"] == "capital"),
                          key=lambda r: r["kg_max"])
    prices = [r["price_cents"] for r in porto_alegre]
    assert len(prices) == bands_quoted and prices == sorted(set(prices))
    assert table.samples["3"] is None  # nothing of the simulator's catalog weighs over 10 kg

    page = client.get("/t/loja-a/freight/").get_data(as_text=True)
    assert "Baixar CSV" in page
    body = client.get("/t/loja-a/freight/contingency.csv?connector=carrefour").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert lines[0][:4] == ["UF", "Área", "CEP inicial", "CEP final"] and len(lines) == len(table.rows) + 1
    assert lines[1][2] == "01000-000" and "," in lines[1][7]
    sheet = load_workbook(io.BytesIO(client.get("/t/loja-a/freight/contingency.xlsx?connector=carrefour").data)).active
    assert sheet.max_row == len(table.rows) + 1 and isinstance(sheet.cell(2, 8).value, float)
    other = make_tenant(owner, "loja-b")
    save_settings(other, "carrefour", active=True, settings=SETTINGS, secrets={"shop_key": "k"})
    assert client.get("/t/loja-b/freight/contingency.csv?connector=carrefour").status_code == 404
