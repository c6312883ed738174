"""readiness: why a SKU is not ready for its marketplace (every reason, as messages with their values)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('readiness', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        batch_op.drop_column('readiness')
