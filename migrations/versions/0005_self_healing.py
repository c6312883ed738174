"""self-healing: platform administrators, and when each piece of pending work is due (for the recovery sweep)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('marketplace_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_marketplace_order_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('order_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_order_event_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_import_batch_status_next_check', ['status', 'next_check_at'], unique=False)
    # Work already waiting is due now: the first sweep after the upgrade looks at it once.
    op.execute("UPDATE marketplace_order SET next_attempt_at = updated_at WHERE status = 'importing'")
    op.execute("UPDATE order_event SET next_attempt_at = created_at WHERE status IN ('pending', 'waiting')")
    op.execute("UPDATE import_batch SET next_check_at = COALESCE(checked_at, created_at) WHERE status = 'sent'")


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batch_status_next_check')
        batch_op.drop_column('next_check_at')
    with op.batch_alter_table('order_event', schema=None) as batch_op:
        batch_op.drop_index('ix_order_event_status_next_attempt')
        batch_op.drop_column('next_attempt_at')
    with op.batch_alter_table('marketplace_order', schema=None) as batch_op:
        batch_op.drop_index('ix_marketplace_order_status_next_attempt')
        batch_op.drop_column('next_attempt_at')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('is_admin')
