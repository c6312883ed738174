"""state per (tenant, connector): each marketplace of a store has its own pending changes, SKU bindings, import
batches and schedules

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Every row so far is Carrefour's, the only connector there was.
EXISTING = sa.text("'carrefour'")


def _connector_column():
    return sa.Column('connector_key', sa.String(length=40), server_default=EXISTING, nullable=False)


def upgrade():
    with op.batch_alter_table('sku_change', schema=None) as batch_op:
        batch_op.add_column(_connector_column())
        batch_op.drop_constraint('uq_sku_change_tenant_sku', type_='unique')
        batch_op.create_unique_constraint('uq_sku_change_tenant_connector_sku',
                                          ['tenant_id', 'connector_key', 'sku_id'])
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        batch_op.add_column(_connector_column())
        batch_op.drop_constraint('uq_sku_binding_tenant_sku', type_='unique')
        batch_op.drop_index('ix_sku_binding_tenant_product_state')
        batch_op.create_unique_constraint('uq_sku_binding_tenant_connector_sku',
                                          ['tenant_id', 'connector_key', 'sku_id'])
        batch_op.create_index('ix_sku_binding_tenant_connector_product_state',
                              ['tenant_id', 'connector_key', 'product_state'], unique=False)
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(_connector_column())
        batch_op.drop_index('ix_import_batch_tenant_kind_time')
        batch_op.create_index('ix_import_batch_tenant_connector_kind_time',
                              ['tenant_id', 'connector_key', 'kind', 'created_at'], unique=False)
    with op.batch_alter_table('job_schedule', schema=None) as batch_op:
        batch_op.add_column(_connector_column())
        batch_op.drop_constraint('uq_job_schedule_tenant_kind', type_='unique')
        batch_op.create_unique_constraint('uq_job_schedule_tenant_connector_kind',
                                          ['tenant_id', 'connector_key', 'kind'])
    # New rows always name their connector: the default served the existing rows only.
    for table in ('sku_change', 'sku_binding', 'import_batch', 'job_schedule'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('connector_key', existing_type=sa.String(length=40), server_default=None)


def downgrade():
    with op.batch_alter_table('job_schedule', schema=None) as batch_op:
        batch_op.drop_constraint('uq_job_schedule_tenant_connector_kind', type_='unique')
        batch_op.create_unique_constraint('uq_job_schedule_tenant_kind', ['tenant_id', 'kind'])
        batch_op.drop_column('connector_key')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batch_tenant_connector_kind_time')
        batch_op.create_index('ix_import_batch_tenant_kind_time', ['tenant_id', 'kind', 'created_at'], unique=False)
        batch_op.drop_column('connector_key')
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        batch_op.drop_index('ix_sku_binding_tenant_connector_product_state')
        batch_op.drop_constraint('uq_sku_binding_tenant_connector_sku', type_='unique')
        batch_op.create_index('ix_sku_binding_tenant_product_state', ['tenant_id', 'product_state'], unique=False)
        batch_op.create_unique_constraint('uq_sku_binding_tenant_sku', ['tenant_id', 'sku_id'])
        batch_op.drop_column('connector_key')
    with op.batch_alter_table('sku_change', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sku_change_tenant_connector_sku', type_='unique')
        batch_op.create_unique_constraint('uq_sku_change_tenant_sku', ['tenant_id', 'sku_id'])
        batch_op.drop_column('connector_key')
