import pytest

from bot.accounts.stages import Stage, StageBounds, stage_for


@pytest.mark.parametrize(
    ("days_past_due", "days_until_due", "stage"),
    [
        (0, 10, Stage.CURRENT),
        (0, 6, Stage.CURRENT),
        (0, 5, Stage.PRE_DUE),
        (0, 1, Stage.PRE_DUE),
        (0, 0, Stage.PRE_DUE),
        (1, 0, Stage.M1),
        (30, 0, Stage.M1),
        (31, 0, Stage.M2_M3),
        (90, 0, Stage.M2_M3),
        (91, 0, Stage.M4_PLUS),
        (179, 0, Stage.M4_PLUS),
        (180, 0, Stage.CHARGED_OFF),
        (900, 0, Stage.CHARGED_OFF),
    ],
)
def test_stage_boundaries_follow_the_domain_table(days_past_due, days_until_due, stage):
    assert stage_for(days_past_due, days_until_due) is stage


def test_stage_bounds_are_configuration_not_constants():
    stricter = StageBounds(pre_due_days=3, m2_from=21)
    assert stage_for(0, 4, stricter) is Stage.CURRENT
    assert stage_for(25, 0, stricter) is Stage.M2_M3


def test_labels_are_the_ones_collectors_use():
    assert [s.label for s in Stage] == ["current", "pre-due", "M1", "M2-M3", "M4+", "charged off"]
