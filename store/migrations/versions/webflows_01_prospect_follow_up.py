"""prospect follow-up: notes and dated tasks, seen employer answers, staff phone

Revision ID: webflows_01
Revises: speed_01
Create Date: 2026-12-07 04:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "webflows_01"
down_revision = "speed_01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prospect_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"],
                                name=op.f("fk_prospect_note_candidate_id_candidate"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospect_note")),
    )
    with op.batch_alter_table("prospect_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prospect_note_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index("ix_prospect_note_due", ["kind", "done_at", "due_on"], unique=False)
    with op.batch_alter_table("shortlist_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("phone")
    with op.batch_alter_table("shortlist_entry", schema=None) as batch_op:
        batch_op.drop_column("answer_seen_at")
    with op.batch_alter_table("prospect_note", schema=None) as batch_op:
        batch_op.drop_index("ix_prospect_note_due")
        batch_op.drop_index(batch_op.f("ix_prospect_note_candidate_id"))
    op.drop_table("prospect_note")
