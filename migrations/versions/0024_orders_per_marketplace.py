"""An order is one marketplace's: unique on (store, marketplace, order number), so two marketplaces of one store that
number their orders alike no longer overwrite each other

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 04:00:00

"""
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('marketplace_order') as batch_op:
        batch_op.drop_constraint('uq_marketplace_order_tenant_mkt_id', type_='unique')
        batch_op.create_unique_constraint('uq_marketplace_order_tenant_connector_mkt_id',
                                          ['tenant_id', 'connector_key', 'marketplace_order_id'])


def downgrade():
    with op.batch_alter_table('marketplace_order') as batch_op:
        batch_op.drop_constraint('uq_marketplace_order_tenant_connector_mkt_id', type_='unique')
        batch_op.create_unique_constraint('uq_marketplace_order_tenant_mkt_id', ['tenant_id', 'marketplace_order_id'])
