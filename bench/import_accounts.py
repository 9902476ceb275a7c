"""Benchmark: import an accounts feed into PostgreSQL next to a bare COPY of the same rows.

    python bench/import_accounts.py [--rows 1000000] [--admin-url postgresql+psycopg://...]

Generates the file in a temporary directory, creates a fresh database (dropped afterwards),
migrates it, then times (a) PostgreSQL's own COPY of the file into a bare table with the same
columns and no constraints, and (b) `python -m bot portfolio import`'s service on the same file.
Peak memory is the process's maximum resident set size (ru_maxrss); run two sizes to see that it
does not grow with the file.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.session import make_engine
from bot.portfolio.columns import ACCOUNT_COLUMNS
from bot.portfolio.service import FeedSource, import_feed
from bot.settings import Settings

AS_OF = date(2026, 11, 20)
_BARE_TYPES = {
    "credit_limit": "numeric(17,2)",
    "statement_balance": "numeric(17,2)",
    "minimum_due": "numeric(17,2)",
    "overdue_amount": "numeric(17,2)",
    "due_date": "date",
    "as_of": "date",
    "date_of_birth": "date",
    "days_past_due": "integer",
    "behaviour_score": "integer",
    "deceased": "boolean",
    "bankruptcy": "boolean",
    "charged_off": "boolean",
    "closed": "boolean",
}


def generate(path: Path, rows: int) -> None:
    """`rows` valid accounts rows over every stage, in several regions."""
    regions = [
        ("Asia/Shanghai", "zh-CN", "CNY", "+86138{:08d}", "王芳"),
        ("America/New_York", "en-US", "USD", "+1202{:07d}", "Alice Walker"),
        ("Europe/London", "en-GB", "GBP", "+447700{:06d}", "Oliver Brown"),
    ]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([column.name for column in ACCOUNT_COLUMNS])
        for n in range(rows):
            zone, locale, currency, phone, name = regions[n % 3]
            dpd = (n * 7) % 150
            balance = 10_000 + (n * 37) % 990_000
            minimum = balance // 10
            overdue = minimum * (dpd // 30 + 1) if dpd else 0
            due = AS_OF - timedelta(days=dpd) if dpd else AS_OF + timedelta(days=3)
            writer.writerow(
                [
                    f"ACC-{n:09d}",
                    f"CH-{n:09d}",
                    name,
                    phone.format(n),
                    zone,
                    locale,
                    (date(1950, 1, 1) + timedelta(days=n % 18_000)).isoformat(),
                    f"{n % 10_000:04d}",
                    currency,
                    "20000.00",
                    _money(balance),
                    _money(minimum),
                    _money(overdue),
                    due.isoformat(),
                    dpd,
                    AS_OF.isoformat(),
                    400 + n % 500,
                    "",
                    "false",
                    "false",
                    "false",
                    "false",
                ]
            )


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def bare_copy(url: str, path: Path) -> float:
    """Seconds PostgreSQL takes to COPY the file into a table with no constraints."""
    columns = ", ".join(f"{c.name} {_BARE_TYPES.get(c.name, 'text')}" for c in ACCOUNT_COLUMNS)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE TABLE bare_accounts ({columns})"))
        with engine.begin() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            started = time.perf_counter()
            with (
                path.open("rb") as source,
                cursor.copy("COPY bare_accounts FROM STDIN (FORMAT csv, HEADER true)") as copy,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory() as workdir, admin.connect() as connection:
        path = Path(workdir) / "accounts.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        size_mib = path.stat().st_size / (1 << 20)
        print(
            f"generated {args.rows:,} rows ({size_mib:.0f} MiB) in "
            f"{time.perf_counter() - started:.1f} s; peak RSS {peak_rss_mib():.0f} MiB"
        )
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            upgrade_to_head(url)
            copy_seconds = bare_copy(url, path)
            print(
                f"COPY into a bare table: {copy_seconds:.1f} s, "
                f"{args.rows / copy_seconds:,.0f} rows/s"
            )
            engine = make_engine(url)
            settings = Settings(database_url=url, verification_hash_key=SecretStr("bench"))
            started = time.perf_counter()
            summary = import_feed(
                engine=engine,
                source=FeedSource.from_path(path),
                settings=settings,
                actor="bench",
            )
            import_seconds = time.perf_counter() - started
            engine.dispose()
            print(
                f"portfolio import:       {import_seconds:.1f} s, "
                f"{args.rows / import_seconds:,.0f} rows/s; accepted {summary.accepted:,}, "
                f"rejected {summary.rejected:,}; peak RSS {peak_rss_mib():.0f} MiB"
            )
            print(f"import / COPY: {import_seconds / copy_seconds:.1f}x")
        finally:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
