"""messages in the reader's language: stored messages keep their parameters beside their English source, and each
user may choose the portal's language

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 18:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MESSAGE_COLUMNS = (('bridge_entry', 'message_params'), ('marketplace_order', 'message_params'),
                   ('order_attempt', 'message_params'), ('sku_binding', 'last_error_params'))


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))
    for table, column in MESSAGE_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    for table, column in reversed(MESSAGE_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')
