"""Checking identity answers against the bank's facts, counting failures, locking out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from bot import audit
from bot.conversations.models import Conversation, ConversationState
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate
from bot.persistence import utcnow
from bot.settings import Settings
from bot.verification.facts import date_of_birth_matches


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


def current_outcome(conversation: Conversation, settings: Settings) -> VerificationOutcome:
    """Where the conversation stands without a new attempt."""
    return VerificationOutcome(
        verified=conversation.verified,
        locked=conversation.locked,
        attempts_left=max(
            0, settings.max_verification_attempts - conversation.failed_verification_count
        ),
    )


def verify_identity(
    session: Session,
    *,
    conversation_id: str,
    card_last4: str,
    date_of_birth: date,
    settings: Settings,
) -> VerificationOutcome:
    """Check one attempt; the last allowed failure locks the conversation and hands it off."""
    conversation = load_conversation(session, conversation_id, for_update=True)
    if conversation.locked or conversation.verified:
        return current_outcome(conversation, settings)

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
    cardholder_id = cardholder.id if cardholder else None
    if matched:
        conversation.verified_at = utcnow()
        audit.record(
            session,
            actor="bot",
            action="verification.passed",
            conversation_id=conversation.id,
            cardholder_id=cardholder_id,
            attempt=conversation.failed_verification_count + 1,
        )
        return current_outcome(conversation, settings)

    conversation.failed_verification_count += 1
    audit.record(
        session,
        actor="bot",
        action="verification.failed",
        conversation_id=conversation.id,
        cardholder_id=cardholder_id,
        attempt=conversation.failed_verification_count,
    )
    if conversation.failed_verification_count >= settings.max_verification_attempts:
        conversation.locked_at = utcnow()
        conversation.state = ConversationState.HUMAN
        audit.record(
            session,
            actor="bot",
            action="verification.locked",
            conversation_id=conversation.id,
            cardholder_id=cardholder_id,
        )
        escalate(
            session,
            conversation=conversation,
            reason=EscalationReason.VERIFICATION_LOCKOUT,
            summary=(
                f"Identity check failed {conversation.failed_verification_count} times; "
                "conversation locked until a collector releases it."
            ),
        )
    return current_outcome(conversation, settings)
