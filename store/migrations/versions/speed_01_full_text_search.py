"""full-text search of offers and prospects: FTS5 on SQLite, tsvector + unaccent on PostgreSQL

Revision ID: speed_01
Revises: prod_01
Create Date: 2026-12-07 04:40:00
"""

from __future__ import annotations

from alembic import op

from store.search import create_search, drop_search

revision = 'speed_01'
down_revision = 'prod_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The objects are made by store.search (shared with its queries): see that module for what and why.
    create_search(op.get_bind().dialect.name, op.execute)


def downgrade() -> None:
    drop_search(op.get_bind().dialect.name, op.execute)
