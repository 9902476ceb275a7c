"""Creating escalations and pausing the bot for a human collector."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.stages import Stage
from bot.conversations.models import Conversation, ConversationState
from bot.handoff.models import Escalation, EscalationReason, EscalationStatus

# Lower is more urgent: vulnerability and disputes first, then lock-outs and requests.
_REASON_PRIORITY = {
    EscalationReason.DISTRESS: 1,
    EscalationReason.HARDSHIP: 2,
    EscalationReason.DISPUTE: 2,
    EscalationReason.VERIFICATION_LOCKOUT: 3,
    EscalationReason.NEEDS_APPROVAL: 3,
    EscalationReason.ASKED_FOR_HUMAN: 4,
    EscalationReason.REPEATED_FALLBACK: 4,
}
_LATE_STAGES = {Stage.M2_M3, Stage.M4_PLUS}


def open_escalation(session: Session, conversation_id: str) -> Escalation | None:
    """The escalation of the conversation that a human has not resolved yet, if any."""
    return session.scalars(
        select(Escalation)
        .where(
            Escalation.conversation_id == conversation_id,
            Escalation.status != EscalationStatus.RESOLVED,
        )
        .order_by(Escalation.id.desc())
    ).first()


def escalate(
    session: Session, *, conversation: Conversation, reason: EscalationReason, summary: str
) -> Escalation:
    """Hand `conversation` to a human: one open escalation, the bot stops answering."""
    existing = open_escalation(session, conversation.id)
    conversation.state = ConversationState.HUMAN
    if existing is not None:
        return existing
    priority = _REASON_PRIORITY[reason]
    cardholder = conversation.cardholder
    if (
        conversation.verified
        and cardholder is not None
        and any(account.stage() in _LATE_STAGES for account in cardholder.accounts)
    ):
        priority -= 1
    escalation = Escalation(
        conversation_id=conversation.id, reason=reason, priority=max(priority, 1), summary=summary
    )
    session.add(escalation)
    audit.record(
        session,
        actor="bot",
        action="handoff.created",
        conversation_id=conversation.id,
        cardholder_id=cardholder.id if cardholder else None,
        reason=reason.value,
    )
    return escalation
