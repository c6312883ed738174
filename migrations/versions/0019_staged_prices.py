"""Price and stock staged with the contexts, so the run that sends a big product file simulates nothing

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staged_product') as batch_op:
        batch_op.add_column(sa.Column('priced', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('price_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('list_price_cents', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('staged_product') as batch_op:
        batch_op.drop_column('list_price_cents')
        batch_op.drop_column('quantity')
        batch_op.drop_column('price_cents')
        batch_op.drop_column('priced')
