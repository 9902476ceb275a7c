"""The sending path against a local fake of Twilio's Messages API, with the real twilio client."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.accounts.service import find_cardholder_by_phone
from bot.conversations.models import (
    Author,
    Channel,
    Conversation,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.conversations.service import find_open_sms_conversation
from bot.devstack import free_port
from bot.messaging.consent import consent_withdrawn, withdraw_consent
from bot.messaging.outbox import OutboxDispatcher, Pacer, enqueue, record_status
from bot.messaging.transports import TwilioTransport
from tests.twilio_fake import FakeTwilio

PHONE = "+8613800000004"
NOTICE = "Reply STOP to opt out."


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


def _transport(base_url, *, timeout=2.0):
    return TwilioTransport(
        account_sid="ACtest",
        auth_token="secret",
        from_number="+15005550006",
        messaging_service_sid=None,
        api_base_url=base_url,
        timeout=timeout,
    )


def _queue(sessions, text="Hello from the bank", kind=MessageKind.REPLY, buttons=None):
    with sessions.begin() as session:
        conversation = find_open_sms_conversation(session, PHONE)
        if conversation is None:
            conversation = Conversation(channel=Channel.SMS, address=PHONE)
            session.add(conversation)
            session.flush()
        [message] = enqueue(
            session,
            conversation=conversation,
            text=text,
            author=Author.BOT,
            kind=kind,
            buttons=buttons,
        )
        return message.id


def _drain(sessions, base_url, *, rounds=8, max_attempts=3, timeout=2.0):
    """Run the dispatcher until nothing is due (retries are due almost at once here)."""

    async def go():
        transport = _transport(base_url, timeout=timeout)
        dispatcher = OutboxDispatcher(
            sessions,
            transport,
            rate_per_second=1000,
            status_callback_url="https://bank.example/webhooks/twilio/status",
            max_attempts=max_attempts,
            retry_base_seconds=0.001,
        )
        try:
            for _ in range(rounds):
                await dispatcher.dispatch_due()
                await asyncio.sleep(0.01)
        finally:
            await transport.close()

    asyncio.run(go())


def _message(sessions, message_id):
    with sessions() as session:
        return session.get(Message, message_id)


def test_a_queued_message_reaches_twilio_once_and_is_marked_sent(sessions, fake_twilio):
    message_id = _queue(sessions)
    _drain(sessions, fake_twilio.base_url)
    [sms] = fake_twilio.received
    assert (sms.to, sms.sender, sms.body, sms.auth_user) == (
        PHONE,
        "+15005550006",
        f"Hello from the bank\n{NOTICE}",
        "ACtest",
    )
    assert sms.status_callback == "https://bank.example/webhooks/twilio/status"
    message = _message(sessions, message_id)
    assert message.status == MessageStatus.SENT
    assert message.provider_message_id.startswith("SM")
    assert message.attempts == 1


@pytest.mark.parametrize("transient", ["429", "500", "hang"])
def test_transient_failures_are_retried_until_sent(sessions, fake_twilio, transient):
    fake_twilio.will(transient, "ok")
    message_id = _queue(sessions)
    _drain(sessions, fake_twilio.base_url, timeout=0.5)
    message = _message(sessions, message_id)
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2


def test_a_provider_that_keeps_failing_is_given_up_on_after_max_attempts(sessions, fake_twilio):
    fake_twilio.will("500", "500", "500", "ok")
    message_id = _queue(sessions)
    _drain(sessions, fake_twilio.base_url, max_attempts=3)
    message = _message(sessions, message_id)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert len(fake_twilio.received) == 3


def test_connection_refused_is_retried_not_lost(sessions):
    message_id = _queue(sessions)
    _drain(sessions, f"http://127.0.0.1:{free_port()}", rounds=2, max_attempts=5)
    message = _message(sessions, message_id)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 2
    assert "unreachable" in message.error_message


@pytest.mark.parametrize("code", ["21211", "21610"])
def test_permanent_errors_are_recorded_and_not_retried(sessions, fake_twilio, code):
    fake_twilio.will(code)
    message_id = _queue(sessions)
    _drain(sessions, fake_twilio.base_url)
    message = _message(sessions, message_id)
    assert (message.status, message.error_code) == (MessageStatus.FAILED, code)
    assert len(fake_twilio.received) == 1
    with sessions() as session:
        assert consent_withdrawn(session, channel="sms", address=PHONE) is (code == "21610")


def test_nothing_reaches_an_address_that_opted_out_but_its_confirmation(sessions, fake_twilio):
    with sessions.begin() as session:
        withdraw_consent(session, channel="sms", address=PHONE, by="keyword")
    reply = _queue(sessions, "Anything else?")
    confirmation = _queue(
        sessions, "You will no longer receive messages", MessageKind.OPT_OUT_CONFIRMATION
    )
    _drain(sessions, fake_twilio.base_url)
    assert fake_twilio.bodies_to(PHONE) == ["You will no longer receive messages"]
    assert _message(sessions, reply).status == MessageStatus.BLOCKED
    assert _message(sessions, confirmation).status == MessageStatus.SENT


def test_a_crash_between_claim_and_send_is_picked_up_on_start(sessions, fake_twilio):
    message_id = _queue(sessions)
    with sessions.begin() as session:
        session.get(Message, message_id).status = MessageStatus.SENDING

    async def go():
        transport = _transport(fake_twilio.base_url)
        dispatcher = OutboxDispatcher(
            sessions, transport, rate_per_second=1000, status_callback_url=None
        )
        assert await asyncio.to_thread(dispatcher.recover) == 1
        await dispatcher.dispatch_due()
        await transport.close()

    asyncio.run(go())
    assert _message(sessions, message_id).status == MessageStatus.SENT
    assert len(fake_twilio.received) == 1


def test_buttons_go_as_one_numbered_sms(sessions, fake_twilio):
    buttons = [
        {"title": "Pay now", "payload": "/pay"},
        {"title": "Talk to someone", "payload": "/human"},
    ]
    _queue(sessions, "What would you like to do?", buttons=buttons)
    _drain(sessions, fake_twilio.base_url)
    assert fake_twilio.bodies_to(PHONE) == [
        "What would you like to do?\n1. Pay now\n2. Talk to someone\n"
        f"Reply with a number.\n{NOTICE}"
    ]


def test_status_callbacks_move_the_message_forward_only(sessions, fake_twilio):
    message_id = _queue(sessions)
    _drain(sessions, fake_twilio.base_url)
    sid = _message(sessions, message_id).provider_message_id
    with sessions.begin() as session:
        assert record_status(session, provider_message_id=sid, status="delivered", error_code=None)
        assert record_status(session, provider_message_id=sid, status="sent", error_code=None)
        assert not record_status(
            session, provider_message_id="SMunknown", status="sent", error_code=None
        )
    message = _message(sessions, message_id)
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None


def test_an_undelivered_opt_out_callback_withdraws_consent(sessions, fake_twilio):
    message_id = _queue(sessions)
    _drain(sessions, fake_twilio.base_url)
    sid = _message(sessions, message_id).provider_message_id
    with sessions.begin() as session:
        record_status(session, provider_message_id=sid, status="undelivered", error_code="21610")
    with sessions() as session:
        assert consent_withdrawn(session, channel="sms", address=PHONE)
        assert session.scalars(select(Message.status)).one() == MessageStatus.UNDELIVERED


def test_pacer_spaces_segments_at_the_configured_rate():
    now = [100.0]
    pacer = Pacer(rate=1.0, clock=lambda: now[0])
    assert [pacer.delay_for(1), pacer.delay_for(2), pacer.delay_for(1)] == [0.0, 1.0, 3.0]
    now[0] = 110.0
    assert pacer.delay_for(1) == 0.0


def test_only_the_first_sms_of_a_conversation_carries_the_opt_out_notice(sessions, demo_portfolio):
    chinese = next(d for d in demo_portfolio if d.locale == "zh-CN")
    with sessions.begin() as session:
        cardholder = find_cardholder_by_phone(session, chinese.phone_e164)
        conversation = Conversation(
            channel=Channel.SMS, address=chinese.phone_e164, cardholder_id=cardholder.id
        )
        session.add(conversation)
        session.flush()
        first, second = (
            enqueue(
                session,
                conversation=conversation,
                text=text,
                author=Author.BOT,
                kind=MessageKind.REPLY,
            )[0].text
            for text in ("您好", "请问还有什么可以帮您?")
        )
    assert first == "您好\n回复TD退订"
    assert second == "请问还有什么可以帮您?"
