"""one open SMS conversation per number, held by a partial unique index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ONE_OPEN_SMS = "channel = 'sms' AND state <> 'closed'"


def upgrade() -> None:
    # Where a number already has several open SMS conversations, the newest stays open: it is
    # the one the SMS gateway has been answering on.
    op.execute(
        """
        UPDATE conversations SET state = 'closed'
        WHERE channel = 'sms' AND state <> 'closed' AND EXISTS (
            SELECT 1 FROM conversations newer
            WHERE newer.channel = 'sms' AND newer.state <> 'closed'
              AND newer.address = conversations.address
              AND (newer.created_at > conversations.created_at
                   OR (newer.created_at = conversations.created_at
                       AND newer.id > conversations.id))
        )
        """
    )
    op.create_index(
        "uq_conversations_open_sms_address",
        "conversations",
        ["channel", "address"],
        unique=True,
        sqlite_where=sa.text(_ONE_OPEN_SMS),
        postgresql_where=sa.text(_ONE_OPEN_SMS),
    )


def downgrade() -> None:
    op.drop_index("uq_conversations_open_sms_address", table_name="conversations")
