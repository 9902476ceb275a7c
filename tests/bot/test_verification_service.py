"""The identity check against the database: pass, fail, lock out, and what gets recorded."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from bot.audit import AuditEvent
from bot.conversations.models import ConversationState
from bot.conversations.service import start_web_conversation
from bot.handoff.models import Escalation, EscalationReason
from bot.verification.service import verify_identity
from tests.conftest import first_in_stage


@pytest.fixture
def m1(demo_portfolio):
    return first_in_stage(demo_portfolio, "M1")


def _start(sessions, phone):
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=phone)
        return conversation.id


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
