"""The one sending path: every outbound message is a row first, then a provider's job.

Web chat messages are delivered by the api's response, so they are stored as sent. SMS messages
are stored queued and sent by `OutboxDispatcher`, which asks the send gate at the moment of sending,
paces each sender, retries transient failures with backoff and jitter, records permanent ones,
and on start picks up anything a crash left half-sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import (
    Author,
    Channel,
    Conversation,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.messaging.consent import withdraw_consent
from bot.messaging.sms_text import render_sms, segment_count, split_body
from bot.messaging.transports import OPTED_OUT_ERROR, SmsTransport, TransportError
from bot.persistence import utcnow
from bot.policy.send_gate import Outcome

if TYPE_CHECKING:
    from bot.policy.service import SendGate

logger = logging.getLogger(__name__)

# Kinds whose text already says how to opt out (or back in).
_CARRY_THEIR_OWN_OPT_OUT = {
    MessageKind.OPT_OUT_CONFIRMATION,
    MessageKind.KEYWORD_REPLY,
    MessageKind.REMINDER,
}


def opt_out_notice(conversation: Conversation) -> str:
    """How to opt out, in the cardholder's language; the first SMS of a conversation carries it."""
    cardholder = conversation.cardholder
    if cardholder is not None and cardholder.locale.lower().startswith("zh"):
        return "回复TD退订"
    return "Reply STOP to opt out."


def _has_outbound(session: Session, conversation_id: str) -> bool:
    return (
        session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conversation_id, Message.direction == Direction.OUTBOUND
            )
            .limit(1)
        )
        is not None
    )


def enqueue(
    session: Session,
    *,
    conversation: Conversation,
    text: str,
    author: Author,
    kind: MessageKind,
    buttons: list[dict[str, Any]] | None = None,
) -> list[Message]:
    """Store outbound messages for the conversation's channel; SMS ones wait for the dispatcher."""
    now = utcnow()
    if conversation.channel != Channel.SMS:
        message = Message(
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            author=author,
            channel=conversation.channel,
            text=text,
            buttons=buttons or None,
            kind=kind,
            status=MessageStatus.SENT,
            sent_at=now,
        )
        session.add(message)
        session.flush()
        return [message]
    body = render_sms(text, buttons)
    if kind not in _CARRY_THEIR_OWN_OPT_OUT and not _has_outbound(session, conversation.id):
        body = f"{body}\n{opt_out_notice(conversation)}"
    bodies = split_body(body)
    messages = []
    for number, body in enumerate(bodies):
        message = Message(
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            author=author,
            channel=Channel.SMS,
            text=body,
            # A numbered reply maps back through the last body, the one that lists the choices.
            buttons=(buttons or None) if number == len(bodies) - 1 else None,
            kind=kind,
            status=MessageStatus.QUEUED,
            next_attempt_at=now,
            segments=segment_count(body),
        )
        session.add(message)
        messages.append(message)
    session.flush()
    return messages


class Pacer:
    """Spaces sends of one sender so that `rate` segments per second are never exceeded."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next_free = 0.0

    def delay_for(self, segments: int) -> float:
        """Seconds to wait before sending `segments`; books the slot."""
        now = self._clock()
        start = max(now, self._next_free)
        self._next_free = start + segments * self._interval
        return start - now


def backoff(attempt: int, *, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Exponential backoff with full jitter for the `attempt`-th retry."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** (attempt - 1))))


class OutboxDispatcher:
    """Sends queued SMS messages, one sender, paced; run it as a task in the api process."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: SmsTransport,
        *,
        rate_per_second: float,
        status_callback_url: str | None,
        max_attempts: int = 6,
        retry_base_seconds: float = 2.0,
        poll_seconds: float = 0.2,
        send_gate: SendGate | None = None,
    ) -> None:
        self._sessions = sessions
        self._send_gate = send_gate
        self._transport = transport
        self._pacer = Pacer(rate_per_second)
        self._status_callback_url = status_callback_url
        self._max_attempts = max_attempts
        self._retry_base_seconds = retry_base_seconds
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for new messages now instead of at the next poll (call from the loop's thread)."""
        self._wake.set()

    def recover(self) -> int:
        """Queue again what a crash left between claim and send; how many were recovered."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(Message)
                .where(Message.status == MessageStatus.SENDING)
                .values(status=MessageStatus.QUEUED, next_attempt_at=utcnow())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set."""
        await asyncio.to_thread(self.recover)
        while not stop.is_set():
            try:
                sent = await self.dispatch_due()
            except Exception:
                logger.exception("outbox dispatch failed; trying again")
                sent = 0
            if sent == 0:
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    async def dispatch_due(self, *, limit: int = 50) -> int:
        """Send the messages due now; how many were handed over, refused or given up."""
        due = await asyncio.to_thread(self._due_ids, limit)
        for message_id in due:
            await self._dispatch_one(message_id)
        return len(due)

    def _due_ids(self, limit: int) -> list[int]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Message.id)
                    .where(
                        Message.status == MessageStatus.QUEUED,
                        Message.channel == Channel.SMS,
                        Message.next_attempt_at <= utcnow(),
                    )
                    .order_by(Message.id)
                    .limit(limit)
                )
            )

    def _claim(self, message_id: int) -> tuple[str, str, int] | None:
        """Mark the message as being sent; None if another worker took it or it may not go."""
        with self._sessions.begin() as session:
            claimed = session.execute(
                update(Message)
                .where(Message.id == message_id, Message.status == MessageStatus.QUEUED)
                .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            message = session.get(Message, message_id)
            assert message is not None
            # The one send gate (bot/policy): consent, windows, holidays, caps, suppressions.
            decision = self._gate().check_message(session, message, now=utcnow())
            if decision.outcome is Outcome.BLOCK:
                message.status = MessageStatus.BLOCKED
                message.error_message = decision.reason[:500]
                return None
            if decision.outcome is Outcome.DEFER:
                # Not sent and not dropped: queued again for the next allowed time.
                message.status = MessageStatus.QUEUED
                message.attempts -= 1
                message.next_attempt_at = decision.next_allowed_at
                message.error_message = f"deferred: {decision.reason}"[:500]
                return None
            return message.conversation.address, message.text, message.segments or 1

    def _gate(self) -> SendGate:
        if self._send_gate is None:
            from bot.policy.service import SendGate
            from bot.settings import get_settings

            self._send_gate = SendGate.from_settings(get_settings())
        return self._send_gate

    async def _dispatch_one(self, message_id: int) -> None:
        claim = await asyncio.to_thread(self._claim, message_id)
        if claim is None:
            return
        to, body, segments = claim
        await asyncio.sleep(self._pacer.delay_for(segments))
        try:
            receipt = await self._transport.send(
                to=to, body=body, status_callback=self._status_callback_url
            )
        except TransportError as error:
            await asyncio.to_thread(self._record_failure, message_id, error)
            return
        await asyncio.to_thread(
            self._record_sent, message_id, receipt.provider_message_id, receipt.status
        )

    def _record_sent(self, message_id: int, provider_id: str, provider_status: str) -> None:
        with self._sessions.begin() as session:
            message = session.get(Message, message_id)
            assert message is not None
            message.provider_message_id = provider_id
            message.sent_at = utcnow()
            message.status = (
                MessageStatus.DELIVERED if provider_status == "delivered" else MessageStatus.SENT
            )
            if message.status == MessageStatus.DELIVERED:
                message.delivered_at = message.sent_at

    def _record_failure(self, message_id: int, error: TransportError) -> None:
        with self._sessions.begin() as session:
            message = session.get(Message, message_id)
            assert message is not None
            message.error_code = error.code
            message.error_message = str(error)[:500]
            if error.permanent or message.attempts >= self._max_attempts:
                message.status = MessageStatus.FAILED
                logger.warning("message %s failed for good: %s", message_id, error)
                if error.code == OPTED_OUT_ERROR:
                    withdraw_consent(
                        session,
                        channel=Channel.SMS,
                        address=message.conversation.address,
                        by="provider",
                        conversation_id=message.conversation_id,
                    )
                return
            message.status = MessageStatus.QUEUED
            message.next_attempt_at = utcnow() + backoff(
                message.attempts, base=self._retry_base_seconds
            )
            logger.info("message %s will be retried: %s", message_id, error)


def record_status(
    session: Session,
    *,
    provider_message_id: str,
    status: str,
    error_code: str | None,
    at: datetime | None = None,
) -> bool:
    """Apply a provider's status callback; False when no message has that provider id."""
    message = session.scalars(
        select(Message).where(Message.provider_message_id == provider_message_id)
    ).first()
    if message is None:
        return False
    known = {s.value for s in MessageStatus}
    if status not in known:
        return True  # e.g. "accepted", "sending": nothing to record yet
    # A late "sent" never overwrites "delivered".
    if message.status == MessageStatus.DELIVERED and status == MessageStatus.SENT:
        return True
    message.status = MessageStatus(status)
    if status == MessageStatus.DELIVERED:
        message.delivered_at = at or utcnow()
    if error_code:
        message.error_code = error_code
    if error_code == OPTED_OUT_ERROR:
        withdraw_consent(
            session,
            channel=Channel.SMS,
            address=message.conversation.address,
            by="provider",
            conversation_id=message.conversation_id,
        )
    return True
