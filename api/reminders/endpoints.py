"""Admin API for reminder runs: plan who gets what now (or at a given time), or try it dry."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.admin_auth import AdminDep
from api.deps import SessionDep, SettingsDep
from api.errors import ApiError
from bot.persistence import utcnow
from bot.reminders.planner import plan_reminders

router = APIRouter(prefix="/api/admin/reminders", tags=["reminders"])


class RunIn(BaseModel):
    # The run's moment, with its zone; now when absent.
    at: datetime | None = None
    dry_run: bool = False


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
