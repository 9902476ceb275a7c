"""Admin API for reminder runs: plan who gets what now (or at a given time), or try it dry."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from api.admin_auth import AdminDep
from api.deps import SessionDep, SettingsDep
from api.errors import ApiError
from bot.persistence import utcnow
from bot.reminders.planner import plan_reminders

router = APIRouter(prefix="/api/admin/reminders", tags=["reminders"])


# Moments a run may be planned for: the calendar maths steps days and weeks around `at`, which
# the ends of Python's datetime range cannot take.
EARLIEST_RUN = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_RUN = datetime(2100, 1, 1, tzinfo=UTC)


class RunIn(BaseModel):
    # The run's moment, with its zone; now when absent.
    at: datetime | None = Field(
        default=None, description="With its zone, between 2000 and 2100; now when absent"
    )
    dry_run: bool = False

    @field_validator("at")
    @classmethod
    def _within_range(cls, at: datetime | None) -> datetime | None:
        if at is not None and at.tzinfo is not None and not EARLIEST_RUN <= at < LATEST_RUN:
            raise ValueError("must be between 2000 and 2100")
        return at


class RunOut(BaseModel):
    run_id: str
    at: datetime
    dry_run: bool
    planned: int
    allowed: int
    deferred: int
    blocked: int
    promises_kept: int
    promises_broken: int
    seconds: float
    reasons: dict[str, int]


@router.post("/runs", response_model=RunOut)
def create_run(body: RunIn, _: AdminDep, session: SessionDep, settings: SettingsDep) -> RunOut:
    """Plan reminders: decisions recorded, allowed and deferred ones queued (nothing on dry run)."""
    at = body.at or utcnow()
    if at.tzinfo is None:
        raise ApiError(
            422, "naive_time", "Give 'at' with its zone, e.g. 2026-11-23T09:00:00+08:00."
        )
    summary = plan_reminders(session, at=at, settings=settings, dry_run=body.dry_run)
    if body.dry_run:
        session.rollback()
    return RunOut(
        run_id=summary.run_id,
        at=summary.at,
        dry_run=summary.dry_run,
        planned=summary.planned,
        allowed=summary.allowed,
        deferred=summary.deferred,
        blocked=summary.blocked,
        promises_kept=summary.promises_kept,
        promises_broken=summary.promises_broken,
        seconds=round(summary.seconds, 3),
        reasons=dict(summary.reasons),
    )
