"""Hosts say which languages they speak and keep a meeting link; a claimed handoff remembers whether its
host spoke the person's language (offered first to such hosts, counted in the analytics).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # All nullable: existing hosts speak no declared language yet, and handoffs claimed before this
    # revision are unknown rather than "no match" (the analytics leave them out).
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("languages", sa.JSON))
        batch.add_column(sa.Column("meeting_link", sa.String(500)))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("language_match", sa.Boolean))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:  # SQLite cannot drop a column in place
        batch.drop_column("language_match")
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("meeting_link")
        batch.drop_column("languages")
