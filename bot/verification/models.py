"""Identity checks counted per person; one-time codes that prove a web chat holds a phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class IdentityCheck(Base):
    """Failed identity checks of one person, across all their conversations and channels.

    Keyed by the cardholder when the number is theirs, otherwise by the number itself, so an
    unknown number fails and locks exactly as a cardholder's would and reveals nothing.
    """

    __tablename__ = "identity_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    cardholder_id: Mapped[int | None] = mapped_column(ForeignKey("cardholders.id"), unique=True)
    address: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Failures since the last success or release.
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the last allowed failure; only a collector clears it.
    locked_at: Mapped[datetime | None] = mapped_column()
    released_at: Mapped[datetime | None] = mapped_column()
    released_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "(cardholder_id IS NULL AND address IS NOT NULL) "
            "OR (cardholder_id IS NOT NULL AND address IS NULL)",
            name="one_subject",
        ),
    )

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


class PossessionCode(Base):
    """A one-time code sent by SMS to the number a web chat was opened for.

    Only its keyed hash is stored. A code for an unknown or opted-out number is recorded too
    (without a message), so every number is answered and counted the same way.
    """

    __tablename__ = "possession_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the right code was entered; a code works once.
    used_at: Mapped[datetime | None] = mapped_column()
    # The SMS that carried it (None: nothing was sent, e.g. the number is not a cardholder's).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
