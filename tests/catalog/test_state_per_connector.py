"""A store's marketplaces keep their state apart: each active one gets its own copy of every SKU change, its own
bindings, import batches and schedules, and consuming one's changes leaves the other's."""
from saas.catalog import changes
from saas.catalog.models import SkuBinding, SkuChange
from saas.jobs import schedule
from saas.jobs.models import JobSchedule
from saas.tenants.models import ConnectorSettings
from saas.tenants.scoping import scoped


def add_marketplace(db, tenant, key, active=True):
    db.session.add(ConnectorSettings(tenant_id=tenant.id, connector_key=key, active=active, settings={},
                                     secrets={}))
    db.session.commit()


def test_each_active_marketplace_gets_every_change_and_consumes_only_its_own(client, db, active_tenant):
    add_marketplace(db, active_tenant, "outro")
    add_marketplace(db, active_tenant, "desligado", active=False)
    client.post(f"/api/vtex/loja-a/{active_tenant.webhook_secret}/notification", json={"IdSku": "1001",
                                                                                        "PriceModified": True})
    rows = db.session.query(SkuChange).order_by(SkuChange.connector_key).all()
    assert [(r.connector_key, r.sku_id, r.price_modified) for r in rows] == [("carrefour", "1001", True),
                                                                             ("outro", "1001", True)]
    taken = changes.pending(active_tenant.id, "carrefour", 100)
    changes.consume(active_tenant.id, "carrefour", [(c.id, c.version) for c in taken])
    assert [r.connector_key for r in db.session.query(SkuChange).all()] == ["outro"]
    assert [c.sku_id for c in changes.pending(active_tenant.id, "outro", 100)] == ["1001"]


def test_one_sku_has_a_binding_per_marketplace(db, active_tenant):
    for key, state in (("carrefour", "listed"), ("outro", "none")):
        db.session.add(SkuBinding(tenant_id=active_tenant.id, connector_key=key, sku_id="1001", product_state=state))
    db.session.commit()
    assert [b.product_state for b in scoped(SkuBinding, active_tenant, "carrefour")] == ["listed"]
    assert [b.product_state for b in scoped(SkuBinding, active_tenant, "outro")] == ["none"]


def test_the_tick_fans_out_over_each_active_marketplace_of_a_store(db, active_tenant):
    add_marketplace(db, active_tenant, "outro")
    add_marketplace(db, active_tenant, "desligado", active=False)
    enqueued = schedule.tick("sync")
    assert sorted(job.rsplit("-", 1)[0] for job in enqueued) == [f"sync-{active_tenant.id}-carrefour",
                                                                  f"sync-{active_tenant.id}-outro"]
    assert sorted(s.connector_key for s in db.session.query(JobSchedule).filter_by(kind="sync")) == [
        "carrefour", "outro"]
    schedule.run_soon("sync", active_tenant.id, "outro")  # one marketplace made due again, not the other
    assert [job.rsplit("-", 1)[0] for job in schedule.tick("sync")] == [f"sync-{active_tenant.id}-outro"]
