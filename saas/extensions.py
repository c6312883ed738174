"""Extensions are created here and initialised in ``create_app``, so any module can import them."""
from flask import current_app
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from sqlalchemy import DDL, MetaData, bindparam, event

# Named constraints, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
# create_all (tests, the benchmarks) builds the trigram indexes of the searches as the migrations do: the extension
# first, whichever table comes first.
event.listen(db.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()


def redis_connection() -> Redis:
    """The app's Redis client (jobs, locks, limits, caches, metrics), made on first use in each process."""
    app = current_app._get_current_object()
    if "redis" not in app.extensions:
        app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5,
                                                 socket_connect_timeout=2, health_check_interval=30)
    return app.extensions["redis"]


LOOKUP = 1000  # values in one ``among``


def among(column, values: list):
    """``column IN (…)`` with the values as literals, for lookups of up to ``LOOKUP`` ids in tables that grow or
    empty by a whole catalog within minutes: their statistics are then stale, and PostgreSQL's generic plan for a
    prepared IN of 1,000 parameters compared every row of the store with every id (1.5 s a lookup instead of 30 ms,
    measured in ``staged_product``; 5 s in ``sku_binding`` right after an initial load)."""
    return column.in_(bindparam("among", values, expanding=True, literal_execute=True))
