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
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], diff
        db.engine.dispose()
