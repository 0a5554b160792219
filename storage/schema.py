"""Every table of the product, on one SQLAlchemy ``MetaData``.

SQLite by default, PostgreSQL by configuration: only portable column types. Datetimes are written
in UTC (``base.clock.now``); SQLite returns them without their zone (see ``store.aware``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("user_ref", String(200), nullable=False),
    Column("municipality", String(64)),
    Column("language", String(8)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_inbound_at", DateTime(timezone=True)),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("direction", String(3), nullable=False),  # "in" from the person, "out" to the person
    Column("author", String(20), nullable=False),  # base.messages.Author
    Column("text", Text),
    Column("data", JSON),  # an outgoing message's buttons and metadata (base.messages.BotMessage.to_wire)
    Column("external_id", String(200)),  # the platform's message id, for retried webhooks
    Column("status", String(20), nullable=False),  # base.messages.Delivery
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("conversation_id", "external_id", name="uq_message_external_id"),
    Index("ix_messages_conversation", "conversation_id", "id"),
)

#: Button payloads too long for a platform's button id (Telegram allows 64 bytes) are kept here.
button_payloads = Table(
    "button_payloads",
    metadata,
    Column("token", String(40), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: One row per request for a human host, from intake to resolution (handoff.records).
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("language", String(8), nullable=False),
    Column("status", String(12), nullable=False),  # handoff.records.Status
    Column("step", String(12)),  # handoff.records.Step, during the intake
    Column("reason", String(12), nullable=False),  # base.messages.HandoffReason
    Column("contact_method", String(8)),  # handoff.records.ContactMethod
    Column("contact_value", String(200)),
    Column("need", Text),
    Column("consent", Boolean, nullable=False, default=False),
    Column("host_id", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("queued_at", DateTime(timezone=True)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("note", Text),
    # Submitted when no host could answer at once: the person was promised contact later (insight.figures).
    Column("ticket", Boolean, nullable=False, default=False),
    # None until a host claims it; then whether that host speaks the person's language (handoff.desk).
    Column("language_match", Boolean),
)

#: Satisfaction asked at the end of a conversation (insight.satisfaction). Not bound to the
#: conversation's life: when the conversation is deleted the rating loses its link and comment
#: and keeps only what the analytics count.
ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), index=True),
    Column("municipality", String(64)),
    Column("language", String(8), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("topic", String(32)),  # the topic of the last FAQ answer before the question
    Column("trigger", String(16), nullable=False),  # insight.satisfaction.Trigger
    Column("score", Integer),  # 1-5, None until the person rates
    Column("comment", Text),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("rated_at", DateTime(timezone=True)),
)

#: FAQ entries edited in the console (editing.drafts): a draft until published, then the record of
#: who published what and when, with the file's text before and after.
faq_edits = Table(
    "faq_edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("layer", String(64), nullable=False, index=True),
    Column("entry_id", String(200), nullable=False),
    Column("body", JSON, nullable=False),  # the entry's fields as the form gave them
    Column("status", String(12), nullable=False),  # editing.drafts.EditStatus
    Column("created_by", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_by", Integer),
    Column("published_at", DateTime(timezone=True)),
    Column("before", Text),  # the YAML file before publishing (None: a new entry)
    Column("after", Text),  # the YAML file as published
)

#: Relocation hosts' accounts (handoff.hosts).
hosts = Table(
    "hosts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(200), nullable=False, unique=True),
    Column("first_name", String(80), nullable=False),
    Column("municipality", String(64)),  # None for a regional account (admin, regional admin)
    Column("role", String(20), nullable=False, default="host"),  # handoff.roles.Role
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("languages", JSON),  # the language codes the host speaks (base.definitions.LANGUAGES); None: none set
    Column("meeting_link", String(500)),  # the host's video-meeting link (https only, handoff.hosts)
)

#: Host console sessions: only the SHA-256 of the cookie's token is stored (console.auth).
host_sessions = Table(
    "host_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("host_id", Integer, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

#: When a host holds first digital meetings: recurring weekly hours (handoff.meetings.availability).
meeting_hours = Table(
    "meeting_hours",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", Integer, ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("weekday", Integer, nullable=False),  # 0 Monday … 6 Sunday
    Column("start", String(5), nullable=False),  # "HH:MM", the municipality's local time
    Column("minutes", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: A day (or one slot of a day) a host does not hold meetings after all.
meeting_exceptions = Table(
    "meeting_exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", Integer, ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("start", String(5)),  # None: the whole day
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Booked meetings, from the slot picked in the chat to the meeting (handoff.meetings.records).
#: ``slot_key`` ("<host>@<start>") is unique while the meeting holds its slot and None once it lets go:
#: the database, not a lock in one process, is what refuses a second booking of the same slot.
meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("host_id", Integer, ForeignKey("hosts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("language", String(8), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
    Column("minutes", Integer, nullable=False),
    Column("status", String(12), nullable=False),  # handoff.meetings.records.MeetingStatus
    Column("step", String(8)),  # what the chat asks next while the slot is held
    Column("slot_key", String(80), unique=True),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column("topic", Text),  # masked, like a handoff's need
    Column("token_hash", String(64), unique=True),  # SHA-256 of the e-mail link's secret
    Column("sequence", Integer, nullable=False, default=0),  # iCalendar SEQUENCE: each change sends a new one
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("booked_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(8)),  # "person" or "host"
    Column("reminded_at", DateTime(timezone=True)),
)
