"""form event: public forms rate-limited, spam refusals counted for staff

Revision ID: reliability_04
Revises: reliability_03
Create Date: 2026-12-07 05:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'reliability_04'
down_revision = 'reliability_03'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'form_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form', sa.String(length=40), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.Column('email_hash', sa.String(length=64), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refused', sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_event')),
    )
    with op.batch_alter_table('form_event', schema=None) as batch_op:
        batch_op.create_index('ix_form_event_form_at', ['form', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_event_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_event_ip'), ['ip'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('form_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_event_ip'))
        batch_op.drop_index(batch_op.f('ix_form_event_email_hash'))
        batch_op.drop_index(batch_op.f('ix_form_event_at'))
        batch_op.drop_index('ix_form_event_form_at')
    op.drop_table('form_event')
