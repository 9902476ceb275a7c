"""The send gate: may this message go to this recipient now? Allow, block or defer, and why.

`decide` is pure: it gets every fact as a plain value, so the planner can call it for a million
accounts and the property tests can call it for random worlds. `bot.policy.service` gathers the
facts from the database and records each decision.

Semantics per message kind (../shared/DOMAIN.md, "Contact policy"):
- the opt-out confirmation always goes: it is the one message an opt-out produces;
- an opted-out or wrong-party address gets nothing else, whoever sends it;
- bot replies and keyword replies answer a message the person has just sent (consumer-initiated),
  so windows, caps and suppressions do not hold them back;
- a collector's reply is a person answering: suppressions such as the open hand-off do not stop
  it, and neither do caps or holidays; if the cardholder has not written within the
  consumer-initiated period, it waits for the recipient's contact window;
- a reminder (outreach) passes every rule: suppressions block it, and a holiday, the window or
  a cap defers it to the next moment every rule allows.

The window is the policy's (profile and bank) narrowed to the cardholder's own stated contact
hours, if any: wherever the window holds, the stricter of the two wins. Stated hours that do not
meet the policy window at all block the message with both windows named, so the conflict is on
record for a person to resolve rather than deferred forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.conversations.models import MessageKind
from bot.reminders.strategy import Window


class Outcome(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"
    DEFER = "defer"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    next_allowed_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


@dataclass(frozen=True)
class Suppressions:
    """Facts about the recipient and account that stop outreach."""

    opted_out: bool = False
    wrong_party: bool = False
    deceased: bool = False
    bankruptcy: bool = False
    charged_off: bool = False
    closed: bool = False
    paid: bool = False
    active_handoff: bool = False
    open_dispute: bool = False
    plan_in_good_standing: bool = False
    promise_not_yet_due: bool = False


# Checked in this order; the first that holds is the reason given.
_OUTREACH_SUPPRESSIONS = (
    ("deceased", "cardholder deceased"),
    ("bankruptcy", "cardholder in bankruptcy"),
    ("charged_off", "account charged off: no automated contact"),
    ("closed", "account closed"),
    ("paid", "balance paid"),
    ("active_handoff", "active hand-off: a collector has the case"),
    ("open_dispute", "open dispute"),
    ("plan_in_good_standing", "instalment plan in good standing"),
    ("promise_not_yet_due", "promise to pay not yet due"),
)


@dataclass(frozen=True)
class GatePolicy:
    """The contact rules in force: the strictest of the profile and the bank's settings."""

    profile: str
    window: Window
    max_per_day: int
    max_per_7_days: int
    holidays: frozenset[date]


@dataclass(frozen=True)
class SendRequest:
    kind: MessageKind
    moment: datetime
    time_zone: str
    suppressions: Suppressions = Suppressions()
    # When earlier outreach on this channel to this account went (or is booked to go), any order.
    recent_sends: Sequence[datetime] = ()
    # The cardholder wrote within the consumer-initiated period.
    consumer_initiated: bool = False
    # A promise follow-up is about the promise, so "promise not yet due" does not stop it.
    promise_followup: bool = False
    # The cardholder's own stated contact hours, local to `time_zone` (None: no preference).
    preferred_hours: Window | None = None


_SEARCH_DAYS = 400


@lru_cache(maxsize=1024)
def preferred_hours(text: str | None) -> Window | None:
    """A cardholder's stored contact hours as a window (None: no preference)."""
    return None if text is None else Window.parse_hours(text)


def _start_of(day: date, window: Window, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)


def _outside(local: time, policy: GatePolicy, preferred: Window | None) -> str:
    """Why a local time outside the combined window is: the policy's, or only the cardholder's."""
    if preferred is None or not policy.window.contains(local):
        return "outside the contact window"
    return f"outside the cardholder's preferred hours ({preferred.label})"


def _obstacle(
    moment: datetime,
    policy: GatePolicy,
    zone: ZoneInfo,
    sends: list[datetime],
    outreach: bool,
    preferred: Window | None = None,
) -> tuple[str, datetime] | None:
    """The first rule that stops outreach at `moment`, and the earliest time worth trying next."""
    window = policy.window if preferred is None else policy.window.intersect(preferred)
    local = moment.astimezone(zone)
    today = local.date()
    tomorrow_start = _start_of(today + timedelta(days=1), window, zone)
    if outreach and today in policy.holidays:
        return f"holiday {today.isoformat()}", tomorrow_start
    if local.time() < window.start:
        start = _start_of(today, window, zone)
        # A window start that a clock change skipped lands later than `moment`; never earlier.
        return _outside(local.time(), policy, preferred), (
            start if start > moment else tomorrow_start
        )
    if not window.contains(local.time()):
        return _outside(local.time(), policy, preferred), tomorrow_start
    if not outreach:
        return None
    if sum(1 for s in sends if s.astimezone(zone).date() == today) >= policy.max_per_day:
        return f"daily cap of {policy.max_per_day} reached", tomorrow_start
    in_week = sorted(s for s in sends if moment - timedelta(days=7) < s <= moment)
    if len(in_week) >= policy.max_per_7_days:
        frees_at = in_week[len(in_week) - policy.max_per_7_days] + timedelta(days=7)
        return f"7-day cap of {policy.max_per_7_days} reached", frees_at
    return None


def next_allowed(
    moment: datetime,
    policy: GatePolicy,
    zone: ZoneInfo,
    sends: list[datetime],
    outreach: bool,
    preferred: Window | None = None,
) -> tuple[str | None, datetime | None]:
    """Why `moment` is not allowed (None if it is) and the first moment that is."""
    first_reason: str | None = None
    candidate = moment
    limit = moment + timedelta(days=_SEARCH_DAYS)
    while candidate < limit:
        obstacle = _obstacle(candidate, policy, zone, sends, outreach, preferred)
        if obstacle is None:
            return first_reason, candidate
        reason, candidate = obstacle
        first_reason = first_reason or reason
    return first_reason, None


def decide(request: SendRequest, policy: GatePolicy) -> Decision:
    """Allow, block or defer one outbound message; every answer but allow says why."""
    if request.moment.tzinfo is None:
        raise ValueError("naive datetime refused: the moment must carry its zone")
    facts = request.suppressions
    if request.kind is MessageKind.OPT_OUT_CONFIRMATION:
        return Decision(Outcome.ALLOW, "the opt-out confirmation")
    if facts.wrong_party:
        return Decision(Outcome.BLOCK, "wrong party: the number is not the cardholder's")
    if facts.opted_out:
        return Decision(Outcome.BLOCK, "recipient opted out")
    if request.kind in (MessageKind.REPLY, MessageKind.KEYWORD_REPLY):
        return Decision(Outcome.ALLOW, "reply to the cardholder's message")
    if request.kind is MessageKind.ONE_TIME_CODE:
        return Decision(Outcome.ALLOW, "a one-time code the person just asked for")
    outreach = request.kind is MessageKind.REMINDER
    if outreach:
        for name, why in _OUTREACH_SUPPRESSIONS:
            if name == "promise_not_yet_due" and request.promise_followup:
                continue
            if getattr(facts, name):
                return Decision(Outcome.BLOCK, why)
        if policy.max_per_day < 1 or policy.max_per_7_days < 1:
            return Decision(Outcome.BLOCK, "contact caps are 0: no outreach allowed")
    elif request.consumer_initiated:
        return Decision(Outcome.ALLOW, "answer within the consumer-initiated period")
    preferred = request.preferred_hours
    # An empty policy window on its own is the policy's problem, reported by the search below.
    if (
        preferred is not None
        and not policy.window.empty
        and policy.window.intersect(preferred).empty
    ):
        return Decision(
            Outcome.BLOCK,
            f"preferred hours {preferred.label} fall outside the contact window "
            f"{policy.window.label}",
        )
    moment = request.moment.astimezone(UTC)
    zone = ZoneInfo(request.time_zone)
    sends = list(request.recent_sends)
    reason, at = next_allowed(moment, policy, zone, sends, outreach, preferred)
    if reason is None:
        return Decision(Outcome.ALLOW, "within window and caps")
    if at is None:
        return Decision(Outcome.BLOCK, f"{reason}; no allowed time within {_SEARCH_DAYS} days")
    return Decision(Outcome.DEFER, reason, at)
