"""managed sources: partner sources added by staff from the web app

Revision ID: sources_01
Revises: welcome_01
Create Date: 2026-12-07 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sources_01"
down_revision = "dedup_02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "managed_source",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("declaration", sa.JSON(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("sample_name", sa.String(length=300), nullable=True),
        sa.Column("sample_path", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managed_source")),
    )


def downgrade() -> None:
    op.drop_table("managed_source")
