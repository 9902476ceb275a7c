"""One-time codes: how a web chat proves it holds the phone it was opened for.

A 6-digit code is texted to the number through the outbox (and its send gate); only its keyed
hash is kept. It expires, allows a few tries, works once, and a number gets a few per hour.
Every number gets the same answers: an unknown number's code is recorded and counted but never
sent, so the page cannot tell who is a customer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.conversations.models import Author, Conversation, MessageKind
from bot.conversations.service import open_sms_conversation
from bot.messaging.outbox import enqueue
from bot.settings import Settings
from bot.verification.models import PossessionCode
from bot.verification.possession import possession_proven

CODE_DIGITS = 6


class TooManyCodes(Exception):
    """The number has had all the codes it may get this hour."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True)
class CodeCheck:
    proven: bool
    # False when there is no live code (expired, used up or never sent): ask for a new one.
    code_live: bool
    attempts_left: int


def _code_hash(settings: Settings, conversation_id: str, code: str) -> str:
    message = f"possession|{conversation_id}|{code}".encode()
    key = settings.verification_hash_key.get_secret_value().encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_message(settings: Settings, code: str, ttl_minutes: int) -> str:
    """The SMS that carries a code: no account facts, and a warning not to pass it on."""
    return (
        f"{settings.bank_name}: {code} is your web chat code. It expires in {ttl_minutes} "
        "minutes. Never share it: we will not ask you for it."
    )


def send_code(
    session: Session, *, conversation: Conversation, settings: Settings, now: datetime
) -> PossessionCode:
    """Issue a new code for the web chat and text it to the number when it is a cardholder's.

    Raises TooManyCodes when the number has had `possession_codes_per_hour` codes in the last
    hour, counted over every chat opened for it. The SMS goes through the outbox and its send
    gate, which holds it back from an opted-out or wrong-party number.
    """
    hour_ago = now - timedelta(hours=1)
    recent = session.execute(
        select(func.count(PossessionCode.id), func.min(PossessionCode.created_at)).where(
            PossessionCode.address == conversation.address,
            PossessionCode.created_at > hour_ago,
        )
    ).one()
    if recent[0] >= settings.possession_codes_per_hour:
        raise TooManyCodes(retry_after=max(recent[1] - hour_ago, timedelta(seconds=1)))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    issued = PossessionCode(
        conversation_id=conversation.id,
        address=conversation.address,
        code_hash=_code_hash(settings, conversation.id, code),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.possession_code_ttl_minutes),
        attempts=0,
    )
    if conversation.cardholder_id is not None:
        phone = open_sms_conversation(session, conversation.address, settings=settings)
        [message] = enqueue(
            session,
            conversation=phone,
            text=code_message(settings, code, settings.possession_code_ttl_minutes),
            author=Author.SYSTEM,
            kind=MessageKind.ONE_TIME_CODE,
        )
        issued.message_id = message.id
    session.add(issued)
    session.flush()
    audit.record(
        session,
        actor="api",
        action="possession.code_issued",
        conversation_id=conversation.id,
        cardholder_id=conversation.cardholder_id,
        texted=issued.message_id is not None,
    )
    return issued


def check_code(
    session: Session, *, conversation: Conversation, code: str, settings: Settings, now: datetime
) -> CodeCheck:
    """Compare a typed code with the chat's newest one; the right one proves possession, once."""
    if possession_proven(conversation):
        return CodeCheck(proven=True, code_live=False, attempts_left=0)
    latest = session.scalars(
        select(PossessionCode)
        .where(PossessionCode.conversation_id == conversation.id)
        .order_by(PossessionCode.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    limit = settings.possession_code_max_attempts
    if (
        latest is None
        or latest.used_at is not None
        or latest.expires_at <= now
        or latest.attempts >= limit
    ):
        return CodeCheck(proven=False, code_live=False, attempts_left=0)
    latest.attempts += 1
    if hmac.compare_digest(latest.code_hash, _code_hash(settings, conversation.id, code)):
        latest.used_at = now
        conversation.possession_proven_at = now
        audit.record(
            session,
            actor="api",
            action="possession.proven",
            conversation_id=conversation.id,
            cardholder_id=conversation.cardholder_id,
        )
        return CodeCheck(proven=True, code_live=False, attempts_left=0)
    audit.record(
        session,
        actor="api",
        action="possession.code_refused",
        conversation_id=conversation.id,
        cardholder_id=conversation.cardholder_id,
        attempt=latest.attempts,
    )
    left = limit - latest.attempts
    return CodeCheck(proven=False, code_live=left > 0, attempts_left=left)
