"""SKU contexts read ahead for a product file too big for one run of the sync

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staged_product',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('connector_key', sa.String(length=40), nullable=False),
        sa.Column('sku_id', sa.String(length=40), nullable=False),
        sa.Column('context', sa.JSON(), nullable=True),
        sa.Column('missing', sa.Text(), nullable=True),
        sa.Column('staged_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'connector_key', 'sku_id', name='uq_staged_product_tenant_connector_sku'))


def downgrade():
    op.drop_table('staged_product')
