from decimal import Decimal

import pytest

from bot.money import format_money, to_decimal, to_minor


def test_minor_units_round_trip_exactly():
    assert to_decimal(1234567, "CNY") == Decimal("12345.67")
    assert to_minor(Decimal("12345.67"), "CNY") == 1234567
    assert to_minor(Decimal("0.1") + Decimal("0.2"), "USD") == 30


def test_fractions_of_a_cent_are_refused():
    with pytest.raises(ValueError, match="decimal places"):
        to_minor(Decimal("1.005"), "USD")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(1234567, "CNY", "¥12,345.67"), (5, "USD", "$0.05"), (100000, "GBP", "£1,000.00")],
)
def test_amounts_are_shown_with_symbol_and_two_decimals(minor, currency, text):
    assert format_money(minor, currency) == text


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError, match="unsupported currency"):
        format_money(100, "XYZ")
