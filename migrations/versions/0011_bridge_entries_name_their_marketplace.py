"""Bridge entries name their marketplace: ``connector_key`` on each entry (None for the store's own, VTEX's order
hook), filled for existing entries from their order, the integration they name, or the store's one marketplace

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

FROM_ORDER = """
UPDATE bridge_entry SET connector_key = (
    SELECT MIN(o.connector_key) FROM marketplace_order o
    WHERE o.tenant_id = bridge_entry.tenant_id AND o.marketplace_order_id = bridge_entry.entity_id)
WHERE entity IN ('order', 'tracking')"""
FROM_INTEGRATION = """
UPDATE bridge_entry SET connector_key = entity_id
WHERE entity = 'integration' AND EXISTS (
    SELECT 1 FROM connector_settings s WHERE s.tenant_id = bridge_entry.tenant_id AND s.connector_key = entity_id)"""
FROM_THE_ONLY_ONE = """
UPDATE bridge_entry SET connector_key = (
    SELECT MIN(s.connector_key) FROM connector_settings s WHERE s.tenant_id = bridge_entry.tenant_id)
WHERE connector_key IS NULL AND NOT (entity = 'integration' AND entity_id = 'hook') AND (
    SELECT COUNT(*) FROM connector_settings s WHERE s.tenant_id = bridge_entry.tenant_id) = 1"""


def upgrade():
    with op.batch_alter_table('bridge_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('connector_key', sa.String(length=40), nullable=True))
    for statement in (FROM_ORDER, FROM_INTEGRATION, FROM_THE_ONLY_ONE):
        op.execute(statement)
    op.create_index('ix_bridge_entry_tenant_connector_entity_newest', 'bridge_entry',
                    ['tenant_id', 'connector_key', 'entity', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_bridge_entry_tenant_connector_entity_newest', table_name='bridge_entry')
    with op.batch_alter_table('bridge_entry', schema=None) as batch_op:
        batch_op.drop_column('connector_key')
