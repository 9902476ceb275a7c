"""The contact strategy file: the real one loads; each mistake is refused naming its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.accounts.stages import Stage
from bot.reminders.strategy import StrategyError, load_strategy, parse_strategy
from bot.settings import PROJECT_ROOT

REAL = PROJECT_ROOT / "config" / "contact_strategy.yml"


def _real_text() -> str:
    return REAL.read_text(encoding="utf-8")


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_real_strategy_file_is_valid_and_says_what_the_issue_asks():
    strategy = load_strategy(REAL)
    assert strategy.cadence[(Stage.PRE_DUE, "low")].days_before_due == (1, 3)
    assert strategy.cadence[(Stage.M1, "low")].every_days == 3
    assert {stage for stage, _ in strategy.cadence} == {
        Stage.PRE_DUE,
        Stage.M1,
        Stage.M2_M3,
        Stage.M4_PLUS,
    }
    assert strategy.promise_grace_days == 3
    assert strategy.promise_tolerance_percent == 95
    for template in strategy.templates.values():
        assert "Reply STOP to opt out" in template.texts["en"]
        assert "回复TD退订" in template.texts["zh"]
    rules = strategy.rules("cn")
    assert (rules.window.start.hour, rules.window.end.hour) == (9, 20)  # the bank is stricter


def _refused(text: str) -> str:
    with pytest.raises(StrategyError) as error:
        parse_strategy(text, "contact_strategy.yml")
    return str(error.value)


def test_an_unknown_stage_is_refused_with_its_line():
    text = _real_text().replace("  m4_plus: {dpd: [91, 179]}", "  m5: {dpd: [91, 179]}")
    message = _refused(text)
    assert f"contact_strategy.yml, line {_line_of(text, 'm5: {dpd')}" in message
    assert "unknown stage 'm5'" in message


def test_overlapping_dpd_ranges_are_refused_with_the_line():
    text = _real_text().replace("m2_m3: {dpd: [31, 90]}", "m2_m3: {dpd: [25, 90]}")
    message = _refused(text)
    assert f"line {_line_of(text, 'm2_m3: {dpd')}" in message
    assert "overlaps" in message


def test_a_template_without_opt_out_text_is_refused_with_its_line():
    zh = '"\n    zh: "{bank_name}：请就'
    text = _real_text().replace(
        "or call {bank_phone}. Reply STOP to opt out." + zh, "or call {bank_phone}." + zh
    )
    assert text != _real_text()
    message = _refused(text)
    assert f"line {_line_of(text, 'please get in touch')}" in message
    assert "opt-out text" in message


@pytest.mark.parametrize(
    ("words", "why"),
    [
        ("your overdue card", "reveals a debt"),
        ("your card, ¥500.00", "contains an amount"),
        ("您的逾期账单", "reveals a debt"),
    ],
)
def test_a_template_that_is_not_limited_content_is_refused(words, why):
    text = (
        _real_text()
        .replace("a friendly note about your card", words)
        .replace("关于您的信用卡，有事项", words)
    )
    assert why in _refused(text)


def test_other_mistakes_are_refused_clearly():
    assert "no template 'nope'" in _refused(
        _real_text().replace(
            "template: m1_reminder, may_offer_plans: false",
            "template: nope, may_offer_plans: false",
        )
    )
    assert "unknown section 'cadense'" in _refused(_real_text().replace("\ncadence:", "\ncadense:"))
    assert "not HH:MM-HH:MM" in _refused(_real_text().replace('"09:00-20:00"', '"9-20"'))
    assert "not valid YAML" in _refused("stages: [")


def test_a_missing_file_is_refused_naming_it(tmp_path: Path):
    with pytest.raises(StrategyError, match=r"missing\.yml"):
        load_strategy(tmp_path / "missing.yml")
