"""marketplace accounts: the marketplace shop a store's connector is connected to, one store per shop

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('connector_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_connector_settings_key_account', ['connector_key', 'account_id'])


def downgrade():
    with op.batch_alter_table('connector_settings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_connector_settings_key_account', type_='unique')
        batch_op.drop_column('account_id')
