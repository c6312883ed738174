"""What the Catálogo's and the Orders tab's searches look in: each SKU's name, brand, EAN and SKU, and each order's
numbers, customer, CPF/CNPJ and SKUs, folded (lower case, no accents), with trigram indexes on PostgreSQL

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 01:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

from saas.text import search_text

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None
CHUNK = 2000


def upgrade():
    for table in ('sku_binding', 'marketplace_order'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('search_text', sa.String(length=600), server_default='', nullable=False))
    connection = op.get_bind()
    _backfill(connection, 'sku_binding', 'id, title, brand, ean, sku_id', lambda row: search_text(*row[1:]))
    _backfill(connection, 'marketplace_order', 'id, marketplace_order_id, raw', _order_text)
    if connection.dialect.name == 'postgresql':
        op.drop_index('ix_sku_binding_title_trgm', table_name='sku_binding')
        op.create_index('ix_sku_binding_search_trgm', 'sku_binding', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        op.create_index('ix_marketplace_order_search_trgm', 'marketplace_order', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        op.create_index('ix_marketplace_order_vtex_trgm', 'marketplace_order', ['vtex_order_id'], unique=False,
                        postgresql_using='gin', postgresql_ops={'vtex_order_id': 'gin_trgm_ops'})


def _backfill(connection, table, columns, text_of):
    last = 0
    while True:
        rows = connection.execute(sa.text(f'SELECT {columns} FROM {table} WHERE id > :last ORDER BY id LIMIT {CHUNK}'),
                                  {'last': last}).all()
        if not rows:
            return
        connection.execute(sa.text(f'UPDATE {table} SET search_text = :text WHERE id = :id'),
                           [{'id': row[0], 'text': text_of(row)} for row in rows])
        last = rows[-1][0]


def _order_text(row) -> str:
    """As the poll writes it from then on; an order whose payload is not Mirakl's is found by its number."""
    from saas.connectors.mirakl.mapping import order_from_mirakl
    raw = row[2] if isinstance(row[2], dict) else json.loads(row[2] or '{}')
    try:
        data = order_from_mirakl(raw)
    except (KeyError, TypeError, ValueError):
        return search_text(row[1])
    return search_text(row[1], data.first_name, data.last_name, data.document, *(line.sku_id for line in data.lines))


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == 'postgresql':
        op.drop_index('ix_marketplace_order_vtex_trgm', table_name='marketplace_order')
        op.drop_index('ix_marketplace_order_search_trgm', table_name='marketplace_order')
        op.drop_index('ix_sku_binding_search_trgm', table_name='sku_binding')
        op.create_index('ix_sku_binding_title_trgm', 'sku_binding', ['title'], unique=False,
                        postgresql_using='gin', postgresql_ops={'title': 'gin_trgm_ops'})
    for table in ('marketplace_order', 'sku_binding'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('search_text')
