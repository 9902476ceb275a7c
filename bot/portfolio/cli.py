"""`python -m bot portfolio ...`: import the bank's feeds and list past imports."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

_SHOWN_ON_SCREEN = 20


def register_portfolio_commands(commands: Any) -> None:
    """Add the `portfolio` command group to the main parser's subcommands."""
    portfolio = commands.add_parser("portfolio", help="import the bank's account and payment feeds")
    actions = portfolio.add_subparsers(dest="portfolio_command", required=True)
    run = actions.add_parser("import", help="import one accounts or payments file (CSV or JSONL)")
    run.add_argument("file", type=Path)
    run.add_argument("--kind", choices=["accounts", "payments"], help="default: from the columns")
    run.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file name")
    run.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    run.add_argument("--actor", help="who runs the import (default: the login name)")
    run.add_argument("--report", type=Path, help="rejection report CSV (default under var/)")
    run.set_defaults(func=_import)
    history = actions.add_parser("imports", help="list the most recent imports")
    history.add_argument("--limit", type=int, default=20)
    history.set_defaults(func=_list)


def _import(args: argparse.Namespace) -> int:
    from bot.persistence.session import get_engine
    from bot.portfolio.models import FeedKind, ImportStatus
    from bot.portfolio.reading import FeedFormat
    from bot.portfolio.rejections import Rejection, ReportWriter
    from bot.portfolio.service import FeedSource, import_feed
    from bot.settings import PROJECT_ROOT, get_settings

    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    rejections: list[Rejection] = []
    report_path: Path = (
        args.report or PROJECT_ROOT / "var" / "imports" / f"pending-{os.getpid()}.csv"
    )
    report_path.parent.mkdir(parents=True, exist_ok=True)
    with report_path.open("w", encoding="utf-8", newline="") as report:
        writer = ReportWriter(report)

        def keep(rejection: Rejection) -> None:
            if len(rejections) < _SHOWN_ON_SCREEN:
                rejections.append(rejection)
            writer.add(rejection)

        summary = import_feed(
            engine=get_engine(),
            source=FeedSource.from_path(args.file),
            settings=get_settings(),
            actor=args.actor or f"cli:{getpass.getuser()}",
            kind=FeedKind(args.kind) if args.kind else None,
            fmt=FeedFormat(args.format) if args.format else None,
            dry_run=args.dry_run,
            on_rejection=keep,
            on_progress=_print_progress,
        )
    if args.report is None:
        named = report_path.with_name(f"import-{summary.import_id}-rejections.csv")
        report_path.replace(named)
        report_path = named
    if summary.status is ImportStatus.REFUSED:
        print(f"import {summary.import_id}: file refused: {summary.error}", file=sys.stderr)
        report_path.unlink(missing_ok=True)
        return 2
    dry = " (dry run: nothing changed)" if summary.dry_run else ""
    print(
        f"import {summary.import_id} of {summary.file_name} ({summary.kind}){dry}: "
        f"{summary.rows_read} rows read, {summary.accepted} accepted, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected"
    )
    if summary.ignored_columns:
        print(f"columns ignored: {', '.join(summary.ignored_columns)}")
    for rejection in rejections:
        column = f" {rejection.column}" if rejection.column else ""
        value = f" {rejection.value!r}" if rejection.value else ""
        print(f"  row {rejection.row}{column}{value}: {rejection.reason}")
    if summary.rejected:
        print(f"rejection report: {report_path}")
    else:
        report_path.unlink(missing_ok=True)
    return 0


def _list(args: argparse.Namespace) -> int:
    from bot.persistence import session_scope
    from bot.portfolio.service import list_imports

    with session_scope() as session:
        imports = list_imports(session, limit=args.limit)
        for record in imports:
            finished = (
                record.finished_at.isoformat(timespec="seconds") if record.finished_at else "-"
            )
            print(
                f"{record.id:>5} {record.started_at:%Y-%m-%d %H:%M} {record.status:<9} "
                f"{'dry-run ' if record.dry_run else ''}{record.kind or '-':<8} "
                f"{record.file_name} sha256:{record.checksum_sha256[:12]} "
                f"accepted {record.accepted} unchanged {record.unchanged} rejected "
                f"{record.rejected} by {record.actor} finished {finished}"
            )
    return 0


def _print_progress(*, phase: str, rows: int, bytes_read: int, total_bytes: int) -> None:
    if phase == "reading":
        share = f" ({bytes_read * 100 // total_bytes}%)" if total_bytes else ""
        print(f"\rread {rows:,} rows{share}", end="", file=sys.stderr, flush=True)
    elif phase in ("checking", "applying"):
        print(f"\r{phase} {rows:,} rows ...   ", end="", file=sys.stderr, flush=True)
    else:
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)
