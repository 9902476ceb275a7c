"""The instalment plan product table, as configured."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PlanProducts:
    """Terms offered, the monthly fee, and who may have a plan from the bot."""

    terms_months: tuple[int, ...]
    monthly_fee_rate: Decimal
    min_principal_minor: int
    stages: frozenset[str]
    excluded_risk_tiers: frozenset[str]
