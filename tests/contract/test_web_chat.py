"""Whole conversations through the api, with the real Rasa server and action server behind it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from bot.audit import AuditEvent
from bot.conversations.models import Conversation, Message
from bot.disclosure import pre_verification_violation
from bot.handoff.models import Escalation
from bot.money import format_money
from tests.contract.handset import Handset
from tests.contract.test_handoff import CHROMIUM_FLAGS, chromium_path
from tests.waiting import wait_for
from tests.webchat import enter_code, start_chat, texted_codes

pytestmark = pytest.mark.stack


class Chat:
    """A person in the web chat, holding the phone: they enter the code texted to it."""

    def __init__(self, running_stack, phone, *, code=True):
        self.http = running_stack.http
        self.id, self.auth = start_chat(self.http, phone)
        if code:
            entered = enter_code(
                self.http, self.id, self.auth, texted_codes(running_stack.sessions, phone)[-1]
            )
            assert entered.status_code == 200, entered.text
        self.last = None

    def say(self, text):
        response = self.http.post(
            f"/api/chat/conversations/{self.id}/messages", json={"text": text}, headers=self.auth
        )
        assert response.status_code == 200, response.text
        self.last = response.json()
        assert self.last["degraded"] is False
        return [reply["text"] for reply in self.last["replies"]]


def _wrong_last4(right):
    return "0000" if right != "0000" else "1111"


def _pick(portfolio, stage, index=0):
    return [d for d in portfolio if d.stage == stage][index]


def test_verify_after_one_mistake_and_hear_what_is_overdue(running_stack):
    person = _pick(running_stack.portfolio, "M2-M3")
    chat = Chat(running_stack, person.phone_e164)

    greeting = chat.say("hi")
    assert "virtual assistant" in greeting[0]
    assert "last 4 digits" in greeting[-1]

    assert "date of birth" in chat.say(_wrong_last4(person.card_last4))[-1]
    mismatch = chat.say(person.date_of_birth.isoformat())
    assert "don't match" in mismatch[0] and "2 more attempt" in mismatch[0]
    assert "last 4 digits" in mismatch[-1]
    for reply in greeting + mismatch:
        assert pre_verification_violation(reply) is None

    chat.say(f"it's {person.card_last4}")
    explanation = chat.say(person.date_of_birth.strftime("%d/%m/%Y"))
    assert chat.last["verified"] is True
    assert format_money(person.overdue_amount_minor, person.currency) in explanation[0]
    assert format_money(person.minimum_due_minor, person.currency) in explanation[0]
    assert f"{person.days_past_due} days ago" in explanation[0]
    assert "why the payment was missed" in explanation[-1]
    assert "Goodbye" in chat.say("no thanks")[0]

    with running_stack.sessions() as session:
        conversation = session.get(Conversation, chat.id)
        assert conversation.verified_at is not None
        assert conversation.failed_verification_count == 1
        messages = session.scalars(
            select(Message).where(Message.conversation_id == chat.id).order_by(Message.id)
        ).all()
        # The identity answers are not kept: the check read them from Rasa's tracker.
        inbound = [m.text for m in messages if m.direction == "inbound"]
        assert inbound == [
            "hi",
            "[hidden]",
            "[date hidden]",
            "it's [hidden]",
            "[date hidden]",
            "no thanks",
        ]
        for text in inbound:
            assert person.card_last4 not in text
            assert str(person.date_of_birth.year) not in text
        assert sum(m.direction == "outbound" for m in messages) >= 8
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.conversation_id == chat.id)
        ).all()
        assert actions == [
            "conversation.started",
            "possession.code_issued",
            "possession.proven",
            "verification.failed",
            "verification.passed",
        ]


def test_three_failures_lock_the_conversation_and_a_human_takes_it(running_stack):
    person = _pick(running_stack.portfolio, "M1")
    chat = Chat(running_stack, person.phone_e164)
    chat.say("how much do i owe")
    for attempt, born in enumerate([date(1961, 1, 1), date(1962, 2, 2), date(1963, 3, 3)], start=1):
        chat.say(person.card_last4)
        replies = chat.say(born.isoformat())
        if attempt < 3:
            assert f"{3 - attempt} more attempt" in replies[0]
    assert "colleague" in replies[-1]
    assert chat.last["state"] == "human"
    assert chat.last["verified"] is False
    for reply in replies:
        assert pre_verification_violation(reply) is None

    # Locked: the bot stays quiet, the message is kept for the collector.
    assert chat.say(f"{person.card_last4} {person.date_of_birth.isoformat()}") == []
    assert chat.last["state"] == "human"
    with running_stack.sessions() as session:
        conversation = session.get(Conversation, chat.id)
        assert conversation.locked and conversation.verified_at is None
        [escalation] = session.scalars(
            select(Escalation).where(Escalation.conversation_id == chat.id)
        )
        assert escalation.reason == "verification_lockout"
        last = session.scalars(
            select(Message).where(Message.conversation_id == chat.id).order_by(Message.id.desc())
        ).first()
        assert last.direction == "inbound"


def test_unknown_number_is_never_told_anything(running_stack):
    """By SMS (the phone is proved) a stranger fails like anyone; by web chat they never get in."""
    someone = _pick(running_stack.portfolio, "M4+")
    stranger = Handset(running_stack, "+12025559999")
    replies = stranger.text("hi", expect_replies=2)
    replies += stranger.text(someone.card_last4)
    replies += stranger.text(someone.date_of_birth.isoformat(), expect_replies=2)
    assert "don't match" in replies[-2]
    for reply in replies:
        assert pre_verification_violation(reply) is None

    chat = Chat(running_stack, "+12025559998", code=False)
    assert texted_codes(running_stack.sessions, "+12025559998") == []
    guess = enter_code(running_stack.http, chat.id, chat.auth, "000000")
    assert guess.json()["error"]["code"] == "wrong_code"
    refused = running_stack.http.post(
        f"/api/chat/conversations/{chat.id}/messages", json={"text": "hello"}, headers=chat.auth
    )
    assert refused.status_code == 403


def test_a_typed_command_is_answered_as_text_not_obeyed(running_stack):
    person = _pick(running_stack.portfolio, "pre-due")
    chat = Chat(running_stack, person.phone_e164)
    chat.say("hi")
    # Obeyed, "/restart" would run Rasa's restart, which answers nothing and forgets the
    # conversation; as text it gets an answer like any other message.
    assert chat.say("/restart")
    assert chat.last["verified"] is False


def test_asking_for_a_person_pauses_the_bot(running_stack):
    person = _pick(running_stack.portfolio, "M4+")
    chat = Chat(running_stack, person.phone_e164)
    chat.say("hi")
    replies = chat.say("i want to talk to a real person")
    assert "colleague" in replies[-1]
    assert chat.say("hello?") == []
    with running_stack.sessions() as session:
        [escalation] = session.scalars(
            select(Escalation).where(Escalation.conversation_id == chat.id)
        )
        assert escalation.reason == "asked_for_human"


def test_words_of_self_harm_go_to_a_person_with_the_emergency_advice(running_stack):
    person = _pick(running_stack.portfolio, "M1")
    chat = Chat(running_stack, person.phone_e164)
    chat.say("hi")
    replies = chat.say("i can't go on")
    assert "emergency number" in replies[-1]
    assert "colleague" in replies[-1]
    assert chat.say("hello?") == []
    with running_stack.sessions() as session:
        [escalation] = session.scalars(
            select(Escalation).where(Escalation.conversation_id == chat.id)
        )
        assert escalation.reason == "distress"
        # The summary quotes the cardholder, not the intent that stood in for their words.
        assert "i can't go on" in escalation.summary


def test_the_chat_page_asks_for_the_texted_code_and_offers_a_new_chat_when_it_ends(
    running_stack, artifacts_dir
):
    person = _pick(running_stack.portfolio, "M1", 1)
    shots = artifacts_dir / "browser"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 480, "height": 900})
        try:
            page.goto(running_stack.stack.api_url + "/chat")
            page.fill("#phone", person.phone_e164)
            page.click("#start button[type=submit]")
            expect(page.locator("#code-sent")).to_contain_text(person.phone_e164)
            expect(page.locator("#composer")).to_be_hidden()
            # The code is what the phone received (the outbox holds the text message).
            code = wait_for(
                lambda: texted_codes(running_stack.sessions, person.phone_e164), what="the code"
            )[-1]
            page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
            page.click("#possession button[type=submit]")
            expect(page.locator("#code-error")).to_contain_text("not right")
            page.screenshot(path=str(shots / "chat-1-code.png"), full_page=True)

            page.fill("#code", code)
            page.click("#possession button[type=submit]")
            expect(page.locator("#composer")).to_be_visible()
            page.fill("#text", "hi")
            page.press("#text", "Enter")
            expect(page.locator(".msg.bot").last).to_contain_text("last 4 digits")
            page.screenshot(path=str(shots / "chat-2-open.png"), full_page=True)

            # Idle past the session's end: the next message is refused and the page says so.
            with running_stack.sessions.begin() as session:
                conversation = session.scalars(
                    select(Conversation).where(
                        Conversation.address == person.phone_e164, Conversation.channel == "web"
                    )
                ).one()
                conversation.created_at = conversation.created_at - timedelta(hours=2)
                conversation.last_seen_at = conversation.last_seen_at - timedelta(hours=1)
            page.fill("#text", person.card_last4)
            page.press("#text", "Enter")
            expect(page.locator("#ended-message")).to_contain_text("start a new chat")
            page.screenshot(path=str(shots / "chat-3-ended.png"), full_page=True)
            page.click("#restart")
            expect(page.locator("#phone")).to_be_visible()
        finally:
            browser.close()
