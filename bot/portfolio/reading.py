"""Reading a feed file as a stream of rows: CSV (UTF-8, with or without BOM) or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import IO


class FeedFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class FileRefused(Exception):
    """The whole file is refused; nothing in it is applied."""

    def __init__(self, reason: str, *, missing_columns: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing_columns = missing_columns or []


@dataclass(frozen=True)
class FeedRecord:
    """One row of the file; `problem` says why it could not be read as a row at all."""

    row: int
    values: dict[str, str]
    problem: str | None = None


_EXTENSIONS = {".csv": FeedFormat.CSV, ".jsonl": FeedFormat.JSONL, ".ndjson": FeedFormat.JSONL}


def format_for_name(file_name: str) -> FeedFormat | None:
    """The format a file name's extension announces, if any."""
    lowered = file_name.lower()
    return next((fmt for ext, fmt in _EXTENSIONS.items() if lowered.endswith(ext)), None)


class FeedReader:
    """Rows of one feed file, read lazily so memory stays flat whatever the file's size."""

    def __init__(self, binary: IO[bytes], fmt: FeedFormat) -> None:
        self._binary = binary
        self._text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        self.format = fmt
        self.columns: list[str] = []
        self._first_json: FeedRecord | None = None
        self._next_row = 1
        with self._decoding():
            if fmt is FeedFormat.CSV:
                self._csv = csv.reader(self._text, strict=True)
                self._read_csv_header()
            else:
                self._read_first_json()

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got (for progress)."""
        return self._binary.tell()

    def records(self) -> Iterator[FeedRecord]:
        """Every row after the header; blank lines are skipped but keep their row numbers."""
        with self._decoding():
            if self.format is FeedFormat.CSV:
                yield from self._csv_records()
            else:
                if self._first_json is not None:
                    yield self._first_json
                yield from self._json_records()

    def _decoding(self) -> AbstractContextManager[None]:
        return _refusing_unreadable(self)

    def _read_csv_header(self) -> None:
        header = next(self._csv, None)
        if header is None:
            raise FileRefused("the file is empty")
        names = [name.strip().lower() for name in header]
        if not any(names):
            raise FileRefused("the first line must be the header with the column names")
        _check_names(names)
        self.columns = names
        self._next_row = 2

    def _csv_records(self) -> Iterator[FeedRecord]:
        columns = self.columns
        width = len(columns)
        row = self._next_row
        for fields in self._csv:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                row += 1
                continue
            if len(fields) != width:
                yield FeedRecord(
                    row, {}, f"the row has {len(fields)} fields, the header has {width}"
                )
            else:
                yield FeedRecord(row, dict(zip(columns, fields, strict=True)))
            row += 1
            self._next_row = row

    def _read_first_json(self) -> None:
        for line in self._text:
            row = self._next_row
            self._next_row += 1
            if not line.strip():
                continue
            record = _json_record(row, line)
            if record.problem is not None:
                raise FileRefused(f"line {row} is not a JSON object: {record.problem}")
            names = list(record.values)
            _check_names(names)
            self.columns = names
            self._first_json = record
            return
        raise FileRefused("the file is empty")

    def _json_records(self) -> Iterator[FeedRecord]:
        for line in self._text:
            row = self._next_row
            self._next_row += 1
            if line.strip():
                yield _json_record(row, line)


@contextmanager
def _refusing_unreadable(reader: FeedReader) -> Iterator[None]:
    """A decoding or CSV syntax error anywhere in the file refuses the whole file."""
    try:
        yield
    except UnicodeDecodeError as error:
        raise FileRefused(
            f"the file is not UTF-8 text (found byte 0x{error.object[error.start]:02x}, "
            "which UTF-8 does not allow); export it as UTF-8"
        ) from None
    except csv.Error as error:
        raise FileRefused(f"row {reader._next_row} is not valid CSV: {error}") from None


def _check_names(names: list[str]) -> None:
    for position, name in enumerate(names, start=1):
        if not name:
            raise FileRefused(f"column {position} of the header has no name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FileRefused(f"column {name!r} appears twice in the header")
        seen.add(name)


def _json_record(row: int, line: str) -> FeedRecord:
    try:
        document = json.loads(line, parse_float=Decimal)
    except ValueError:
        return FeedRecord(row, {}, "the line is not valid JSON")
    if not isinstance(document, dict):
        return FeedRecord(row, {}, "the line is not a JSON object")
    values: dict[str, str] = {}
    for key, value in document.items():
        name = str(key).strip().lower()
        if isinstance(value, bool):
            values[name] = "true" if value else "false"
        elif value is None:
            values[name] = ""
        elif isinstance(value, str | int | Decimal):
            values[name] = str(value)
        else:
            return FeedRecord(row, {}, f"field {name!r} holds a list or an object")
    return FeedRecord(row, values)
