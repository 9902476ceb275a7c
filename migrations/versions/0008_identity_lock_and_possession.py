"""identity checks counted per person; one-time codes proving a web chat holds the phone

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.persistence

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_at", bot.persistence.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", bot.persistence.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", bot.persistence.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(cardholder_id IS NULL AND address IS NOT NULL) "
            "OR (cardholder_id IS NOT NULL AND address IS NULL)",
            name=op.f("ck_identity_checks_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_identity_checks_cardholder_id_cardholders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
        sa.UniqueConstraint("address", name=op.f("uq_identity_checks_address")),
        sa.UniqueConstraint("cardholder_id", name=op.f("uq_identity_checks_cardholder_id")),
    )
    op.create_table(
        "possession_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.persistence.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.persistence.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", bot.persistence.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_possession_codes_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_possession_codes_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possession_codes")),
    )
    op.create_index(
        op.f("ix_possession_codes_address"), "possession_codes", ["address"], unique=False
    )
    op.create_index(
        op.f("ix_possession_codes_conversation_id"),
        "possession_codes",
        ["conversation_id"],
        unique=False,
    )
    # Plain ADD COLUMN on both databases: no copy of a table others point at.
    for column in ("possession_proven_at", "last_seen_at"):
        op.add_column(
            "conversations",
            sa.Column(column, bot.persistence.base.UTCDateTime(timezone=True), nullable=True),
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("possession_proven_at")
    op.drop_index(op.f("ix_possession_codes_conversation_id"), table_name="possession_codes")
    op.drop_index(op.f("ix_possession_codes_address"), table_name="possession_codes")
    op.drop_table("possession_codes")
    op.drop_table("identity_checks")
