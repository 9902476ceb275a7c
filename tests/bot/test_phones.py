import pytest

from bot.phones import normalize_e164


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+86 138 0000 0004", "+8613800000004"),
        ("+1 (202) 555-0001", "+12025550001"),
        ("0044 7700 900003", "+447700900003"),
        ("+12025550001", "+12025550001"),
    ],
)
def test_typed_numbers_become_e164(typed, e164):
    assert normalize_e164(typed) == e164


@pytest.mark.parametrize(
    "typed", ["2025550001", "+0123456789", "+1 202", "call me", "", "+1234567890123456"]
)
def test_numbers_that_are_not_e164_are_refused(typed):
    assert normalize_e164(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "+٨٦١٣٨٠٠٠٠٠٠٠٤",  # Arabic-Indic digits
        "+８６１３８００００００４",  # full-width digits
        "+86१३८००००००४",  # Devanagari digits after an ASCII country code
        "+8613800000004\u0000",
    ],
)
def test_digits_of_other_scripts_are_refused(typed):
    assert normalize_e164(typed) is None
