"""The identity check against the database: pass, fail, lock out, and what gets recorded."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from bot.audit import AuditEvent
from bot.conversations.models import Conversation, ConversationState
from bot.conversations.service import open_sms_conversation, start_web_conversation
from bot.handoff.models import Escalation, EscalationReason
from bot.persistence import utcnow
from bot.verification.possession import PossessionNotProven
from bot.verification.service import release_identity_check, verify_identity
from tests.conftest import first_in_stage


@pytest.fixture
def m1(demo_portfolio):
    return first_in_stage(demo_portfolio, "M1")


def _start(sessions, phone, *, possession=True):
    """A web chat for `phone`; `possession`: it has entered the code texted to the number."""
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=phone)
        if possession:
            conversation.possession_proven_at = utcnow()
        return conversation.id


def _start_sms(sessions, settings, phone):
    with sessions.begin() as session:
        return open_sms_conversation(session, phone, settings=settings).id


def _attempt(sessions, settings, conversation_id, last4, born):
    with sessions.begin() as session:
        return verify_identity(
            session,
            conversation_id=conversation_id,
            card_last4=last4,
            date_of_birth=born,
            settings=settings,
        )


def test_right_answers_verify_the_conversation(sessions, settings, m1):
    conversation_id = _start(sessions, m1.phone_e164)
    outcome = _attempt(sessions, settings, conversation_id, m1.card_last4, m1.date_of_birth)
    assert outcome.verified and not outcome.locked
    with sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "verification.passed" in actions


@pytest.mark.parametrize("wrong", ["card", "birth"])
def test_either_wrong_answer_fails_without_saying_which(sessions, settings, m1, wrong):
    conversation_id = _start(sessions, m1.phone_e164)
    last4 = "0000" if wrong == "card" and m1.card_last4 != "0000" else m1.card_last4
    born = date(1900, 1, 1) if wrong == "birth" else m1.date_of_birth
    outcome = _attempt(sessions, settings, conversation_id, last4, born)
    assert not outcome.verified
    assert outcome.attempts_left == settings.max_verification_attempts - 1


def test_third_failure_locks_and_hands_to_a_human(sessions, settings, m1):
    conversation_id = _start(sessions, m1.phone_e164)
    outcomes = [
        _attempt(sessions, settings, conversation_id, m1.card_last4, date(1900, 1, n))
        for n in (1, 2, 3)
    ]
    assert [o.locked for o in outcomes] == [False, False, True]
    # Locked means locked: even the right answers no longer verify.
    after = _attempt(sessions, settings, conversation_id, m1.card_last4, m1.date_of_birth)
    assert after.locked and not after.verified
    with sessions() as session:
        escalations = session.scalars(select(Escalation)).all()
        conversation = escalations[0].conversation_id
        state = session.execute(
            text("SELECT state, failed_verification_count FROM conversations WHERE id = :id"),
            {"id": conversation},
        ).one()
    assert [e.reason for e in escalations] == [EscalationReason.VERIFICATION_LOCKOUT]
    assert state == (ConversationState.HUMAN, 3)


def test_unknown_number_never_verifies_and_looks_the_same(sessions, settings, demo_portfolio):
    someone = demo_portfolio[0]
    conversation_id = _start(sessions, "+19995550100")
    outcome = _attempt(
        sessions, settings, conversation_id, someone.card_last4, someone.date_of_birth
    )
    assert not outcome.verified
    assert outcome.attempts_left == settings.max_verification_attempts - 1


def test_date_of_birth_is_not_stored_in_clear(sessions, m1):
    with sessions() as session:
        stored = session.execute(text("SELECT dob_hash FROM cardholders")).scalars().all()
    assert m1.date_of_birth.isoformat() not in " ".join(stored)
    assert all(len(h) == 64 for h in stored)


def test_audit_events_cannot_be_changed_or_removed(sessions, settings, m1):
    conversation_id = _start(sessions, m1.phone_e164)
    _attempt(sessions, settings, conversation_id, "0000", date(1900, 1, 1))
    for statement in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"), sessions.begin() as session:
            session.execute(text(statement))


def test_failures_count_per_cardholder_across_chats_and_sms(sessions, settings, m1):
    """Three web chats and an SMS thread for one number share three attempts, not three each."""
    chats = [_start(sessions, m1.phone_e164) for _ in range(2)]
    sms = _start_sms(sessions, settings, m1.phone_e164)
    born = [date(1900, 1, n) for n in (1, 2, 3)]
    outcomes = [
        _attempt(sessions, settings, conversation, m1.card_last4, day)
        for conversation, day in zip([chats[0], chats[1], sms], born, strict=True)
    ]
    assert [o.attempts_left for o in outcomes] == [2, 1, 0]
    assert [o.locked for o in outcomes] == [False, False, True]

    # A fresh chat with the right answers is locked out too, and goes to a person.
    fourth = _start(sessions, m1.phone_e164)
    after = _attempt(sessions, settings, fourth, m1.card_last4, m1.date_of_birth)
    assert after.locked and not after.verified
    with sessions() as session:
        conversation = session.get(Conversation, fourth)
        assert conversation.verified_at is None and conversation.state == ConversationState.HUMAN
        reasons = session.scalars(
            select(Escalation.reason).where(Escalation.conversation_id == fourth)
        ).all()
    assert reasons == [EscalationReason.VERIFICATION_LOCKOUT]


def test_a_success_resets_the_count_for_the_next_conversation(sessions, settings, m1):
    first = _start(sessions, m1.phone_e164)
    _attempt(sessions, settings, first, m1.card_last4, date(1900, 1, 1))
    _attempt(sessions, settings, first, m1.card_last4, date(1900, 1, 2))
    assert _attempt(sessions, settings, first, m1.card_last4, m1.date_of_birth).verified
    later = _start(sessions, m1.phone_e164)
    outcome = _attempt(sessions, settings, later, m1.card_last4, date(1900, 1, 3))
    assert outcome.attempts_left == 2 and not outcome.locked


def test_only_a_collector_release_lifts_the_lock_for_every_channel(sessions, settings, m1):
    chat = _start(sessions, m1.phone_e164)
    for n in (1, 2, 3):
        _attempt(sessions, settings, chat, m1.card_last4, date(1900, 1, n))
    sms = _start_sms(sessions, settings, m1.phone_e164)
    assert _attempt(sessions, settings, sms, m1.card_last4, m1.date_of_birth).locked
    with sessions.begin() as session:
        released = release_identity_check(
            session, conversation=session.get(Conversation, chat), by="collector:alice"
        )
    assert released
    later = _start(sessions, m1.phone_e164)
    assert _attempt(sessions, settings, later, m1.card_last4, m1.date_of_birth).verified


def test_an_unknown_number_locks_after_the_same_attempts_as_a_cardholder(
    sessions, settings, demo_portfolio, m1
):
    """Nothing in the answers tells a stranger whether the number is a customer's."""

    def attempts(phone):
        outcomes = []
        for n in (1, 2, 3, 4):
            chat = _start(sessions, phone)
            outcome = _attempt(sessions, settings, chat, m1.card_last4, date(1900, 1, n))
            outcomes.append((outcome.verified, outcome.locked, outcome.attempts_left))
        return outcomes

    assert attempts("+19995550100") == attempts(m1.phone_e164)
    with sessions() as session:
        lockouts = session.scalars(
            select(Escalation.reason).where(
                Escalation.reason == EscalationReason.VERIFICATION_LOCKOUT
            )
        ).all()
    # The third failure and the fourth chat of each number went to a person.
    assert len(lockouts) == 4


def test_a_web_chat_cannot_verify_before_it_proves_it_holds_the_phone(sessions, settings, m1):
    chat = _start(sessions, m1.phone_e164, possession=False)
    with pytest.raises(PossessionNotProven):
        _attempt(sessions, settings, chat, m1.card_last4, m1.date_of_birth)
    with sessions() as session:
        conversation = session.get(Conversation, chat)
        assert conversation.verified_at is None and conversation.failed_verification_count == 0
        actions = session.scalars(select(AuditEvent.action)).all()
    assert not [a for a in actions if a.startswith("verification.")]
