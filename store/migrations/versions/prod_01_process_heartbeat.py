"""process heartbeat: the scheduler's sign of life, read by /readyz

Revision ID: prod_01
Revises: web_02
Create Date: 2026-12-07 04:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'prod_01'
down_revision = 'web_02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'process_heartbeat',
        sa.Column('id', sa.String(length=240), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_process_heartbeat')),
    )
    with op.batch_alter_table('process_heartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_heartbeat_kind'), ['kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_heartbeat_kind'))
    op.drop_table('process_heartbeat')
