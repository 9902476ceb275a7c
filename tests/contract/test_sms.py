"""SMS end to end: signed webhooks in, real Rasa and action servers, the twilio client out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversations.models import Conversation, Message
from bot.disclosure import pre_verification_violation
from bot.messaging.consent import consent_withdrawn
from bot.money import format_money
from tests.contract.handset import Handset
from tests.waiting import wait_for

pytestmark = pytest.mark.stack


def test_verify_by_sms_hear_the_amount_then_stop(running_stack):
    person = [d for d in running_stack.portfolio if d.stage == "M2-M3"][1]
    phone = Handset(running_stack, person.phone_e164)

    greeting = phone.text("hi", expect_replies=2)
    assert "last 4 digits" in greeting[-1]
    assert all(pre_verification_violation(r) is None for r in greeting)
    assert greeting[0].endswith("Reply STOP to opt out.")
    assert "STOP" not in greeting[-1]

    assert "date of birth" in phone.text(person.card_last4)[-1]
    explanation = phone.text(person.date_of_birth.isoformat(), expect_replies=2)
    assert format_money(person.overdue_amount_minor, person.currency) in explanation[0]

    confirmation = phone.text("STOP")
    assert "no longer receive messages" in confirmation[0]
    phone.text("hello? how much do I owe", expect_replies=0)
    phone.text("please call me", expect_replies=0)

    def both_stored():
        with running_stack.sessions() as session:
            return (
                session.scalars(
                    select(Message.text)
                    .join(Conversation)
                    .where(
                        Conversation.address == person.phone_e164, Message.direction == "inbound"
                    )
                    .order_by(Message.id)
                ).all()[-1]
                == "please call me"
            )

    wait_for(both_stored, what="the last message stored")
    total = len(phone.received())
    with running_stack.sessions() as session:
        assert consent_withdrawn(session, channel="sms", address=person.phone_e164)
        conversation = session.scalars(
            select(Conversation).where(Conversation.address == person.phone_e164)
        ).one()
        assert conversation.verified_at is not None
    assert phone.received()[-1] == confirmation[0]
    assert len(phone.received()) == total


def test_stop_in_words_through_the_dialogue_model(running_stack):
    person = [d for d in running_stack.portfolio if d.stage == "M1"][2]
    phone = Handset(running_stack, person.phone_e164)
    phone.text("hi", expect_replies=2)
    confirmation = phone.text("please stop texting me")
    assert "no longer receive messages" in confirmation[0]
    phone.text("hello", expect_replies=0)
    with running_stack.sessions() as session:
        assert consent_withdrawn(session, channel="sms", address=person.phone_e164)
