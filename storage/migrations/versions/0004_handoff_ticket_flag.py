"""Handoffs remember whether they were submitted as a ticket, for the analytics' "tickets answered in time".

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("ticket", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE handoffs SET ticket = (status = 'ticket')")  # the only ones known to be tickets


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("ticket")
