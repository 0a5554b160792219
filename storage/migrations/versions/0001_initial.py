"""The schema as the product first shipped it (conversations, messages, handoffs, hosts, sessions).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _stamps(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.DateTime(timezone=True), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("user_ref", sa.String(200), nullable=False),
        sa.Column("municipality", sa.String(64)),
        sa.Column("language", sa.String(8)),
        *_stamps("created_at", "updated_at"),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("author", sa.String(20), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("data", sa.JSON),
        sa.Column("external_id", sa.String(200)),
        sa.Column("status", sa.String(20), nullable=False),
        *_stamps("created_at"),
        sa.UniqueConstraint("conversation_id", "external_id", name="uq_message_external_id"),
    )
    op.create_index("ix_messages_conversation", "messages", ["conversation_id", "id"])
    op.create_table(
        "button_payloads",
        sa.Column("token", sa.String(40), primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        *_stamps("created_at"),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("municipality", sa.String(64), nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("step", sa.String(12)),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("contact_method", sa.String(8)),
        sa.Column("contact_value", sa.String(200)),
        sa.Column("need", sa.Text),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("host_id", sa.Integer),
        *_stamps("created_at"),
        sa.Column("queued_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
        sa.Column("first_name", sa.String(80), nullable=False),
        sa.Column("municipality", sa.String(64)),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        *_stamps("created_at"),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "host_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("host_id", sa.Integer, nullable=False, index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("host_sessions", "login_failures", "hosts", "handoffs", "button_payloads", "messages",
                  "conversations"):
        op.drop_table(table)
