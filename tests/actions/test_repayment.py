"""Reasons, pay-now links, already-paid checks and wrong numbers, with real trackers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.repayment import (
    ActionCheckPayment,
    ActionPayNow,
    ActionRecordPaymentClaim,
    ActionRecordReason,
    ActionWrongNumber,
)
from api.main import create_app
from bot.accounts.models import CardAccount, Payment
from bot.conversations.models import Channel, Conversation, Message, MessageKind
from bot.devstack import free_port
from bot.masking import find_card_numbers
from bot.messaging.models import ContactConsent
from bot.payments.links import InvalidLink, read_link_token
from bot.promises.models import PaymentClaim
from bot.rasa_client import RasaClient


def _tracker(conversation_id, text="", intent="inform", slots=None):
    return Tracker(
        sender_id=conversation_id,
        slots={"verified": True, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.97}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _account(sessions, person):
    with sessions() as session:
        return session.scalars(
            select(CardAccount).where(CardAccount.external_id == f"{person.external_id}-CARD")
        ).one()


def test_the_reason_is_recorded_once(verified_conversation, domain, sessions):
    ActionRecordReason().run(
        CollectingDispatcher(), _tracker(verified_conversation, intent="reason_forgot"), domain
    )
    ActionRecordReason().run(
        CollectingDispatcher(), _tracker(verified_conversation, intent="refuse_to_pay"), domain
    )
    with sessions() as session:
        assert session.get(Conversation, verified_conversation).nonpayment_reason == "forgot"


def test_pay_now_sends_a_signed_expiring_link_and_no_card_number(
    verified_conversation, domain, settings, sessions, m2
):
    dispatcher = CollectingDispatcher()
    ActionPayNow().run(dispatcher, _tracker(verified_conversation, intent="pay_now"), domain)
    text = dispatcher.messages[0]["text"]
    assert not find_card_numbers(text)
    url = next(word for word in text.split() if word.startswith("http"))
    token = parse_qs(urlsplit(url).query)["t"][0]
    secret = settings.payment_link_secret.get_secret_value()
    claims = read_link_token(token, secret=secret, now=datetime.now(UTC))
    assert claims.amount_minor == m2.overdue_amount_minor
    assert claims.account_id == _account(sessions, m2).id
    with pytest.raises(InvalidLink, match="expired"):
        read_link_token(token, secret=secret, now=datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(InvalidLink, match="signature"):
        read_link_token(token[:-2] + "xx", secret=secret, now=datetime.now(UTC))

    app = create_app(
        settings, sessions=sessions, rasa=RasaClient(f"http://127.0.0.1:{free_port()}", "t")
    )
    with TestClient(app) as client:
        page = client.get("/pay", params={"t": token})
        assert page.status_code == 200 and f"card ending {m2.card_last4}" in page.text
        assert client.get("/pay", params={"t": token + "x"}).status_code == 400


def test_pay_now_needs_a_verified_person(conversation_id, domain):
    dispatcher = CollectingDispatcher()
    ActionPayNow().run(dispatcher, _tracker(conversation_id, intent="pay_now"), domain)
    assert dispatcher.messages[0]["response"] == "utter_verify_first"


def test_already_paid_with_a_payment_on_record(verified_conversation, domain, sessions, m2):
    account = _account(sessions, m2)
    with sessions.begin() as session:
        session.add(
            Payment(
                account_id=account.id,
                amount_minor=5000,
                currency=m2.currency,
                paid_at=datetime.now(UTC),
                reference="REF-1",
            )
        )
    dispatcher = CollectingDispatcher()
    events = ActionCheckPayment().run(
        dispatcher, _tracker(verified_conversation, intent="already_paid"), domain
    )
    assert events[0]["value"] is True
    assert "we have received" in dispatcher.messages[0]["text"]


def test_already_paid_without_a_payment_records_the_claim(verified_conversation, domain, sessions):
    dispatcher = CollectingDispatcher()
    events = ActionCheckPayment().run(
        dispatcher, _tracker(verified_conversation, intent="already_paid"), domain
    )
    assert events[0]["value"] is False and dispatcher.messages == []
    dispatcher = CollectingDispatcher()
    tracker = _tracker(verified_conversation, slots={"payment_claim_details": "paid 250 yesterday"})
    ActionRecordPaymentClaim().run(dispatcher, tracker, domain)
    assert "noted your payment" in dispatcher.messages[0]["text"]
    with sessions() as session:
        claim = session.scalars(select(PaymentClaim)).one()
    assert claim.amount_minor == 25000 and claim.status == "unverified"


def test_wrong_number_discloses_nothing_and_is_never_contacted_again(
    sessions, domain, demo_portfolio
):
    person = demo_portfolio[5]
    with sessions.begin() as session:
        conversation = Conversation(channel=Channel.SMS, address=person.phone_e164)
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    dispatcher = CollectingDispatcher()
    ActionWrongNumber().run(
        dispatcher,
        _tracker(conversation_id, "wrong number", "wrong_number", {"verified": False}),
        domain,
    )
    assert dispatcher.messages == []  # on SMS the goodbye goes as the one allowed message
    with sessions() as session:
        consent = session.scalars(select(ContactConsent)).one()
        assert (consent.reason, consent.withdrawn) == ("wrong_party", True)
        assert session.get(Conversation, conversation_id).state == "closed"
        [goodbye] = session.scalars(select(Message)).all()
        assert goodbye.kind == MessageKind.OPT_OUT_CONFIRMATION
        assert "won't contact this number again" in goodbye.text
        assert "$" not in goodbye.text and "overdue" not in goodbye.text
