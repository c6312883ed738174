"""price and stock rules: what each SKU's rules need (brand, category) and what they made (VTEX's price, the rule,
a price the drop guard holds and the one the merchant approved)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = (('brand', sa.String(length=120)), ('category_id', sa.String(length=40)),
           ('vtex_price_cents', sa.Integer()), ('price_rule', sa.JSON()), ('held_price_cents', sa.Integer()),
           ('held_reason', sa.String(length=10)), ('approved_price_cents', sa.Integer()))


def upgrade():
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_index('ix_sku_binding_tenant_connector_held', 'sku_binding',
                    ['tenant_id', 'connector_key', 'held_price_cents'], unique=False)


def downgrade():
    op.drop_index('ix_sku_binding_tenant_connector_held', table_name='sku_binding')
    with op.batch_alter_table('sku_binding', schema=None) as batch_op:
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
