"""Explaining what is due, only to a verified person."""

from rasa_sdk.executor import CollectingDispatcher

from actions.account import ActionExplainOverdue
from bot.conversations.models import Conversation
from bot.money import format_money
from bot.persistence import utcnow
from tests.actions.trackers import plain_tracker


def test_verified_person_hears_the_overdue_amount_from_the_database(
    conversation_id, domain, m2, sessions
):
    with sessions.begin() as session:
        session.get(Conversation, conversation_id).verified_at = utcnow()
    dispatcher = CollectingDispatcher()
    events = ActionExplainOverdue().run(
        dispatcher, plain_tracker(conversation_id, slots={"verified": True}), domain
    )
    assert events == []
    message, follow_up = dispatcher.messages
    assert format_money(m2.overdue_amount_minor, m2.currency) in message["text"]
    assert format_money(m2.minimum_due_minor, m2.currency) in message["text"]
    assert f"card ending {m2.card_last4}" in message["text"]
    assert f"{m2.days_past_due} days ago" in message["text"]
    # Something is overdue and no reason is known yet: ask why, once.
    assert follow_up["response"] == "utter_ask_reason"


def test_once_the_reason_is_known_it_is_not_asked_again(conversation_id, domain, sessions):
    with sessions.begin() as session:
        conversation = session.get(Conversation, conversation_id)
        conversation.verified_at = utcnow()
        conversation.nonpayment_reason = "forgot"
    dispatcher = CollectingDispatcher()
    ActionExplainOverdue().run(
        dispatcher, plain_tracker(conversation_id, slots={"verified": True}), domain
    )
    assert dispatcher.messages[-1]["response"] == "utter_anything_else"


def test_a_slot_that_says_verified_is_not_enough(conversation_id, domain):
    dispatcher = CollectingDispatcher()
    events = ActionExplainOverdue().run(
        dispatcher, plain_tracker(conversation_id, slots={"verified": True}), domain
    )
    assert dispatcher.messages == []
    assert events == [{"event": "slot", "timestamp": None, "name": "verified", "value": False}]


def test_an_amount_under_dispute_is_said_to_be_on_hold(conversation_id, domain, m2, sessions):
    from bot.accounts.models import CardAccount

    with sessions.begin() as session:
        session.get(Conversation, conversation_id).verified_at = utcnow()
        account = session.query(CardAccount).filter_by(external_id=f"{m2.external_id}-CARD").one()
        account.disputed_amount_minor = 1234
    dispatcher = CollectingDispatcher()
    ActionExplainOverdue().run(
        dispatcher, plain_tracker(conversation_id, slots={"verified": True}), domain
    )
    held = format_money(1234, m2.currency)
    assert f"{held} is on hold while we look into your dispute" in dispatcher.messages[0]["text"]
