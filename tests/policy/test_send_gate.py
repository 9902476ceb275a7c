"""The send gate's rules, over random recipients, zones, moments and histories."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversations.models import MessageKind
from bot.policy.send_gate import GatePolicy, Outcome, SendRequest, Suppressions, decide
from bot.reminders.strategy import Window

ZONES = ["Asia/Shanghai", "America/New_York", "America/Los_Angeles", "Europe/London", "UTC"]
POLICY = GatePolicy(
    profile="cn",
    window=Window(time(9), time(20)),
    max_per_day=1,
    max_per_7_days=3,
    holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}),
)
SUPPRESSION_NAMES = [f for f in Suppressions.__dataclass_fields__ if f not in ("opted_out",)]

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
suppressions = st.builds(
    Suppressions, **{name: st.booleans() for name in Suppressions.__dataclass_fields__}
)
policies = st.builds(
    GatePolicy,
    profile=st.just("x"),
    window=st.tuples(st.integers(6, 11), st.integers(12, 23)).map(
        lambda hours: Window(time(hours[0]), time(hours[1]))
    ),
    max_per_day=st.integers(1, 3),
    max_per_7_days=st.integers(3, 7),
    holidays=st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=40),
)

# A cardholder's stated hours: none, or any start-before-end window in the day, which may lie
# inside, across or wholly outside the policy's window.
preferred_hours = st.none() | st.tuples(
    st.integers(0, 23 * 60 - 1), st.integers(1, 24 * 60)
).filter(lambda minutes: minutes[0] < minutes[1]).map(
    lambda minutes: Window(
        time(*divmod(minutes[0], 60)),
        time(23, 59, 59, 999999) if minutes[1] == 24 * 60 else time(*divmod(minutes[1], 60)),
    )
)


@st.composite
def reminder_requests(draw):
    moment = draw(moments)
    sends = draw(
        st.lists(
            st.integers(0, 7 * 24 * 60).map(lambda minutes: moment - timedelta(minutes=minutes)),
            max_size=8,
        )
    )
    return SendRequest(
        kind=MessageKind.REMINDER,
        moment=moment,
        time_zone=draw(st.sampled_from(ZONES)),
        suppressions=draw(suppressions),
        recent_sends=sends,
        promise_followup=draw(st.booleans()),
        preferred_hours=draw(preferred_hours),
    )


def _count_today(request, at):
    zone = ZoneInfo(request.time_zone)
    return sum(
        1 for s in request.recent_sends if s.astimezone(zone).date() == at.astimezone(zone).date()
    )


def _count_week(request, at):
    return sum(1 for s in request.recent_sends if at - timedelta(days=7) < s <= at)


@settings(max_examples=300, deadline=None)
@given(reminder_requests(), policies)
def test_an_allowed_reminder_is_in_window_under_caps_and_unsuppressed(request, policy):
    decision = decide(request, policy)
    if decision.outcome is not Outcome.ALLOW:
        assert decision.reason
        return
    local = request.moment.astimezone(ZoneInfo(request.time_zone))
    assert policy.window.start <= local.time() < policy.window.end
    if request.preferred_hours is not None:
        assert request.preferred_hours.start <= local.time() < request.preferred_hours.end
    assert local.date() not in policy.holidays
    assert _count_today(request, request.moment) < policy.max_per_day
    assert _count_week(request, request.moment) < policy.max_per_7_days
    facts = request.suppressions
    held = [n for n in Suppressions.__dataclass_fields__ if getattr(facts, n)]
    if request.promise_followup:
        held = [n for n in held if n != "promise_not_yet_due"]
    assert held == []


@settings(max_examples=300, deadline=None)
@given(reminder_requests(), policies)
def test_a_deferred_reminder_names_a_later_time_at_which_it_is_allowed(request, policy):
    decision = decide(request, policy)
    if decision.outcome is not Outcome.DEFER:
        return
    assert decision.reason
    assert decision.next_allowed_at is not None
    assert decision.next_allowed_at > request.moment
    later = SendRequest(**{**request.__dict__, "moment": decision.next_allowed_at})
    assert decide(later, policy).outcome is Outcome.ALLOW


@settings(max_examples=200, deadline=None)
@given(moments, st.sampled_from(ZONES), st.sampled_from(list(MessageKind)), suppressions)
def test_nothing_but_the_opt_out_confirmation_reaches_an_opted_out_or_wrong_party_address(
    moment, zone, kind, facts
):
    facts = Suppressions(**{**facts.__dict__, "opted_out": True})
    decision = decide(
        SendRequest(kind=kind, moment=moment, time_zone=zone, suppressions=facts), POLICY
    )
    if kind is MessageKind.OPT_OUT_CONFIRMATION:
        assert decision.outcome is Outcome.ALLOW
    else:
        assert decision.outcome is Outcome.BLOCK
        assert "opted out" in decision.reason or "wrong party" in decision.reason


def _reminder(moment, zone="Asia/Shanghai", **kwargs):
    return SendRequest(kind=MessageKind.REMINDER, moment=moment, time_zone=zone, **kwargs)


def test_each_suppression_blocks_a_reminder_with_its_reason():
    moment = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    assert decide(_reminder(moment), POLICY).outcome is Outcome.ALLOW
    for name in SUPPRESSION_NAMES:
        decision = decide(_reminder(moment, suppressions=Suppressions(**{name: True})), POLICY)
        assert decision.outcome is Outcome.BLOCK, name
        assert decision.reason, name


def test_a_promise_follow_up_is_not_stopped_by_its_own_promise():
    moment = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    facts = Suppressions(promise_not_yet_due=True)
    assert decide(_reminder(moment, suppressions=facts), POLICY).outcome is Outcome.BLOCK
    followup = _reminder(moment, suppressions=facts, promise_followup=True)
    assert decide(followup, POLICY).outcome is Outcome.ALLOW


def test_the_recipients_zone_decides_not_the_servers():
    # 10:00 UTC is 18:00 in Shanghai (allowed) and 05:00 in New York (deferred to 09:00 local).
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert decide(_reminder(moment, "Asia/Shanghai"), POLICY).outcome is Outcome.ALLOW
    deferred = decide(_reminder(moment, "America/New_York"), POLICY)
    assert deferred.outcome is Outcome.DEFER
    assert deferred.next_allowed_at == datetime(
        2026, 11, 23, 9, tzinfo=ZoneInfo("America/New_York")
    )
    assert deferred.next_allowed_at.astimezone(UTC).hour == 14


def test_window_start_after_a_daylight_saving_change_is_local_nine():
    new_york = ZoneInfo("America/New_York")
    # Clocks went back at 02:00 on 1 November 2026: 09:00 EST is 14:00 UTC, the day before 13:00.
    before = decide(_reminder(datetime(2026, 10, 31, 5, tzinfo=UTC), "America/New_York"), POLICY)
    after = decide(_reminder(datetime(2026, 11, 1, 5, tzinfo=UTC), "America/New_York"), POLICY)
    assert before.next_allowed_at == datetime(2026, 10, 31, 13, tzinfo=UTC)
    assert after.next_allowed_at == datetime(2026, 11, 1, 14, tzinfo=UTC)
    assert after.next_allowed_at.astimezone(new_york).time() == time(9)
    # Spring forward in London (29 March 2026, 01:00 -> 02:00): 19:30 local is still allowed.
    spring = datetime(2026, 3, 29, 18, 30, tzinfo=UTC)  # 19:30 BST
    assert decide(_reminder(spring, "Europe/London"), POLICY).outcome is Outcome.ALLOW
    assert decide(
        _reminder(spring + timedelta(hours=1), "Europe/London"), POLICY
    ).next_allowed_at == (datetime(2026, 3, 30, 8, tzinfo=UTC))


def test_a_holiday_defers_a_reminder_to_the_next_working_window():
    christmas = datetime(2026, 12, 25, 3, tzinfo=UTC)  # 11:00 in Shanghai
    decision = decide(_reminder(christmas), POLICY)
    assert decision.outcome is Outcome.DEFER
    assert decision.reason == "holiday 2026-12-25"
    assert decision.next_allowed_at == datetime(2026, 12, 26, 1, tzinfo=UTC)


def test_caps_defer_until_a_send_leaves_the_day_or_the_week():
    moment = datetime(2026, 11, 23, 3, tzinfo=UTC)  # 11:00 Monday in Shanghai
    today = _reminder(moment, recent_sends=[moment - timedelta(hours=1)])
    decision = decide(today, POLICY)
    assert (decision.outcome, decision.reason) == (Outcome.DEFER, "daily cap of 1 reached")
    assert decision.next_allowed_at == datetime(2026, 11, 24, 1, tzinfo=UTC)
    week = [moment - timedelta(days=d) for d in (1, 3, 5)]
    decision = decide(_reminder(moment, recent_sends=week), POLICY)
    assert decision.reason == "7-day cap of 3 reached"
    assert decision.next_allowed_at == moment - timedelta(days=5) + timedelta(days=7)


def test_replies_answer_at_any_hour_and_a_collector_waits_for_the_window_unless_answering():
    night = datetime(2026, 11, 23, 16, tzinfo=UTC)  # 00:00 in Shanghai
    handoff = Suppressions(active_handoff=True, open_dispute=True)
    for kind in (MessageKind.REPLY, MessageKind.KEYWORD_REPLY):
        request = SendRequest(
            kind=kind, moment=night, time_zone="Asia/Shanghai", suppressions=handoff
        )
        assert decide(request, POLICY).outcome is Outcome.ALLOW
    collector = SendRequest(
        kind=MessageKind.COLLECTOR, moment=night, time_zone="Asia/Shanghai", suppressions=handoff
    )
    assert decide(collector, POLICY).outcome is Outcome.DEFER
    answering = SendRequest(**{**collector.__dict__, "consumer_initiated": True})
    assert decide(answering, POLICY).outcome is Outcome.ALLOW
    daytime = SendRequest(**{**collector.__dict__, "moment": night + timedelta(hours=12)})
    assert decide(daytime, POLICY).outcome is Outcome.ALLOW
