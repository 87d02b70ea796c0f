"""web session notice: staff told of failed logins on their account since their previous sign-in

Revision ID: reliability_02
Revises: reliability_01
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'reliability_02'
down_revision = 'reliability_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('notice')
