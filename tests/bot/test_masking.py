import pytest

from bot.masking import find_card_numbers, luhn_valid, mask_card_numbers


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
