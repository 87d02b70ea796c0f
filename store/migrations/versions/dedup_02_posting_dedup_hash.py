"""posting.dedup_hash: the content the deduplication last decided a posting's offer on

Revision ID: dedup_02
Revises: welcome_01
Create Date: 2026-12-07 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'dedup_02'
down_revision = 'welcome_01'
branch_labels = None
depends_on = None

_STALE = "offer_id IS NOT NULL AND content_hash IS NOT NULL AND (dedup_hash IS NULL OR dedup_hash <> content_hash)"


def upgrade() -> None:
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedup_hash', sa.String(length=64), nullable=True))
    # Postings already in an offer were decided on their current content.
    op.execute("UPDATE posting SET dedup_hash = content_hash WHERE offer_id IS NOT NULL")
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.create_index(
            'ix_posting_dedup_stale', ['id'], unique=False,
            sqlite_where=sa.text(_STALE), postgresql_where=sa.text(_STALE),
        )


def downgrade() -> None:
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.drop_index('ix_posting_dedup_stale')
        batch_op.drop_column('dedup_hash')
