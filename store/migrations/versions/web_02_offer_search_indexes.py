"""offer search indexes: covering indexes for text and radius searches

Revision ID: web_02
Revises: network_01
Create Date: 2026-11-25 01:35:00
"""

from __future__ import annotations

from alembic import op


revision = 'web_02'
down_revision = 'network_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index('ix_offer_geo', ['lat', 'lon', 'status', 'published', 'expires_at'], unique=False)
        batch_op.create_index('ix_offer_search', ['status', 'published', 'expires_at', 'title', 'employer_name', 'commune_name', 'rome_label'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_search')
        batch_op.drop_index('ix_offer_geo')
