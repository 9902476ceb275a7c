"""Conversations and messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.persistence import Base, utcnow

if TYPE_CHECKING:
    from bot.accounts.models import Cardholder


class Channel(StrEnum):
    WEB = "web"
    SMS = "sms"


class ConversationState(StrEnum):
    BOT = "bot"
    HUMAN = "human"
    CLOSED = "closed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Author(StrEnum):
    CARDHOLDER = "cardholder"
    BOT = "bot"
    COLLECTOR = "collector"
    SYSTEM = "system"


class MessageStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    # Refused by the sending path (e.g. the address opted out); never handed to a provider.
    BLOCKED = "blocked"


class MessageKind(StrEnum):
    """Why an outbound message exists; some kinds pass rules others may not."""

    REPLY = "reply"
    KEYWORD_REPLY = "keyword_reply"
    # A one-time code the person asked for just now (web chat possession check).
    ONE_TIME_CODE = "one_time_code"
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    REMINDER = "reminder"
    COLLECTOR = "collector"


def _new_conversation_id() -> str:
    return uuid.uuid4().hex


# Web chats may be open side by side; a number has one open SMS thread, which every path shares.
_ONE_OPEN_SMS = "channel = 'sms' AND state <> 'closed'"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "uq_conversations_open_sms_address",
            "channel",
            "address",
            unique=True,
            sqlite_where=text(_ONE_OPEN_SMS),
            postgresql_where=text(_ONE_OPEN_SMS),
        ),
    )

    # Opaque and unguessable: it is also the Rasa sender id.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_conversation_id)
    channel: Mapped[Channel] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(64), index=True)
    cardholder_id: Mapped[int | None] = mapped_column(ForeignKey("cardholders.id"), index=True)
    state: Mapped[ConversationState] = mapped_column(String(8), default=ConversationState.BOT)
    verified_at: Mapped[datetime | None] = mapped_column()
    # Failures in this conversation; the lock itself is per person (bot.verification.models).
    failed_verification_count: Mapped[int] = mapped_column(Integer, default=0)
    # When this conversation met a locked identity check and went to a collector.
    locked_at: Mapped[datetime | None] = mapped_column()
    # When the web chat proved it holds the phone of `address` (a one-time code sent there).
    possession_proven_at: Mapped[datetime | None] = mapped_column()
    # When the person last wrote, or their web chat page last asked: idle sessions expire.
    last_seen_at: Mapped[datetime | None] = mapped_column()
    # Why the cardholder has not paid, asked once (forgot, cash_flow, lost_income, ...).
    nonpayment_reason: Mapped[str | None] = mapped_column(String(24))
    # SHA-256 of the web chat's bearer token; the token itself is only ever held by the browser.
    access_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cardholder: Mapped[Cardholder | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id"
    )

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[Direction] = mapped_column(String(8))
    author: Mapped[Author] = mapped_column(String(12))
    channel: Mapped[Channel] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    provider_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[MessageStatus] = mapped_column(String(12), index=True)
    kind: Mapped[MessageKind | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    # Outbox bookkeeping for messages a provider carries (SMS).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(500))
    segments: Mapped[int | None] = mapped_column(Integer)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
