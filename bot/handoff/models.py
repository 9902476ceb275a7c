"""Escalations: conversations waiting for, or held by, a human collector."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class EscalationReason(StrEnum):
    VERIFICATION_LOCKOUT = "verification_lockout"
    ASKED_FOR_HUMAN = "asked_for_human"
    HARDSHIP = "hardship"
    DISPUTE = "dispute"
    REPEATED_FALLBACK = "repeated_fallback"
    NEEDS_APPROVAL = "needs_approval"
    DISTRESS = "distress"


class EscalationStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Escalation(Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    reason: Mapped[EscalationReason] = mapped_column(String(32))
    # Lower is more urgent.
    priority: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[EscalationStatus] = mapped_column(String(12), default=EscalationStatus.OPEN)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
