"""Starting conversations and recording every message in them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.service import find_cardholder_by_phone
from bot.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationState,
    Direction,
    Message,
    MessageStatus,
)
from bot.masking import is_identity_question, mask_for_storage
from bot.persistence import utcnow
from bot.settings import Settings


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_web_conversation(session: Session, *, phone_e164: str) -> tuple[Conversation, str]:
    """A new web chat for whoever holds `phone_e164`, and the bearer token that opens it.

    An unknown number still gets a conversation, so the page never reveals who is a customer.
    """
    cardholder = find_cardholder_by_phone(session, phone_e164)
    token = secrets.token_urlsafe(32)
    conversation = Conversation(
        channel=Channel.WEB,
        address=phone_e164,
        cardholder_id=cardholder.id if cardholder else None,
        access_token_hash=_token_hash(token),
    )
    session.add(conversation)
    session.flush()
    _record_start(session, conversation)
    return conversation, token


def open_sms_conversations() -> Select[Conversation]:
    """Every open SMS conversation (at most one per number); callers narrow it."""
    return select(Conversation).where(
        Conversation.channel == Channel.SMS, Conversation.state != ConversationState.CLOSED
    )


def find_open_sms_conversation(
    session: Session, address: str, *, for_update: bool = False
) -> Conversation | None:
    """The open SMS conversation of `address`, if there is one."""
    statement = open_sms_conversations().where(Conversation.address == address)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def open_sms_conversation_ids(session: Session, addresses: Iterable[str]) -> dict[str, str]:
    """The id of the open SMS conversation of each address that has one."""
    statement = (
        open_sms_conversations()
        .where(Conversation.address.in_(list(addresses)))
        .with_only_columns(Conversation.address, Conversation.id)
    )
    return {address: id_ for address, id_ in session.execute(statement).tuples()}


def open_sms_conversation(session: Session, address: str, *, settings: Settings) -> Conversation:
    """The number's open SMS conversation, or a new one (row-locked either way).

    A verified conversation whose session has expired is closed first, so whoever writes next
    from the number starts again with the identity check.
    """
    conversation = find_open_sms_conversation(session, address, for_update=True)
    if conversation is not None and not (
        conversation.state == ConversationState.BOT
        and session_expired(conversation, now=utcnow(), settings=settings)
    ):
        return conversation
    if conversation is not None:
        conversation.state = ConversationState.CLOSED
        audit.record(
            session,
            actor="api",
            action="conversation.expired",
            conversation_id=conversation.id,
            cardholder_id=conversation.cardholder_id,
        )
    cardholder = find_cardholder_by_phone(session, address)
    conversation = Conversation(
        channel=Channel.SMS,
        address=address,
        cardholder_id=cardholder.id if cardholder else None,
    )
    try:
        with session.begin_nested():
            session.add(conversation)
    except IntegrityError:
        # Another message from the number opened it first (uq_conversations_open_sms_address).
        opened = find_open_sms_conversation(session, address, for_update=True)
        if opened is None:
            raise
        return opened
    _record_start(session, conversation)
    return conversation


def _record_start(session: Session, conversation: Conversation) -> None:
    audit.record(
        session,
        actor="api",
        action="conversation.started",
        conversation_id=conversation.id,
        cardholder_id=conversation.cardholder_id,
        channel=Channel(conversation.channel).value,
    )


def session_expired(conversation: Conversation, *, now: datetime, settings: Settings) -> bool:
    """True when the conversation's session is over: idle too long, or too old.

    A web chat's session is its bearer token, from the start of the chat. On SMS, holding the
    phone is proven by every message, so what expires is the verified state, from verification.
    """
    if conversation.channel == Channel.WEB:
        started: datetime | None = conversation.created_at
    else:
        started = conversation.verified_at
    if started is None:
        return False
    last_seen = max(conversation.last_seen_at or started, started)
    return now - started > timedelta(hours=settings.session_max_hours) or (
        now - last_seen > timedelta(minutes=settings.session_idle_minutes)
    )


def token_opens(conversation: Conversation, token: str) -> bool:
    """True when `token` is the bearer token of `conversation`."""
    if conversation.access_token_hash is None:
        return False
    return hmac.compare_digest(conversation.access_token_hash, _token_hash(token))


def record_inbound(
    session: Session,
    *,
    conversation: Conversation,
    text: str,
    provider_message_id: str | None = None,
) -> Message:
    """Store what the cardholder wrote, without card data, dates of birth or identity answers.

    An identity answer is recognised by the question before it: the latest message sent to the
    cardholder. The dialogue model still gets the words as typed (card data masked), so the
    identity check reads them from its own tracker, never from this table.
    """
    conversation.last_seen_at = utcnow()
    asked = last_outbound_text(session, conversation.id)
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.INBOUND,
        author=Author.CARDHOLDER,
        channel=conversation.channel,
        text=mask_for_storage(
            text,
            today=utcnow().date(),
            answers_identity_question=asked is not None and is_identity_question(asked),
        ),
        provider_message_id=provider_message_id,
        status=MessageStatus.RECEIVED,
    )
    session.add(message)
    session.flush()
    return message


def last_offered_buttons(session: Session, conversation_id: str) -> list[dict[str, Any]]:
    """The buttons of the latest outbound message, the only payloads a reply may choose."""
    latest = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    return list(latest.buttons or []) if latest else []


def last_outbound_text(session: Session, conversation_id: str) -> str | None:
    """What was last sent to the cardholder in this conversation (the question being answered)."""
    return session.scalar(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.id.desc())
        .limit(1)
    )


def last_inbound_text(session: Session, conversation_id: str) -> str | None:
    """The cardholder's latest words as stored (card data and identity answers already hidden)."""
    return session.scalar(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.INBOUND)
        .order_by(Message.id.desc())
        .limit(1)
    )


def transcript(session: Session, conversation_id: str) -> list[Message]:
    """Every message of the conversation, oldest first."""
    return list(
        session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
    )
