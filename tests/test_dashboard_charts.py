"""The dashboard's charts: orders per day by state, the p95 from a change to its offer accepted, errors by cause;
each day is Brasília's, and another store's rows never count."""
from datetime import timedelta

from saas.bridge.models import BridgeEntry
from saas.catalog.models import ImportBatch
from saas.orders.models import MarketplaceOrder
from saas.timeutil import start_of_local_day, utcnow
from saas.web import trends
from tests.conftest import login, make_tenant


def _order(db, tenant, number, status, at):
    db.session.add(MarketplaceOrder(tenant_id=tenant.id, connector_key="carrefour", marketplace_order_id=f"O-{number}",
                                    marketplace_state="SHIPPING", marketplace_updated_at="2026-12-01T10:00:00Z",
                                    status=status, raw={}, history=[], created_at=at))


def test_the_charts_count_each_brasilia_day_of_the_store_alone(app, db, owner, tenant):
    other = make_tenant(owner, "loja-b")
    midnight = start_of_local_day()  # 03:00 UTC
    _order(db, tenant, 1, "imported", midnight + timedelta(minutes=30))
    _order(db, tenant, 2, "failed", midnight + timedelta(minutes=40))
    _order(db, tenant, 3, "importing", midnight - timedelta(minutes=30))   # yesterday in Brasília, today in UTC
    _order(db, other, 4, "imported", midnight + timedelta(minutes=30))
    for minutes in (1, 2, 3, 30):
        changed = midnight + timedelta(minutes=5)
        db.session.add(ImportBatch(tenant_id=tenant.id, connector_key="carrefour", kind="offer", import_id="1",
                                   status="complete", created_at=changed, changed_at=changed,
                                   checked_at=changed + timedelta(minutes=minutes)))
    for message in ["The SKU has no name at VTEX."] * 3 + ["Other"]:
        db.session.add(BridgeEntry(tenant_id=tenant.id, entity="product", entity_id="1", status="error",
                                   message=message, message_params={}, details={}, created_at=utcnow()))
    db.session.commit()
    with app.test_request_context():
        from flask import g
        g.tenant = tenant
        orders, freshness, errors = trends.dashboard_charts()
    by_name = {s.name: s.values for s in orders.series}
    assert by_name["integrado"][-1] == 1 and by_name["falhou"][-1] == 1
    assert by_name["a caminho"][-2:] == [1, 0]  # the order of 23:30 in Brasília counts on the day before
    assert sum(sum(v) for v in by_name.values()) == 3  # the other store's order is not there
    assert freshness.series[0].values[-1] == 30  # the p95 of 1, 2, 3 and 30 minutes
    assert [(s.name, s.values[-1]) for s in errors.series] == [("O SKU não tem nome na VTEX.", 3), ("Other", 1)]


def test_the_dashboard_draws_them(client, db, owner, tenant):
    _order(db, tenant, 1, "imported", utcnow())
    db.session.commit()
    login(client, owner.email)
    page = client.get("/t/loja-a/").get_data(as_text=True)
    assert "Pedidos por dia, por estado" in page and page.count("<svg") == 1  # the charts with nothing say so
    assert "Nada neste período." in page


def test_the_scale_steps_by_round_numbers_written_as_in_brazil(app):
    from saas.web import charts
    with app.test_request_context():
        chart = charts.stacked("x", ["a", "b"], [charts.Series("s", [23, 18.5], "blue")])
        assert [t["text"] for t in chart.ticks] == ["0", "5", "10", "15", "20", "25"]  # not 6.25, 12.5, 18.75
        assert chart.formatted == [["23"], ["18,5"]]
        assert [t["text"] for t in charts.stacked("x", ["a"], [charts.Series("s", [1200], "blue")]).ticks] == \
            ["0", "500", "1.000", "1.500", "2.000"]
