"""Checking identity answers against the bank's facts, counting failures per person, locking out.

Failures are counted per person across every conversation and channel (`IdentityCheck`): per
cardholder when the number is theirs, per number otherwise, so an unknown number is answered and
locked exactly like a cardholder's. The last allowed failure locks the check until a collector
releases it; any conversation that meets a locked check goes to a collector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import audit
from bot.conversations.models import Conversation, ConversationState
from bot.conversations.service import session_expired
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate
from bot.persistence import utcnow
from bot.settings import Settings
from bot.verification.facts import date_of_birth_matches
from bot.verification.models import IdentityCheck
from bot.verification.possession import possession_proven, require_possession


@dataclass(frozen=True)
class VerificationOutcome:
    verified: bool
    locked: bool
    attempts_left: int


class ConversationNotFound(LookupError):
    pass


def load_conversation(
    session: Session, conversation_id: str, *, for_update: bool = False
) -> Conversation:
    """The conversation `conversation_id`, row-locked when `for_update`, or ConversationNotFound."""
    conversation = session.get(Conversation, conversation_id, with_for_update=for_update)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    return conversation


def verified_now(conversation: Conversation, *, now: datetime, settings: Settings) -> bool:
    """True when the database says the person in `conversation` is verified at `now`.

    A web chat also needs proof that it holds the phone, and a session that has not expired.
    """
    return (
        conversation.verified
        and possession_proven(conversation)
        and not session_expired(conversation, now=now, settings=settings)
    )


def _subject(conversation: Conversation) -> dict[str, object]:
    if conversation.cardholder_id is not None:
        return {"cardholder_id": conversation.cardholder_id}
    return {"address": conversation.address}


def _find_check(
    session: Session, conversation: Conversation, *, for_update: bool = False
) -> IdentityCheck | None:
    query = select(IdentityCheck).filter_by(**_subject(conversation))
    return session.scalars(query.with_for_update() if for_update else query).first()


def identity_check_for(session: Session, conversation: Conversation) -> IdentityCheck:
    """The person's identity-check record, created on first use and row-locked."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two first attempts at once (two chats for one number) create one record, not two.
    session.execute(
        insert(IdentityCheck)
        .values(**_subject(conversation), failed_count=0, updated_at=utcnow())
        .on_conflict_do_nothing()
    )
    check = _find_check(session, conversation, for_update=True)
    assert check is not None
    session.refresh(check)
    return check


def _outcome(
    conversation: Conversation, check: IdentityCheck | None, settings: Settings
) -> VerificationOutcome:
    failed = check.failed_count if check is not None else 0
    return VerificationOutcome(
        verified=conversation.verified,
        locked=conversation.locked or (check is not None and check.locked),
        attempts_left=max(0, settings.max_verification_attempts - failed),
    )


def _hand_locked_conversation_over(
    session: Session, conversation: Conversation, check: IdentityCheck
) -> None:
    """This conversation met a locked check: it goes to a collector, who can release the lock."""
    if conversation.locked:
        return
    conversation.locked_at = utcnow()
    conversation.state = ConversationState.HUMAN
    audit.record(
        session,
        actor="bot",
        action="verification.locked",
        conversation_id=conversation.id,
        cardholder_id=conversation.cardholder_id,
        failures=check.failed_count,
    )
    escalate(
        session,
        conversation=conversation,
        reason=EscalationReason.VERIFICATION_LOCKOUT,
        summary=(
            f"Identity check locked after {check.failed_count} failed attempts across this "
            "person's conversations; it stays locked until a collector releases it."
        ),
    )


def stop_if_locked(
    session: Session, *, conversation_id: str, settings: Settings
) -> VerificationOutcome:
    """Where the identity check stands before an answer is taken; a locked one hands over now."""
    conversation = load_conversation(session, conversation_id, for_update=True)
    check = _find_check(session, conversation, for_update=True)
    if check is not None and check.locked and not conversation.verified:
        _hand_locked_conversation_over(session, conversation, check)
    return _outcome(conversation, check, settings)


def verify_identity(
    session: Session,
    *,
    conversation_id: str,
    card_last4: str,
    date_of_birth: date,
    settings: Settings,
) -> VerificationOutcome:
    """Check one attempt; the person's last allowed failure locks the check and hands it off.

    A web chat that has not proved it holds the phone gets PossessionNotProven, uncounted.
    """
    conversation = load_conversation(session, conversation_id, for_update=True)
    if conversation.verified:
        return _outcome(conversation, _find_check(session, conversation), settings)
    require_possession(conversation)
    check = identity_check_for(session, conversation)
    if check.locked or conversation.locked:
        _hand_locked_conversation_over(session, conversation, check)
        return _outcome(conversation, check, settings)

    cardholder = conversation.cardholder
    matched = (
        cardholder is not None
        and any(account.card_last4 == card_last4 for account in cardholder.accounts)
        and date_of_birth_matches(
            settings.verification_hash_key,
            cardholder_ref=cardholder.external_id,
            date_of_birth=date_of_birth,
            stored_hash=cardholder.dob_hash,
        )
    )
    if matched:
        conversation.verified_at = utcnow()
        audit.record(
            session,
            actor="bot",
            action="verification.passed",
            conversation_id=conversation.id,
            cardholder_id=conversation.cardholder_id,
            attempt=check.failed_count + 1,
        )
        check.failed_count = 0
        return _outcome(conversation, check, settings)

    conversation.failed_verification_count += 1
    check.failed_count += 1
    audit.record(
        session,
        actor="bot",
        action="verification.failed",
        conversation_id=conversation.id,
        cardholder_id=conversation.cardholder_id,
        attempt=check.failed_count,
    )
    if check.failed_count >= settings.max_verification_attempts:
        check.locked_at = utcnow()
        _hand_locked_conversation_over(session, conversation, check)
    return _outcome(conversation, check, settings)


def release_identity_check(session: Session, *, conversation: Conversation, by: str) -> bool:
    """A collector lifts the person's lock-out; False when nothing was locked."""
    check = _find_check(session, conversation, for_update=True)
    was_locked = conversation.locked or (check is not None and check.locked)
    conversation.locked_at = None
    conversation.failed_verification_count = 0
    if check is not None:
        check.failed_count = 0
        if check.locked:
            check.locked_at = None
            check.released_at = utcnow()
            check.released_by = by
    if was_locked:
        audit.record(
            session,
            actor=by,
            action="verification.released",
            conversation_id=conversation.id,
            cardholder_id=conversation.cardholder_id,
        )
    return was_locked
