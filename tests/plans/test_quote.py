"""Instalment plan maths against DOMAIN.md's test vectors, and properties that must always hold."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.plans.quote import annual_rate_percent, quote_plan

RATE = Decimal("0.006")


@pytest.mark.parametrize(
    ("months", "monthly", "fee", "apr"),
    [
        (3, 407200, 21600, "10.77"),
        (6, 207200, 43200, "12.24"),
        (12, 107200, 86400, "13.03"),
        (24, 57200, 172800, "13.27"),
    ],
)
def test_domain_test_vectors_to_the_cent_and_the_basis_point(months, monthly, fee, apr):
    quote = quote_plan(principal_minor=1_200_000, months=months, monthly_fee_rate=RATE)
    assert quote.monthly_payment_minor == monthly
    assert set(quote.instalments_minor) == {monthly}
    assert quote.total_fee_minor == fee
    assert quote.apr_percent == Decimal(apr)


def test_rounding_goes_into_the_last_instalment():
    quote = quote_plan(principal_minor=100_000, months=3, monthly_fee_rate=RATE)
    assert quote.instalments_minor == (33_933, 33_933, 33_934)
    assert sum(quote.instalments_minor) == 100_000 + 1_800


@given(
    principal=st.integers(min_value=1, max_value=10_000_000_00),
    months=st.integers(min_value=1, max_value=60),
    rate=st.decimals(min_value=0, max_value=Decimal("0.03"), places=4),
)
def test_instalments_always_add_up_to_principal_plus_fee(principal, months, rate):
    quote = quote_plan(principal_minor=principal, months=months, monthly_fee_rate=rate)
    assert len(quote.instalments_minor) == months
    assert sum(quote.instalments_minor) == quote.total_repayable_minor
    assert all(i >= 0 for i in quote.instalments_minor)
    assert 0 <= quote.instalments_minor[-1] - quote.instalments_minor[0] < months
    assert quote.apr_percent >= 0


def test_no_fee_means_no_interest():
    assert (
        quote_plan(principal_minor=90_000, months=3, monthly_fee_rate=Decimal(0)).apr_percent == 0
    )
    assert annual_rate_percent(90_000, (30_000, 30_000, 30_000)) == 0


@pytest.mark.parametrize(
    ("principal", "months", "rate"),
    [(0, 3, RATE), (-5, 3, RATE), (100, 0, RATE), (100, 61, RATE), (100, 3, Decimal("-0.01"))],
)
def test_impossible_plans_are_refused(principal, months, rate):
    with pytest.raises(ValueError):
        quote_plan(principal_minor=principal, months=months, monthly_fee_rate=rate)
