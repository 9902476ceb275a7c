"""Admin API for the bank's feeds: import a file, list past imports."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import Engine

from api.admin_auth import AdminDep
from api.deps import SessionDep, SettingsDep
from api.errors import ApiError
from api.fields import Text
from bot.portfolio.models import FeedKind, ImportStatus
from bot.portfolio.reading import FeedFormat
from bot.portfolio.rejections import Rejection
from bot.portfolio.service import FeedSource, ImportSummary, import_feed, list_imports

router = APIRouter(prefix="/api/admin/portfolio", tags=["portfolio"])

# The JSON answer lists this many rejections; the CLI's report has them all.
MAX_REJECTIONS_SHOWN = 1000
_CONTENT_TYPES = {
    "text/csv": FeedFormat.CSV,
    "application/csv": FeedFormat.CSV,
    "application/x-ndjson": FeedFormat.JSONL,
    "application/jsonl": FeedFormat.JSONL,
    "application/x-jsonlines": FeedFormat.JSONL,
}


class RejectionOut(BaseModel):
    row: int
    column: str
    value: str
    reason: str


class ImportOut(BaseModel):
    import_id: int
    kind: FeedKind | None
    status: ImportStatus
    file_name: str
    checksum_sha256: str
    dry_run: bool
    rows_read: int
    accepted: int
    rejected: int
    unchanged: int
    error: str | None = None
    missing_columns: list[str] = []
    ignored_columns: list[str] = []
    rejections: list[RejectionOut] = []
    rejections_truncated: bool = False


class ImportRecordOut(BaseModel):
    import_id: int
    kind: FeedKind | None
    status: ImportStatus
    file_name: str
    checksum_sha256: str
    size_bytes: int
    dry_run: bool
    actor: str
    rows_read: int
    accepted: int
    rejected: int
    unchanged: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None


@router.post("/imports", response_model=ImportOut)
async def import_file(
    request: Request,
    _: AdminDep,
    settings: SettingsDep,
    kind: FeedKind | None = None,
    dry_run: bool = False,
    format: Annotated[FeedFormat | None, Query(description="csv or jsonl")] = None,
    file_name: Annotated[Text, Query(max_length=255)] = "upload",
    actor: Annotated[Text | None, Query(max_length=40)] = None,
) -> Any:
    """Import the request body (CSV or JSON Lines) as an accounts or payments feed."""
    fmt = format or _format_of(request.headers.get("content-type", ""), file_name)
    # On disk, not in memory: a feed can be large.
    with tempfile.NamedTemporaryFile(suffix=".feed") as body:
        async for chunk in request.stream():
            body.write(chunk)
        body.flush()
        path = Path(body.name)
        shown: list[RejectionOut] = []
        truncated = False

        def keep(rejection: Rejection) -> None:
            nonlocal truncated
            if len(shown) < MAX_REJECTIONS_SHOWN:
                shown.append(RejectionOut(**rejection.__dict__))
            else:
                truncated = True

        summary = await run_in_threadpool(
            import_feed,
            engine=_engine(request),
            source=FeedSource(file_name, lambda: path.open("rb")),
            settings=settings,
            actor=f"admin-api:{actor}" if actor else "admin-api",
            kind=kind,
            fmt=fmt,
            dry_run=dry_run,
            on_rejection=keep,
        )
    if summary.status is ImportStatus.REFUSED:
        raise ApiError(
            422,
            "file_refused",
            summary.error or "the file was refused",
            import_id=summary.import_id,
            missing_columns=summary.missing_columns,
        )
    return _summary_out(summary, shown, truncated)


@router.get("/imports", response_model=list[ImportRecordOut])
def recorded_imports(
    _: AdminDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Any:
    """The most recent imports, newest first."""
    return [
        ImportRecordOut(
            import_id=record.id,
            **{
                name: getattr(record, name)
                for name in ImportRecordOut.model_fields
                if name != "import_id"
            },
        )
        for record in list_imports(session, limit=limit)
    ]


def _format_of(content_type: str, file_name: str) -> FeedFormat:
    media = content_type.split(";")[0].strip().lower()
    if media in _CONTENT_TYPES:
        return _CONTENT_TYPES[media]
    name = file_name.lower()
    if name.endswith(".csv"):
        return FeedFormat.CSV
    if name.endswith((".jsonl", ".ndjson")):
        return FeedFormat.JSONL
    raise ApiError(
        415,
        "unknown_format",
        "Send Content-Type text/csv or application/x-ndjson, or give format=csv|jsonl.",
    )


def _engine(request: Request) -> Engine:
    bind = request.app.state.sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def _summary_out(summary: ImportSummary, shown: list[RejectionOut], truncated: bool) -> ImportOut:
    return ImportOut(
        import_id=summary.import_id,
        kind=summary.kind,
        status=summary.status,
        file_name=summary.file_name,
        checksum_sha256=summary.checksum_sha256,
        dry_run=summary.dry_run,
        rows_read=summary.rows_read,
        accepted=summary.accepted,
        rejected=summary.rejected,
        unchanged=summary.unchanged,
        error=summary.error,
        missing_columns=summary.missing_columns,
        ignored_columns=summary.ignored_columns,
        rejections=shown,
        rejections_truncated=truncated,
    )
