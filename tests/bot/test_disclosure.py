"""Before verification nothing may reveal a debt, an amount or card digits beyond the last 4."""

from pathlib import Path

import pytest
import yaml

from bot.disclosure import pre_verification_violation

ROOT = Path(__file__).resolve().parents[2]
# Responses the dialogue only uses after verification.
AFTER_VERIFICATION = {
    "utter_anything_else",
    "utter_how_can_i_help",
    "utter_ask_reason",
    "utter_offer_options",
    "utter_consequences",
    "utter_ask_promise_amount",
    "utter_ask_promise_date",
    "utter_ask_payment_claim_details",
}


@pytest.mark.parametrize(
    "text",
    [
        "Your card ending 1234 has an overdue amount of $12.00.",
        "You owe us money",
        "Please settle your debt",
        "Payment of ¥500 is due",
        "USD 40 is waiting",
        "Your balance is 1,234.56",
        "您的信用卡已逾期",
        "请尽快还款",
        "Your card 4111 1111 1111 1111",
    ],
)
def test_disclosing_texts_are_caught(text):
    assert pre_verification_violation(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Hi! I'm the virtual assistant for your credit card.",
        "What are the last 4 digits of your card?",
        "For example 1985-03-21.",
        "Call us on +1 800 555 0100.",
        "You have 2 more attempt(s).",
    ],
)
def test_safe_texts_pass(text):
    assert pre_verification_violation(text) is None


def test_every_response_that_can_precede_verification_is_limited_content():
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    for name, variants in responses.items():
        if name in AFTER_VERIFICATION:
            continue
        for variant in variants:
            assert pre_verification_violation(variant["text"]) is None, name
