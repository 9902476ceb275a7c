"""Consent to be contacted: withdrawn by opt-out, restored by opt-in, checked before every send."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.conversations.models import Channel, Conversation
from bot.messaging.models import ContactConsent
from bot.persistence import utcnow
from bot.settings import Settings
from bot.verification.possession import require_possession


def _row(session: Session, channel: str, address: str) -> ContactConsent | None:
    return session.scalars(
        select(ContactConsent).where(
            ContactConsent.channel == channel, ContactConsent.address == address
        )
    ).first()


def consent_withdrawn(session: Session, *, channel: str, address: str) -> bool:
    """True when the address has opted out of this channel."""
    row = _row(session, channel, address)
    return row is not None and row.withdrawn


def withdraw_consent(
    session: Session,
    *,
    channel: str,
    address: str,
    by: str,
    conversation_id: str | None = None,
    reason: str = "opt_out",
) -> bool:
    """Record an opt-out (or a wrong party); False when the address had already opted out."""
    row = _row(session, channel, address)
    if row is not None and row.withdrawn:
        if reason == "wrong_party" and row.reason != reason:
            row.reason = reason
            row.changed_by = by
        return False
    if row is None:
        row = ContactConsent(channel=channel, address=address, changed_by=by)
        session.add(row)
    row.withdrawn_at = utcnow()
    row.changed_by = by
    row.reason = reason
    session.flush()
    audit.record(
        session,
        actor=by,
        action="consent.withdrawn",
        conversation_id=conversation_id,
        channel=channel,
        address=address,
        reason=reason,
    )
    return True


def withdraw_for_conversation(
    session: Session, *, conversation: Conversation, by: str, reason: str = "opt_out"
) -> bool:
    """Stop SMS to the conversation's number because of what the person said in it.

    A web chat's number is only what someone typed, so it must have proved it holds that phone
    (PossessionNotProven otherwise): nobody opts out, or marks as a wrong party, a number that
    is not theirs.
    """
    require_possession(conversation)
    return withdraw_consent(
        session,
        channel=Channel.SMS,
        address=conversation.address,
        by=by,
        conversation_id=conversation.id,
        reason=reason,
    )


def restore_consent(
    session: Session, *, channel: str, address: str, by: str, conversation_id: str | None = None
) -> bool:
    """Record an opt-in; False when the address had not opted out."""
    row = _row(session, channel, address)
    if row is None or not row.withdrawn:
        return False
    row.withdrawn_at = None
    row.changed_by = by
    session.flush()
    audit.record(
        session,
        actor=by,
        action="consent.restored",
        conversation_id=conversation_id,
        channel=channel,
        address=address,
    )
    return True


def opt_out_confirmation(settings: Settings) -> str:
    return (
        f"{settings.bank_name}: you will no longer receive messages from us here. "
        "Reply START to receive them again."
    )


def opt_in_confirmation(settings: Settings) -> str:
    return f"{settings.bank_name}: you will receive our messages here again. Reply STOP to opt out."


def help_reply(settings: Settings) -> str:
    return (
        f"{settings.bank_name} card services. Call us on {settings.bank_phone}. "
        "Reply STOP to opt out."
    )
