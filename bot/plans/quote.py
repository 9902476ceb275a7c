"""Instalment plan maths: monthly payment, total fee and the annual rate by IRR, exactly.

Rounding, stated once: the monthly fee is the original principal times the monthly rate, rounded
half-up to the minor unit; each instalment is the principal divided by the number of months,
rounded down to the minor unit, plus the monthly fee; the last instalment also carries what the
rounding down left over (less than one minor unit per month), so the instalments always add up
to principal + total fee exactly and none is ever smaller than the others. The annual rate is
the monthly internal rate of return of those cash flows times 12, rounded half-up to 0.01
percentage point.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext


@dataclass(frozen=True)
class PlanQuote:
    principal_minor: int
    months: int
    monthly_fee_rate: Decimal  # e.g. Decimal("0.006") for 0.6% a month
    instalments_minor: tuple[int, ...]
    total_fee_minor: int
    apr_percent: Decimal  # e.g. Decimal("12.24")

    @property
    def monthly_payment_minor(self) -> int:
        """The regular instalment (the last one may differ by rounding)."""
        return self.instalments_minor[0]

    @property
    def total_repayable_minor(self) -> int:
        return self.principal_minor + self.total_fee_minor


def quote_plan(*, principal_minor: int, months: int, monthly_fee_rate: Decimal) -> PlanQuote:
    """The exact cost of repaying `principal_minor` over `months` monthly instalments."""
    if principal_minor <= 0:
        raise ValueError("the principal must be above zero")
    if not 1 <= months <= 60:
        raise ValueError("plans run from 1 to 60 months")
    if not Decimal(0) <= monthly_fee_rate < Decimal(1):
        raise ValueError("the monthly fee rate must be between 0 and 1")
    monthly_fee = _round(Decimal(principal_minor) * monthly_fee_rate)
    total_fee = monthly_fee * months
    regular = principal_minor // months + monthly_fee
    last = principal_minor + total_fee - regular * (months - 1)
    instalments = (*([regular] * (months - 1)), last)
    return PlanQuote(
        principal_minor=principal_minor,
        months=months,
        monthly_fee_rate=monthly_fee_rate,
        instalments_minor=instalments,
        total_fee_minor=total_fee,
        apr_percent=annual_rate_percent(principal_minor, instalments),
    )


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def annual_rate_percent(principal_minor: int, instalments_minor: tuple[int, ...]) -> Decimal:
    """Monthly IRR of receiving the principal and paying the instalments, times 12, in percent."""
    with localcontext() as context:
        context.prec = 40
        principal = Decimal(principal_minor)
        payments = [Decimal(p) for p in instalments_minor]
        if sum(payments) <= principal:
            return Decimal("0.00")
        low, high = Decimal(0), Decimal(1)
        # The present value falls as the rate rises, so bisection always converges.
        for _ in range(200):
            middle = (low + high) / 2
            present = sum(p / (1 + middle) ** (n + 1) for n, p in enumerate(payments))
            if present > principal:
                low = middle
            else:
                high = middle
        monthly = (low + high) / 2
        return (monthly * 12 * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
