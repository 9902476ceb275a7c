"""Escalations: conversations waiting for, or held by, a human collector."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
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


class Disposition(StrEnum):
    """What a collector agreed with the cardholder."""

    PROMISE_TAKEN = "promise_taken"
    PLAN_AGREED = "plan_agreed"
    DISPUTE_OPENED = "dispute_opened"
    HARDSHIP_PROGRAMME = "hardship_programme"
    CALLBACK_ARRANGED = "callback_arranged"
    NO_CONTACT = "no_contact"


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
    claimed_by: Mapped[str | None] = mapped_column(String(64), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column()
    first_human_reply_at: Mapped[datetime | None] = mapped_column()
    disposition: Mapped[Disposition | None] = mapped_column(String(24))
    disposition_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class CaseNote(Base):
    """An internal note on an escalation; never sent to the cardholder."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
