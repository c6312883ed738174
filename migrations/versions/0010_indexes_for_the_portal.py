"""indexes for the portal's pages at scale (Catálogo's filters and order, the Bridge's and Orders' newest first) and
for the Bridge's retention

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 19:20:00

"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_bridge_entry_created_at', 'bridge_entry', ['created_at']),
    ('ix_bridge_entry_tenant_entity_newest', 'bridge_entry', ['tenant_id', 'entity', 'id']),
    ('ix_bridge_entry_tenant_entity_status_newest', 'bridge_entry', ['tenant_id', 'entity', 'status', 'id']),
    ('ix_bridge_entry_tenant_newest', 'bridge_entry', ['tenant_id', 'created_at', 'id']),
    ('ix_sku_binding_tenant_connector_offer_state', 'sku_binding', ['tenant_id', 'connector_key', 'offer_state']),
    ('ix_sku_binding_tenant_connector_updated', 'sku_binding', ['tenant_id', 'connector_key', 'updated_at']),
    ('ix_sku_binding_tenant_connector_ean', 'sku_binding', ['tenant_id', 'connector_key', 'ean']),
    ('ix_marketplace_order_tenant_newest', 'marketplace_order', ['tenant_id', 'id']),
    ('ix_marketplace_order_tenant_created', 'marketplace_order', ['tenant_id', 'created_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == 'postgresql':  # the Catálogo's search by part of a name
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_sku_binding_title_trgm', 'sku_binding', ['title'], unique=False,
                        postgresql_using='gin', postgresql_ops={'title': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_sku_binding_title_trgm', table_name='sku_binding')
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
