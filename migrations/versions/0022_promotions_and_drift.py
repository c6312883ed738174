"""VTEX promotions followed per store and marketplace, and the tally of SKUs found different from VTEX by path

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 19:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'promotion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('connector_key', sa.String(length=40), nullable=False),
        sa.Column('vtex_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('begins_at', sa.DateTime(), nullable=True),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('discount', sa.JSON(), nullable=False),
        sa.Column('scope', sa.JSON(), nullable=False),
        sa.Column('modified', sa.String(length=40), nullable=True),
        sa.Column('begin_handled_at', sa.DateTime(), nullable=True),
        sa.Column('end_handled_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'connector_key', 'vtex_id', name='uq_promotion_tenant_connector_vtex'))
    op.create_table(
        'drift_tally',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('connector_key', sa.String(length=40), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=12), nullable=False),
        sa.Column('checked', sa.Integer(), nullable=False),
        sa.Column('found', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'connector_key', 'day', 'path',
                            name='uq_drift_tally_tenant_connector_day_path'))


def downgrade():
    op.drop_table('drift_tally')
    op.drop_table('promotion')
