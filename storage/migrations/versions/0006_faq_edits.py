"""FAQ entries edited in the console: drafts, and who published what and when.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_edits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("layer", sa.String(64), nullable=False, index=True),
        sa.Column("entry_id", sa.String(200), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_by", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("faq_edits")
