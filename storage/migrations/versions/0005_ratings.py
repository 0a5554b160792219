"""Satisfaction ratings asked at the end of a conversation.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), index=True),
        sa.Column("municipality", sa.String(64)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("topic", sa.String(32)),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("comment", sa.Text),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("rated_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("ratings")
