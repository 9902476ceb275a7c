"""`python -m bot reminders plan --at TIME [--dry-run]`: plan who gets what reminder now."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any


def register_reminder_commands(commands: Any) -> None:
    """Add the `reminders` command group to the main parser's subcommands."""
    reminders = commands.add_parser("reminders", help="plan reminder campaigns")
    actions = reminders.add_subparsers(dest="reminders_command", required=True)
    plan = actions.add_parser("plan", help="plan the reminders due at a time; queue allowed ones")
    plan.add_argument(
        "--at",
        help="the run's time with its zone, e.g. 2026-11-23T09:00:00+08:00 (default: now)",
    )
    plan.add_argument("--dry-run", action="store_true", help="decide and count, change nothing")
    plan.set_defaults(func=_plan)


def _moment(text: str | None) -> datetime:
    from bot.persistence import utcnow

    if text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise SystemExit(f"--at {text!r}: not an ISO 8601 time ({error})") from error
    if moment.tzinfo is None:
        raise SystemExit(f"--at {text!r} has no zone: add one, e.g. {text}+08:00 or {text}Z")
    return moment


def _plan(args: argparse.Namespace) -> int:
    from bot.persistence import session_factory
    from bot.reminders.planner import plan_reminders
    from bot.reminders.strategy import StrategyError
    from bot.settings import get_settings

    at = _moment(args.at)
    settings = get_settings()

    def progress(planned: int, seconds: float) -> None:
        print(f"\r{planned:,} accounts planned, {seconds:.1f} s", end="", file=sys.stderr)

    session = session_factory()()
    try:
        summary = plan_reminders(
            session, at=at, settings=settings, dry_run=args.dry_run, progress=progress
        )
        if args.dry_run:
            session.rollback()
        else:
            session.commit()
    except StrategyError as error:
        session.rollback()
        print(f"refused: {error}", file=sys.stderr)
        return 2
    finally:
        session.close()
    print(file=sys.stderr)
    print(
        f"run {summary.run_id} at {summary.at.isoformat()}{' (dry run)' if args.dry_run else ''}: "
        f"{summary.planned} planned, {summary.allowed} allowed, {summary.deferred} deferred, "
        f"{summary.blocked} blocked; promises kept {summary.promises_kept}, "
        f"broken {summary.promises_broken}; {summary.seconds:.2f} s"
    )
    for reason, count in summary.reasons.most_common():
        print(f"  {count:>8}  {reason}")
    return 0
