"""A collector's work on escalated conversations: queue, claim, reply, note, outcome, resolve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.service import account_for
from bot.collectors.models import Collector
from bot.conversations.models import Author, Conversation, ConversationState, MessageKind
from bot.handoff.hours import BusinessHours
from bot.handoff.models import CaseNote, Disposition, Escalation, EscalationStatus
from bot.messaging.outbox import enqueue
from bot.persistence import utcnow
from bot.verification.service import release_identity_check


class CaseNotFound(LookupError):
    pass


class CaseForbidden(PermissionError):
    """The case is held by another collector, or the action needs a supervisor."""


class CaseConflict(Exception):
    """The case is not in a state that allows this (e.g. already claimed or resolved)."""


@dataclass(frozen=True)
class QueueEntry:
    escalation: Escalation
    waiting: timedelta
    answer_due: datetime
    sla_breached: bool


def _actor(collector: Collector) -> str:
    return f"collector:{collector.username}"


def readable_cases(viewer: Collector) -> Select[Escalation]:
    """The cases `viewer` may read and act on: open or their own (supervisors: all)."""
    query = select(Escalation)
    if not viewer.is_supervisor:
        query = query.where(
            (Escalation.claimed_by.is_(None)) | (Escalation.claimed_by == viewer.username)
        )
    return query


def queue(
    session: Session,
    *,
    viewer: Collector,
    hours: BusinessHours,
    sla: timedelta,
    include_resolved: bool = False,
    reason: str | None = None,
) -> list[QueueEntry]:
    """Cases the viewer may see, most urgent first: open and their own (supervisors: all)."""
    query = readable_cases(viewer)
    if not include_resolved:
        query = query.where(Escalation.status != EscalationStatus.RESOLVED)
    if reason:
        query = query.where(Escalation.reason == reason)
    now = utcnow()
    entries = []
    for escalation in session.scalars(query.order_by(Escalation.priority, Escalation.created_at)):
        due = hours.answer_due(escalation.created_at, sla)
        answered = escalation.first_human_reply_at
        entries.append(
            QueueEntry(
                escalation=escalation,
                waiting=(answered or now) - escalation.created_at,
                answer_due=due,
                sla_breached=(answered or now) > due,
            )
        )
    return entries


def case_for(session: Session, *, escalation_id: int, viewer: Collector) -> Escalation:
    """The case, if the viewer may read and act on it."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise CaseNotFound(escalation_id)
    readable = readable_cases(viewer).where(Escalation.id == escalation_id)
    if session.scalars(readable).first() is None:
        raise CaseForbidden("another collector holds this case")
    return escalation


def _held_by(session: Session, escalation_id: int, collector: Collector) -> Escalation:
    escalation = case_for(session, escalation_id=escalation_id, viewer=collector)
    if escalation.status == EscalationStatus.RESOLVED:
        raise CaseConflict("the case is resolved")
    if escalation.claimed_by != collector.username:
        raise CaseForbidden("claim the case first")
    return escalation


def claim(session: Session, *, escalation_id: int, collector: Collector) -> Escalation:
    """Take an open case; one collector per case, so a second claim is refused."""
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.OPEN)
        .values(status=EscalationStatus.CLAIMED, claimed_by=collector.username, claimed_at=utcnow())
    )
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        raise CaseNotFound(escalation_id)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if escalation.claimed_by == collector.username:
            return escalation
        raise CaseConflict(f"already {escalation.status} by {escalation.claimed_by or 'nobody'}")
    audit.record(
        session,
        actor=_actor(collector),
        action="case.claimed",
        conversation_id=escalation.conversation_id,
        escalation_id=escalation.id,
    )
    return escalation


def reassign(
    session: Session, *, escalation_id: int, supervisor: Collector, to: Collector
) -> Escalation:
    """A supervisor hands a case to another collector."""
    if not supervisor.is_supervisor:
        raise CaseForbidden("only supervisors reassign cases")
    escalation = case_for(session, escalation_id=escalation_id, viewer=supervisor)
    if escalation.status == EscalationStatus.RESOLVED:
        raise CaseConflict("the case is resolved")
    previous = escalation.claimed_by
    escalation.claimed_by = to.username
    escalation.claimed_at = utcnow()
    escalation.status = EscalationStatus.CLAIMED
    audit.record(
        session,
        actor=_actor(supervisor),
        action="case.reassigned",
        conversation_id=escalation.conversation_id,
        escalation_id=escalation.id,
        previous=previous,
        to=to.username,
    )
    return escalation


def reply(session: Session, *, escalation_id: int, collector: Collector, text: str) -> None:
    """Send the collector's words on the conversation's own channel, through the outbox."""
    escalation = _held_by(session, escalation_id, collector)
    conversation = session.get(Conversation, escalation.conversation_id)
    assert conversation is not None
    enqueue(
        session,
        conversation=conversation,
        text=text,
        author=Author.COLLECTOR,
        kind=MessageKind.COLLECTOR,
    )
    escalation.first_human_reply_at = escalation.first_human_reply_at or utcnow()
    audit.record(
        session,
        actor=_actor(collector),
        action="case.replied",
        conversation_id=conversation.id,
        escalation_id=escalation.id,
    )


def add_note(session: Session, *, escalation_id: int, collector: Collector, text: str) -> CaseNote:
    """An internal note, never sent to the cardholder."""
    escalation = _held_by(session, escalation_id, collector)
    note = CaseNote(escalation_id=escalation.id, author=collector.username, text=text)
    session.add(note)
    session.flush()
    return note


def amount_currency(session: Session, escalation_id: int) -> str:
    """The currency a collector's amounts on this case are in: its account's, else USD."""
    escalation = session.get(Escalation, escalation_id)
    conversation = escalation and session.get(Conversation, escalation.conversation_id)
    account = account_for(conversation.cardholder) if conversation else None
    return account.currency if account else "USD"


def record_outcome(
    session: Session,
    *,
    escalation_id: int,
    collector: Collector,
    disposition: Disposition,
    details: dict[str, Any],
) -> Escalation:
    """What was agreed; a dispute puts the disputed amount of the account on hold."""
    escalation = _held_by(session, escalation_id, collector)
    conversation = session.get(Conversation, escalation.conversation_id)
    assert conversation is not None
    if disposition is Disposition.DISPUTE_OPENED:
        amount = int(details.get("disputed_amount_minor") or 0)
        account = account_for(conversation.cardholder)
        if account is None:
            raise CaseConflict("a dispute needs a conversation with a known account")
        if not 0 < amount <= account.statement_balance_minor:
            raise CaseConflict("the disputed amount must be above 0 and within the balance")
        account.disputed_amount_minor = amount
    escalation.disposition = disposition
    escalation.disposition_details = details
    audit.record(
        session,
        actor=_actor(collector),
        action=f"outcome.{disposition.value}",
        conversation_id=conversation.id,
        cardholder_id=conversation.cardholder_id,
        escalation_id=escalation.id,
        **details,
    )
    return escalation


def resolve(
    session: Session,
    *,
    escalation_id: int,
    collector: Collector,
    return_to_bot: bool,
    resume_bot: Callable[[str, bool], None],
) -> Escalation:
    """Close the case and give the conversation back to the bot or end it.

    Giving back a conversation that met a locked identity check releases the lock for the
    person, on every channel. `resume_bot(conversation_id, unlocked)` tells Rasa first: if it
    fails, nothing changes here.
    """
    escalation = _held_by(session, escalation_id, collector)
    conversation = session.get(Conversation, escalation.conversation_id, with_for_update=True)
    assert conversation is not None
    unlocked = conversation.locked
    if return_to_bot:
        resume_bot(conversation.id, unlocked)
        conversation.state = ConversationState.BOT
        if unlocked:
            release_identity_check(session, conversation=conversation, by=_actor(collector))
    else:
        conversation.state = ConversationState.CLOSED
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolved_at = utcnow()
    escalation.resolved_by = collector.username
    audit.record(
        session,
        actor=_actor(collector),
        action="case.resolved",
        conversation_id=conversation.id,
        escalation_id=escalation.id,
        returned_to_bot=return_to_bot,
        lock_lifted=unlocked and return_to_bot,
    )
    return escalation
