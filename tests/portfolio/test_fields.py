"""Amounts parsed without Decimal give exactly what Decimal gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.portfolio import fields


@pytest.mark.parametrize(
    "value", ["0", "0.00", "7", "7.5", "7.05", "0001830.45", "999999999999999.99", "١٢.٣"]
)
def test_plain_amounts_match_decimal(value):
    assert fields.amount_minor(value, "USD") == int(Decimal(value).scaleb(2))


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0.00", "the amount must be above 0"), ("12.345", "more than 2 decimal places")],
)
def test_refused_amounts_keep_their_reason(value, reason):
    with pytest.raises(fields.Invalid, match=reason):
        fields.amount_minor(value, "USD", positive=True)
