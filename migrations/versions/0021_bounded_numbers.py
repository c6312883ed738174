"""Numbers stored before the forms bounded them are brought within their bounds: a rule's minimum price of 10^311
cents broke the rules page for good

Each number of a store's marketplace settings and of its price rules that is not a finite number within what the
forms now accept is set to the nearest bound (a value that is not a number at all: the step is dropped, the setting
gets its default). The bounds are written out here, as they were when this revision was written.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:30:00

"""
import math

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

SETTINGS = {"divergence": (0, 100, 0), "min_stock": (0, 10**7, 0), "price_drop_guard": (1, 100, 30),
            "safety_cap": (0, 1000, 5)}  # (low, high, default)
RULES = {"markup_pct": (-90, 1000), "fixed_cents": (-10**7, 10**7), "ending_cents": (0, 99),
         "min_cents": (0, 10**9), "max_cents": (0, 10**9), "stock_share_pct": (0, 100), "stock_max": (0, 10**7)}
connector_settings = sa.table('connector_settings', sa.column('id', sa.Integer), sa.column('settings', sa.JSON))


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace(',', '.'))
        except ValueError:
            return None
    return value if not isinstance(value, float) or math.isfinite(value) else None


def _bounded(value, low, high):
    number = _number(value)
    return None if number is None else min(max(number, low), high)


def repaired(settings: dict) -> dict:
    settings = dict(settings)
    for name, (low, high, default) in SETTINGS.items():
        if name in settings and settings[name] is not None:
            value = _bounded(settings[name], low, high)
            settings[name] = default if value is None else value
    if isinstance(settings.get('price_rules'), list):
        rules = []
        for rule in settings['price_rules']:
            if not isinstance(rule, dict):
                continue
            rule = dict(rule)
            for name, (low, high) in RULES.items():
                if rule.get(name) is not None:
                    value = _bounded(rule[name], low, high)
                    rule[name] = int(value) if value is not None and name.endswith(('_cents', '_max')) else value
            rules.append(rule)
        settings['price_rules'] = rules
    return settings


def upgrade():
    connection = op.get_bind()
    for row_id, settings in connection.execute(sa.select(connector_settings.c.id, connector_settings.c.settings)):
        if isinstance(settings, dict):
            fixed = repaired(settings)
            if fixed != settings:
                connection.execute(connector_settings.update().where(connector_settings.c.id == row_id)
                                   .values(settings=fixed))


def downgrade():
    pass  # the values out of bounds are not brought back
