"""The repayment conversation end to end, through the web chat, real Rasa and action server."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.accounts.models import CardAccount
from bot.conversations.models import Conversation
from bot.money import format_money
from bot.persistence import utcnow
from bot.plans.models import InstalmentPlan
from bot.promises.models import PromiseToPay
from tests.contract.test_web_chat import Chat

pytestmark = pytest.mark.stack


def _verified_chat(running_stack, person):
    chat = Chat(running_stack, person.phone_e164)
    chat.say("hi")
    chat.say(person.card_last4)
    replies = chat.say(person.date_of_birth.isoformat())
    assert chat.last["verified"] is True
    return chat, replies


def test_reason_then_compare_plans_accept_one_and_the_numbers_match(running_stack):
    person = [d for d in running_stack.portfolio if d.stage == "M2-M3"][3]
    chat, replies = _verified_chat(running_stack, person)
    assert "why the payment was missed" in replies[-1]
    assert [b["title"] for b in chat.last["replies"][-1]["buttons"]][:2] == [
        "I forgot",
        "Short of money this month",
    ]

    options = chat.say("money is tight this month, payday is late")
    assert "what we can do" in options[-1]
    comparison = chat.say("can i pay in instalments")
    assert "3 months:" in comparison[-1] and "6 months:" in comparison[-1]
    assert "APR" in comparison[-1]

    asked = chat.say("the 6 month one")
    assert "Reply YES to accept the 6-month plan" in asked[-1]
    confirmation = chat.say("yes")[-1]

    with running_stack.sessions() as session:
        conversation = session.get(Conversation, chat.id)
        assert conversation.nonpayment_reason == "cash_flow"
        account = session.scalars(
            select(CardAccount).where(CardAccount.external_id == f"{person.external_id}-CARD")
        ).one()
        plan = session.scalars(
            select(InstalmentPlan).where(InstalmentPlan.account_id == account.id)
        ).one()
    assert plan.months == 6 and plan.principal_minor == person.overdue_amount_minor
    assert format_money(plan.instalments_minor[0], plan.currency) in confirmation
    assert format_money(plan.total_fee_minor, plan.currency) in confirmation
    assert f"APR {plan.apr_percent}%" in confirmation
    assert format_money(plan.instalments_minor[0], plan.currency) in asked[-1]


def test_a_promise_for_next_friday_read_back_and_confirmed(running_stack):
    person = [d for d in running_stack.portfolio if d.stage == "M2-M3"][4]
    chat, _ = _verified_chat(running_stack, person)
    chat.say("i forgot")
    amount = person.overdue_amount_minor // 200 / 1  # a round half of it, in major units
    read_back = chat.say(f"i can pay {amount:.0f} next friday")[-1]
    today = utcnow().astimezone(ZoneInfo(person.time_zone)).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    assert f"Friday {friday.day} {friday:%B}" in read_back
    assert read_back.endswith("Is that right?")
    stored_text = chat.say("yes")[-1]
    assert "noted your promise" in stored_text
    with running_stack.sessions() as session:
        promise = session.scalars(
            select(PromiseToPay).where(PromiseToPay.conversation_id == chat.id)
        ).one()
    assert promise.promised_date == friday
    assert promise.amount_minor == int(f"{amount:.0f}") * 100
    assert promise.status == "pending"


def test_a_wrong_number_hears_nothing_about_the_account(running_stack):
    person = [d for d in running_stack.portfolio if d.stage == "M1"][5]
    chat = Chat(running_stack, person.phone_e164)
    chat.say("hi")
    replies = chat.say("wrong number, i don't know this bank")
    assert replies == ["Sorry to have bothered you. We won't contact this number again."]
    assert chat.last["state"] == "closed"
