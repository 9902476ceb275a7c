"""Delinquency stages derived from days past due (../shared/DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    CURRENT = "current"
    PRE_DUE = "pre_due"
    M1 = "m1"
    M2_M3 = "m2_m3"
    M4_PLUS = "m4_plus"
    CHARGED_OFF = "charged_off"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Stage.CURRENT: "current",
    Stage.PRE_DUE: "pre-due",
    Stage.M1: "M1",
    Stage.M2_M3: "M2-M3",
    Stage.M4_PLUS: "M4+",
    Stage.CHARGED_OFF: "charged off",
}


@dataclass(frozen=True)
class StageBounds:
    """The first day past due of each stage; configurable, DOMAIN.md's values by default."""

    pre_due_days: int = 5
    m1_from: int = 1
    m2_from: int = 31
    m4_from: int = 91
    charged_off_from: int = 180


DEFAULT_BOUNDS = StageBounds()


def stage_for(
    days_past_due: int, days_until_due: int, bounds: StageBounds = DEFAULT_BOUNDS
) -> Stage:
    """The stage of an account `days_past_due` late whose due date is `days_until_due` away."""
    if days_past_due >= bounds.charged_off_from:
        return Stage.CHARGED_OFF
    if days_past_due >= bounds.m4_from:
        return Stage.M4_PLUS
    if days_past_due >= bounds.m2_from:
        return Stage.M2_M3
    if days_past_due >= bounds.m1_from:
        return Stage.M1
    if 0 <= days_until_due <= bounds.pre_due_days:
        return Stage.PRE_DUE
    return Stage.CURRENT
