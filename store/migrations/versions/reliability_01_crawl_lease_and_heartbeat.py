"""crawl lease and run heartbeat: one crawl of a source at a time, dead runs noticed

Revision ID: reliability_01
Revises: webflows_01
Create Date: 2026-12-07 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'reliability_01'
down_revision = 'webflows_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'crawl_lease',
        sa.Column('source_id', sa.String(length=80), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('holder', sa.String(length=300), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('source_id', name=op.f('pk_crawl_lease')),
    )
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
    op.drop_table('crawl_lease')
