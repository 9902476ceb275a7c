"""Runs the planner periodically inside the api process, so reminders go without anyone typing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from sqlalchemy.orm import Session, sessionmaker

from bot.persistence import utcnow
from bot.reminders.planner import RunSummary, plan_reminders
from bot.settings import Settings

logger = logging.getLogger(__name__)


def run_once(sessions: sessionmaker[Session], settings: Settings) -> RunSummary:
    """Plan the reminders due now and commit them."""
    with sessions.begin() as session:
        return plan_reminders(session, at=utcnow(), settings=settings)


async def run_periodically(
    sessions: sessionmaker[Session],
    settings: Settings,
    stop: asyncio.Event,
    *,
    after_run: Callable[[], None] = lambda: None,
) -> None:
    """Plan every `REMINDER_INTERVAL_SECONDS` until `stop`; a failed run is retried next time."""
    interval = settings.reminder_interval_seconds
    while not stop.is_set():
        try:
            summary = await asyncio.to_thread(run_once, sessions, settings)
            if summary.planned:
                logger.info(
                    "reminders planned: %s allowed, %s deferred, %s blocked",
                    summary.allowed,
                    summary.deferred,
                    summary.blocked,
                )
            after_run()
        except Exception:
            logger.exception("reminder run failed; trying again at the next interval")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
