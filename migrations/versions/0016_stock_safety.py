"""stock safety: the delay from a change to its offer accepted, what each SKU's offer held back, and the orders
that came when it covered the store

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 19:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety', sa.JSON(), nullable=True))
    with op.batch_alter_table('marketplace_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety_covered', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('marketplace_order', schema=None) as batch_op:
        batch_op.drop_column('safety_covered')
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        batch_op.drop_column('safety')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
