"""The Alembic migrations build the whole schema from an empty database, and agree with the models."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from saas import create_app
from saas.extensions import db
from tests.conftest import scratch_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgresql"):
        pytest.skip("DATABASE_URL is not PostgreSQL (the SQLite run covers the embedded default)")
    with scratch_database(server, "saas_migrations") as url:
        yield url


def test_upgrade_builds_the_schema_and_autogenerate_finds_nothing(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"tenant", "user", "membership", "connector_settings", "settings_audit", "bridge_entry",
                "job_schedule", "outbox_message", "invitation", "alembic_version"} <= tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_object": _built_on(conn.dialect.name)})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        db.engine.dispose()


def _built_on(dialect: str):
    """What the models build on this database: not an index declared for another one (``ddl_if``)."""
    def include(obj, _name, _type, _reflected, _compare_to):
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)
    return include


def test_upgrading_a_database_with_data_gives_its_state_to_carrefour(tmp_path):
    """Before 0008 every change, binding, batch and schedule was Carrefour's, the only connector there was."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "TESTING": True})
    with app.app_context():
        upgrade_to(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, slug, name, vtex_account, secrets, created_at) "
                              "VALUES (1, 'loja-a', 'Loja A', 'lojaa', '', '2026-11-27')"))
            conn.execute(text("INSERT INTO sku_change (tenant_id, sku_id, catalog_modified, price_modified, "
                              "stock_modified, is_active, removed_from_affiliate, version, received_at) "
                              "VALUES (1, '1001', 0, 1, 0, 1, 0, 1, '2026-11-27')"))
            conn.execute(text("INSERT INTO sku_binding (tenant_id, sku_id, product_state, offer_state, updated_at) "
                              "VALUES (1, '1001', 'listed', 'live', '2026-11-27')"))
            conn.execute(text("INSERT INTO import_batch (tenant_id, kind, import_id, status, sku_ids, summary, "
                              "checks, created_at) VALUES (1, 'offer', '7', 'sent', '[]', '{}', 0, '2026-11-27')"))
            conn.execute(text("INSERT INTO job_schedule (tenant_id, kind, next_run_at) "
                              "VALUES (1, 'sync', '2026-11-27')"))
        upgrade()
        with db.engine.begin() as conn:
            for table in ("sku_change", "sku_binding", "import_batch", "job_schedule"):
                assert conn.execute(text(f"SELECT connector_key FROM {table}")).scalars().all() == ["carrefour"]
            conn.execute(text("INSERT INTO sku_binding (tenant_id, connector_key, sku_id, product_state, "
                              "offer_state, updated_at) VALUES (1, 'outro', '1001', 'none', 'none', '2026-11-27')"))
        db.engine.dispose()


def test_upgrading_gives_each_bridge_entry_its_marketplace(tmp_path):
    """0011: an entry names the marketplace of its order, of the integration it names, or the store's only one;
    VTEX's hook is the store's own, and a store with two marketplaces keeps its catalog entries unattributed."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "TESTING": True})
    with app.app_context():
        upgrade_to(revision="0010")
        with db.engine.begin() as conn:
            for tenant in (1, 2):
                conn.execute(text(f"INSERT INTO tenant (id, slug, name, vtex_account, secrets, created_at) "
                                  f"VALUES ({tenant}, 'loja-{tenant}', 'Loja', 'loja', '', '2026-11-27')"))
            for tenant, key in ((1, "carrefour"), (2, "carrefour"), (2, "outro")):
                conn.execute(text(f"INSERT INTO connector_settings (tenant_id, connector_key, active, settings, "
                                  f"secrets, updated_at) VALUES ({tenant}, '{key}', 1, '{{}}', '', '2026-11-27')"))
            conn.execute(text("INSERT INTO marketplace_order (tenant_id, connector_key, marketplace_order_id, "
                              "marketplace_state, marketplace_updated_at, status, total_cents, raw, history, series, "
                              "mailed_causes, created_at, updated_at) VALUES (2, 'outro', 'M-1', 'SHIPPING', "
                              "'2026-11-27', 'new', 0, '{}', '[]', 1, '[]', '2026-11-27', '2026-11-27')"))
            entries = ((1, "product", "1001"), (1, "integration", "hook"), (1, "integration", "sync"),
                       (2, "product", "1001"), (2, "order", "M-1"), (2, "integration", "carrefour"))
            for tenant, entity, entity_id in entries:
                conn.execute(text(f"INSERT INTO bridge_entry (tenant_id, entity, entity_id, status, message, "
                                  f"details, created_at) VALUES ({tenant}, '{entity}', '{entity_id}', 'success', "
                                  f"'', '{{}}', '2026-11-27')"))
        upgrade()
        with db.engine.begin() as conn:
            found = conn.execute(text("SELECT connector_key FROM bridge_entry ORDER BY id")).scalars().all()
        assert found == ["carrefour", None, "carrefour", None, "outro", "carrefour"]
        db.engine.dispose()


def test_upgrading_brings_stored_numbers_within_their_bounds(tmp_path):
    """0021: a rule's minimum price of 1e309 reais (10^311 cents, accepted before the forms bounded numbers) broke
    the rules page for good; it becomes the highest price a form takes, and the other numbers their nearest bound."""
    import json

    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "TESTING": True})
    stored = {"divergence": 1e9, "min_stock": -5, "price_drop_guard": "abc", "trade_policy": "1",
              "price_rules": [{"target": "all", "value": "", "min_cents": 10**311, "markup_pct": 16},
                              {"target": "brand", "value": "Acme", "stock_max": 10**40, "fixed_cents": 250}]}
    with app.app_context():
        upgrade_to(revision="0020")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, slug, name, vtex_account, secrets, created_at) "
                              "VALUES (1, 'loja-a', 'Loja A', 'lojaa', '', '2026-11-27')"))
            conn.execute(text("INSERT INTO connector_settings (tenant_id, connector_key, active, settings, secrets, "
                              "updated_at) VALUES (1, 'carrefour', 1, :settings, '', '2026-11-27')"),
                         {"settings": json.dumps(stored)})
        upgrade()
        with db.engine.begin() as conn:
            settings = json.loads(conn.execute(text("SELECT settings FROM connector_settings")).scalar())
        assert settings["divergence"] == 100 and settings["min_stock"] == 0 and settings["price_drop_guard"] == 30
        assert settings["trade_policy"] == "1"
        first, second = settings["price_rules"]
        assert first == {"target": "all", "value": "", "min_cents": 10**9, "markup_pct": 16}
        assert second == {"target": "brand", "value": "Acme", "stock_max": 10**7, "fixed_cents": 250}
        db.engine.dispose()


def test_upgrading_makes_existing_skus_and_orders_searchable(tmp_path):
    """0023: SKUs and orders stored before the search text existed are found by every word, accents aside."""
    import json

    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "TESTING": True})
    raw = {"order_id": "CRF000007-A", "customer": {"firstname": "Antônio", "lastname": "Conceição"},
           "order_additional_fields": [{"code": "cpf", "value": "625.035.967-97"}],
           "order_lines": [{"order_line_id": "1", "offer_sku": "1001", "quantity": 1, "price_unit": 10}]}
    with app.app_context():
        upgrade_to(revision="0022")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, slug, name, vtex_account, secrets, created_at) "
                              "VALUES (1, 'loja-a', 'Loja A', 'lojaa', '', '2026-11-27')"))
            conn.execute(text("INSERT INTO sku_binding (tenant_id, connector_key, sku_id, ean, title, brand, "
                              "product_state, offer_state, updated_at) VALUES (1, 'carrefour', '1001', "
                              "'7891234567895', 'Camiseta Básica PRETA', 'Malwee', 'listed', 'live', '2026-11-27')"))
            for order_id, payload in (("CRF000007-A", json.dumps(raw)), ("OTHER-1", '{"shape": "not Mirakl"}')):
                conn.execute(text("INSERT INTO marketplace_order (tenant_id, connector_key, marketplace_order_id, "
                                  "marketplace_state, marketplace_updated_at, status, total_cents, raw, history, "
                                  "mailed_causes, series, safety_covered, created_at, updated_at) VALUES (1, "
                                  "'carrefour', :id, 'SHIPPING', '', 'imported', 1000, :raw, '[]', '[]', 0, 0, "
                                  "'2026-11-27', '2026-11-27')"), {"id": order_id, "raw": payload})
        upgrade()
        with db.engine.begin() as conn:
            sku = conn.execute(text("SELECT search_text FROM sku_binding")).scalar()
            orders = conn.execute(text("SELECT search_text FROM marketplace_order ORDER BY id")).scalars().all()
        assert sku == "camiseta basica preta malwee 7891234567895 1001"
        assert orders == ["crf000007-a antonio conceicao 62503596797 1001", "other-1"]
        db.engine.dispose()


def test_upgrading_keys_orders_per_marketplace_and_keeps_them(tmp_path):
    """0024: the orders stored stay; a second marketplace's order of the same number can then be stored beside,
    never a second one of the same marketplace."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "TESTING": True})
    insert = text("INSERT INTO marketplace_order (tenant_id, connector_key, marketplace_order_id, marketplace_state, "
                  "marketplace_updated_at, status, total_cents, raw, history, mailed_causes, series, safety_covered, "
                  "search_text, created_at, updated_at) VALUES (1, :connector, 'A-1', 'SHIPPING', '', 'imported', "
                  "1000, '{}', '[]', '[]', 0, 0, 'a-1', '2026-11-27', '2026-11-27')")
    with app.app_context():
        upgrade_to(revision="0023")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, slug, name, vtex_account, secrets, created_at) "
                              "VALUES (1, 'loja-a', 'Loja A', 'lojaa', '', '2026-11-27')"))
            conn.execute(insert, {"connector": "carrefour"})
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, {"connector": "mirakl"})  # before: one number per store
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(insert, {"connector": "mirakl"})
            kept = conn.execute(text("SELECT connector_key, status FROM marketplace_order ORDER BY id")).all()
        assert [tuple(row) for row in kept] == [("carrefour", "imported"), ("mirakl", "imported")]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, {"connector": "mirakl"})
        db.engine.dispose()
