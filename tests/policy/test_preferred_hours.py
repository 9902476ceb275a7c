"""The cardholder's own stated contact hours: the stricter of them and the policy window wins."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.conversations.models import MessageKind
from bot.policy.send_gate import GatePolicy, Outcome, SendRequest, decide
from bot.reminders.strategy import Window

POLICY = GatePolicy(
    profile="cn",
    window=Window(time(9), time(20)),
    max_per_day=1,
    max_per_7_days=3,
    holidays=frozenset({date(2026, 12, 25)}),
)
EVENING = Window.parse_hours("18:00-20:00")
SHANGHAI = ZoneInfo("Asia/Shanghai")
PREFERRED = "outside the cardholder's preferred hours (18:00-20:00)"


def _reminder(local: datetime, hours: Window | None = EVENING, **kwargs) -> SendRequest:
    zone = str(local.tzinfo)
    return SendRequest(
        kind=MessageKind.REMINDER,
        moment=local.astimezone(UTC),
        time_zone=zone,
        preferred_hours=hours,
        **kwargs,
    )


def test_inside_the_preferred_hours_a_reminder_goes():
    decision = decide(_reminder(datetime(2026, 11, 23, 19, tzinfo=SHANGHAI)), POLICY)
    assert decision.outcome is Outcome.ALLOW


def test_before_the_preferred_hours_it_waits_for_them_the_same_day_and_says_why():
    decision = decide(_reminder(datetime(2026, 11, 23, 11, tzinfo=SHANGHAI)), POLICY)
    assert (decision.outcome, decision.reason) == (Outcome.DEFER, PREFERRED)
    assert decision.next_allowed_at == datetime(2026, 11, 23, 18, tzinfo=SHANGHAI)
    # Without the preference the same moment is inside the window.
    assert decide(_reminder(datetime(2026, 11, 23, 11, tzinfo=SHANGHAI), None), POLICY).allowed


def test_after_the_preferred_hours_it_waits_for_the_next_days():
    lunch = Window.parse_hours("12:00-14:00")
    decision = decide(_reminder(datetime(2026, 11, 23, 15, tzinfo=SHANGHAI), lunch), POLICY)
    assert decision.outcome is Outcome.DEFER
    assert decision.reason == "outside the cardholder's preferred hours (12:00-14:00)"
    assert decision.next_allowed_at == datetime(2026, 11, 24, 12, tzinfo=SHANGHAI)


def test_outside_the_policy_window_the_policy_is_the_reason_and_both_windows_hold():
    decision = decide(_reminder(datetime(2026, 11, 23, 7, tzinfo=SHANGHAI)), POLICY)
    assert decision.reason == "outside the contact window"
    assert decision.next_allowed_at == datetime(2026, 11, 23, 18, tzinfo=SHANGHAI)
    # Hours that start before the window: the window's start, not the preference's, comes first.
    early = Window.parse_hours("07:00-10:00")
    decision = decide(_reminder(datetime(2026, 11, 23, 8, tzinfo=SHANGHAI), early), POLICY)
    assert decision.reason == "outside the contact window"
    assert decision.next_allowed_at == datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)


def test_a_late_end_is_cut_to_the_policy_window():
    late = Window.parse_hours("18:00-24:00")
    assert late.label == "18:00-24:00"
    decision = decide(_reminder(datetime(2026, 11, 23, 20, 30, tzinfo=SHANGHAI), late), POLICY)
    assert decision.reason == "outside the contact window"
    assert decision.next_allowed_at == datetime(2026, 11, 24, 18, tzinfo=SHANGHAI)


def test_the_next_time_skips_holidays_and_caps_inside_both_windows():
    eve = datetime(2026, 12, 24, 21, tzinfo=SHANGHAI)
    decision = decide(_reminder(eve), POLICY)
    assert decision.next_allowed_at == datetime(2026, 12, 26, 18, tzinfo=SHANGHAI)
    now = datetime(2026, 11, 23, 19, tzinfo=SHANGHAI)
    capped = decide(_reminder(now, recent_sends=[now - timedelta(minutes=30)]), POLICY)
    assert capped.reason == "daily cap of 1 reached"
    assert capped.next_allowed_at == datetime(2026, 11, 24, 18, tzinfo=SHANGHAI)


def test_hours_that_miss_the_policy_window_block_with_both_windows_named():
    dawn = Window.parse_hours("06:00-08:00")
    reason = "preferred hours 06:00-08:00 fall outside the contact window 09:00-20:00"
    for hour in (7, 12):
        decision = decide(_reminder(datetime(2026, 11, 23, hour, tzinfo=SHANGHAI), dawn), POLICY)
        assert (decision.outcome, decision.reason) == (Outcome.BLOCK, reason)
        assert decision.next_allowed_at is None
    # Touching is not overlapping: [18:00, 20:00) and [20:00, 22:00) share no minute.
    night = Window.parse_hours("20:00-22:00")
    decision = decide(_reminder(datetime(2026, 11, 23, 12, tzinfo=SHANGHAI), night), POLICY)
    assert decision.outcome is Outcome.BLOCK


def test_a_collector_waits_for_the_preferred_hours_unless_answering_the_cardholder():
    noon = datetime(2026, 11, 23, 12, tzinfo=SHANGHAI).astimezone(UTC)
    collector = SendRequest(
        kind=MessageKind.COLLECTOR, moment=noon, time_zone="Asia/Shanghai", preferred_hours=EVENING
    )
    decision = decide(collector, POLICY)
    assert (decision.outcome, decision.reason) == (Outcome.DEFER, PREFERRED)
    assert decision.next_allowed_at == datetime(2026, 11, 23, 18, tzinfo=SHANGHAI)
    answering = SendRequest(**{**collector.__dict__, "consumer_initiated": True})
    assert decide(answering, POLICY).outcome is Outcome.ALLOW
    dawn = SendRequest(
        **{**answering.__dict__, "preferred_hours": Window.parse_hours("06:00-08:00")}
    )
    assert decide(dawn, POLICY).outcome is Outcome.ALLOW
    for kind in (MessageKind.REPLY, MessageKind.KEYWORD_REPLY, MessageKind.OPT_OUT_CONFIRMATION):
        reply = SendRequest(**{**dawn.__dict__, "kind": kind, "consumer_initiated": False})
        assert decide(reply, POLICY).outcome is Outcome.ALLOW


def test_preferred_hours_are_local_through_a_daylight_saving_change():
    new_york = ZoneInfo("America/New_York")
    # Clocks go back at 02:00 on 1 November 2026: 18:00 is 22:00 UTC the day before, 23:00 after.
    before = decide(_reminder(datetime(2026, 10, 31, 1, tzinfo=new_york)), POLICY)
    after = decide(_reminder(datetime(2026, 11, 1, 1, tzinfo=new_york)), POLICY)
    assert before.next_allowed_at == datetime(2026, 10, 31, 22, tzinfo=UTC)
    assert after.next_allowed_at == datetime(2026, 11, 1, 23, tzinfo=UTC)


def test_the_recipients_zone_decides_not_the_servers():
    moment = datetime(2026, 11, 23, 10, tzinfo=UTC)  # 18:00 in Shanghai, 02:00 in Los Angeles
    shanghai = decide(_reminder(moment.astimezone(SHANGHAI)), POLICY)
    assert shanghai.outcome is Outcome.ALLOW
    los_angeles = ZoneInfo("America/Los_Angeles")
    deferred = decide(_reminder(moment.astimezone(los_angeles)), POLICY)
    assert deferred.reason == "outside the contact window"
    assert deferred.next_allowed_at == datetime(2026, 11, 23, 18, tzinfo=los_angeles)
    assert deferred.next_allowed_at.astimezone(UTC) == datetime(2026, 11, 24, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "18-20",
        "20:00-18:00",
        "25:00-26:00",
        "18:00-18:00",
        "18:00-24:30",
        "8:00-20:00",
        "18:00-20:00\n",
        " 18:00-20:00",
        "18:00–20:00",
        "١٨:٠٠-٢٠:٠٠",
        "",
    ],
)
def test_malformed_hours_are_refused(text):
    with pytest.raises(ValueError):
        Window.parse_hours(text)


def test_well_formed_hours_read_back_as_written():
    for text in ("00:00-24:00", "09:30-17:45", "18:00-20:00", "23:00-23:59"):
        assert Window.parse_hours(text).label == text
