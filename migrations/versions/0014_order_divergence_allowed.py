"""a price divergence the merchant accepts for one order only

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('marketplace_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('divergence_allowed', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('marketplace_order', schema=None) as batch_op:
        batch_op.drop_column('divergence_allowed')
