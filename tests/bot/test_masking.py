from datetime import date

import pytest
import yaml

from bot.masking import (
    DATE_HIDDEN,
    find_card_numbers,
    is_identity_question,
    luhn_valid,
    mask_card_data,
    mask_card_numbers,
    mask_for_storage,
)
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    "number", ["4111111111111111", "5500005555555559", "378282246310005", "6011000990139424"]
)
def test_real_test_card_numbers_pass_luhn(number):
    assert luhn_valid(number)


def test_a_mistyped_card_number_fails_luhn():
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "text",
    ["my card is 4111 1111 1111 1111", "4111-1111-1111-1111 pls", "card:4111111111111111."],
)
def test_full_card_numbers_are_masked_to_the_last_four(text):
    masked = mask_card_numbers(text)
    assert "4111" not in masked.replace("**** 1111", "")
    assert "**** 1111" in masked
    assert find_card_numbers(text) == ["4111111111111111"]


@pytest.mark.parametrize(
    "text",
    [
        "call me on 13800138000",
        "order 4111111111111112",
        "1234",
        "born 1985-03-21",
        "+8613800000004",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_card_numbers(text) == text


def test_a_card_number_followed_by_other_digits_is_still_found():
    assert find_card_numbers("4111111111111111 12/29 123") == ["4111111111111111"]
    assert mask_card_numbers("4111 1111 1111 1111 12 29") == "**** 1111 12 29"
    assert mask_card_numbers("ref 123 4111-1111-1111-1111") == "ref 123 **** 1111"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("4111 1111 1111 1111 expiry 12/29 cvv 123", "**** 1111", ["12/29", "123"]),
        ("my card 4111111111111111 12/29 123", "**** 1111", ["12/29", "123"]),
        ("**** 1111 expiry 12/29 cvv 123", "**** 1111", ["12/29", "123"]),
        ("4111111111111111 exp 01/2030 security code 0420", "**** 1111", ["01/2030", "0420"]),
        ("cvv: 987", "cvv", ["987"]),
        ("the CVC2 is 1234", "CVC2", ["1234"]),
        ("Valid thru 11-28", "Valid thru", ["11-28"]),
        ("有效期 12/29 安全码 123", "有效期", ["12/29", "123"]),
    ],
)
def test_card_data_next_to_a_card_number_or_named_is_hidden(text, kept, gone):
    masked = mask_card_data(text)
    assert kept in masked
    for value in gone:
        assert value not in masked.replace(kept, "")


@pytest.mark.parametrize(
    "text",
    ["pay 500 on 12/15", "I can pay 1,200 on 2026-11-25", "123 Main Street", "my code is 123"],
)
def test_numbers_without_a_card_or_a_name_for_them_are_kept(text):
    assert mask_card_data(text) == text


TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    "text",
    [
        "born 1985-03-21",
        "21/03/1985",
        "3/21/85",
        "21.03.1985",
        "1985年3月21日",
        "21 March 1985",
        "March 21st, 1985",
        "the 21st of March 1985",
        "19850321",
    ],
)
def test_dates_of_birth_are_hidden_wherever_they_are_typed(text):
    masked = mask_for_storage(text, today=TODAY)
    assert DATE_HIDDEN in masked
    assert "1985" not in masked and "85" not in masked.replace(DATE_HIDDEN, "")


@pytest.mark.parametrize(
    "text", ["I paid on 2024-05-01", "I paid on 01/05/24", "I'll pay 500 on 25/11/2026", "12/15"]
)
def test_recent_and_coming_dates_stay(text):
    assert mask_for_storage(text, today=TODAY) == text


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("1234", "[hidden]"),
        ("it's 1234 thanks", "it's [hidden] thanks"),
        ("0420", "[hidden]"),
        ("the 21st of march 85", "the [hidden]"),
        ("May 21, 1985", "[date hidden]"),
        ("2001-02-03", "[date hidden]"),
        ("I want to talk to a person", "I want to talk to a person"),
        ("May I speak to someone", "May I speak to someone"),
    ],
)
def test_answers_to_identity_questions_keep_no_digits_or_dates(answer, stored):
    assert mask_for_storage(answer, today=TODAY, answers_identity_question=True) == stored


IDENTITY_RESPONSES = {
    "utter_ask_card_last4",
    "utter_ask_date_of_birth",
    "utter_card_last4_invalid",
    "utter_date_of_birth_invalid",
    "utter_full_card_number_refused",
}


def test_the_identity_questions_are_recognised_exactly_in_the_bots_responses():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    asking = {
        name
        for name, variants in domain["responses"].items()
        if any(is_identity_question(variant.get("text", "")) for variant in variants)
    }
    assert asking == IDENTITY_RESPONSES
