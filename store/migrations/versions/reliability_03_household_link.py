"""household link: prospects sharing a phone proposed to staff as a household, never merged

Revision ID: reliability_03
Revises: reliability_02
Create Date: 2026-12-07 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'reliability_03'
down_revision = 'reliability_02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'household_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_a_id', sa.Integer(), nullable=False),
        sa.Column('candidate_b_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(['candidate_a_id'], ['candidate.id'],
                                name=op.f('fk_household_link_candidate_a_id_candidate'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['candidate_b_id'], ['candidate.id'],
                                name=op.f('fk_household_link_candidate_b_id_candidate'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_household_link')),
        sa.UniqueConstraint('candidate_a_id', 'candidate_b_id', name='uq_household_link_pair'),
    )
    with op.batch_alter_table('household_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_link_candidate_a_id'), ['candidate_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_link_candidate_b_id'), ['candidate_b_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_link_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('household_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_link_status'))
        batch_op.drop_index(batch_op.f('ix_household_link_candidate_b_id'))
        batch_op.drop_index(batch_op.f('ix_household_link_candidate_a_id'))
    op.drop_table('household_link')
