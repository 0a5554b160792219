"""Console accounts get a role (host, editor, admin, regional admin) instead of an admin flag.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hosts") as batch:  # SQLite cannot drop a column in place
        batch.add_column(sa.Column("role", sa.String(20), nullable=False, server_default="host"))
    op.execute("UPDATE hosts SET role = 'admin' WHERE is_admin")
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("is_admin")


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE hosts SET is_admin = (role = 'admin')")
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("role")
