"""the daily reconciliation of each store's offers and recent orders with the marketplace

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reconciliation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('connector_key', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('handle', sa.String(length=80), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('next_check_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_reconciliation_tenant_connector_started', 'reconciliation',
                    ['tenant_id', 'connector_key', 'started_at'])


def downgrade():
    op.drop_index('ix_reconciliation_tenant_connector_started', table_name='reconciliation')
    op.drop_table('reconciliation')
