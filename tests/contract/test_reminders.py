"""Reminders as `make run` sends them: the api's own scheduler, the real stack, a reply by SMS.

The stack runs with the real strategy file and the scheduler every two seconds, at whatever
time the test runs. One M1 cardholder is moved to a time zone where it is now mid-day, so at
least one reminder is due inside the window; every other demo cardholder is planned at their own
local time, and whatever was sent or queued must fall inside their window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.accounts.models import Cardholder
from bot.audit.models import AuditEvent
from bot.conversations.models import Conversation, Direction, Message, MessageKind
from bot.demo.seed import DemoCardholder, demo_cardholders
from bot.disclosure import pre_verification_violation
from bot.policy.send_gate import GatePolicy
from bot.policy.service import gate_policy, strategy_for
from bot.settings import Settings
from tests.contract.conftest import RunningStack, start_stack
from tests.contract.handset import Handset
from tests.waiting import wait_for

pytestmark = pytest.mark.stack

# One zone per hour of offset, more or less: at any moment one of them is mid-day.
ZONES = (
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "Europe/London",
    "Europe/Paris",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Guadalcanal",
    "Pacific/Auckland",
)


def _policy() -> GatePolicy:
    settings = Settings()
    return gate_policy(strategy_for(settings), settings.contact_policy_profile)


def _allowed_locally(moment: datetime, zone: str, policy: GatePolicy) -> bool:
    local = moment.astimezone(ZoneInfo(zone))
    return policy.window.contains(local.time()) and local.date() not in policy.holidays


def _zone_open_for_an_hour(policy: GatePolicy) -> str:
    """A zone where reminders are allowed now and for the next hour (the test's whole run)."""
    now = datetime.now(UTC)
    for zone in ZONES:
        if all(_allowed_locally(now + timedelta(minutes=m), zone, policy) for m in (0, 30, 60)):
            return zone
    raise AssertionError(f"no zone in the list is inside {policy.window} at {now}")


@pytest.fixture(scope="module")
def reminded(template_database, artifacts_dir) -> Iterator[tuple[RunningStack, DemoCardholder]]:
    target = next(d for d in demo_cardholders() if d.stage == "M1")
    zone = _zone_open_for_an_hour(_policy())

    def move_to_midday(session):
        session.execute(
            update(Cardholder)
            .where(Cardholder.external_id == target.external_id)
            .values(time_zone=zone)
        )

    with start_stack(
        template_database,
        artifacts_dir / "reminder-stack-logs",
        env={"REMINDER_INTERVAL_SECONDS": "2"},
        prepare=move_to_midday,
    ) as running:
        yield running, target


def _runs(running: RunningStack) -> int:
    with running.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "reminders.planned")
        )


def test_the_scheduler_reminds_inside_the_window_once_and_a_reply_reaches_the_dialogue(reminded):
    running, target = reminded
    phone = Handset(running, target.phone_e164)

    [reminder] = wait_for(
        lambda: phone.received(), timeout=90, what="the scheduler's reminder to the M1 cardholder"
    )
    assert reminder.endswith("Reply STOP to opt out.")
    assert pre_verification_violation(reminder) is None

    # Two more scheduled runs the same day plan nothing new for anyone.
    after_first = _runs(running)
    wait_for(lambda: _runs(running) >= after_first + 2, timeout=30, what="two more runs")
    assert phone.received() == [reminder]

    policy = _policy()
    with running.sessions() as session:
        reminders = session.execute(
            select(Message.status, Message.sent_at, Message.next_attempt_at, Cardholder.time_zone)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Cardholder, Conversation.cardholder_id == Cardholder.id)
            .where(Message.kind == MessageKind.REMINDER)
        ).all()
        per_address = session.execute(
            select(Conversation.address, func.count())
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.kind == MessageKind.REMINDER)
            .group_by(Conversation.address)
        ).all()
    assert reminders, "the scheduler queued nothing"
    for status, sent_at, next_attempt_at, zone in reminders:
        if sent_at is not None:
            assert _allowed_locally(sent_at, zone, policy), (status, sent_at, zone)
        else:
            # Deferred to the next allowed moment in the cardholder's own zone, not dropped.
            assert _allowed_locally(next_attempt_at, zone, policy), (status, next_attempt_at, zone)
    assert all(count == 1 for _, count in per_address), per_address

    replies = phone.text("hi", expect_replies=2)
    assert "last 4 digits" in replies[-1]
    assert all(pre_verification_violation(r) is None for r in replies)
    with running.sessions() as session:
        conversations = session.scalars(
            select(Message.conversation_id)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.address == target.phone_e164)
            .distinct()
        ).all()
        inbound = session.scalars(
            select(Message.text).where(Message.direction == Direction.INBOUND)
        ).all()
    # The reply is part of the reminder's conversation, and Rasa answered it there.
    assert len(conversations) == 1
    assert inbound == ["hi"]
