"""Rejections kept on disk while a file is imported, so memory stays flat however many there are."""

from __future__ import annotations

import csv
import heapq
import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import IO

from bot.portfolio.rejections import Rejection

_IN_MEMORY_UP_TO = 1 << 20


class RejectionSpool:
    """Two row-ordered streams: rows refused while reading, and rows refused as a set later."""

    def __init__(self) -> None:
        self._read = _spool()
        self._conflicts = _spool()
        self._read_writer = csv.writer(self._read)
        self._conflict_writer = csv.writer(self._conflicts)

    def add_read(self, rejection: Rejection) -> None:
        """A rejection found while reading (rows arrive in order)."""
        self._read_writer.writerow(_fields(rejection))

    def add_conflict(self, rejection: Rejection) -> None:
        """A rejection found by the set checks (given in row order)."""
        self._conflict_writer.writerow(_fields(rejection))

    def merged(self) -> Iterator[Rejection]:
        """Every rejection, by row."""
        return heapq.merge(_replay(self._read), _replay(self._conflicts), key=lambda r: r.row)

    def close(self) -> None:
        self._read.close()
        self._conflicts.close()

    def __enter__(self) -> RejectionSpool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _spool() -> IO[str]:
    return tempfile.SpooledTemporaryFile(
        max_size=_IN_MEMORY_UP_TO, mode="w+", encoding="utf-8", newline=""
    )


def _fields(rejection: Rejection) -> tuple[int, str, str, str]:
    return (rejection.row, rejection.column, rejection.value, rejection.reason)


def _replay(stream: IO[str]) -> Iterator[Rejection]:
    stream.seek(0)
    for row, column, value, reason in csv.reader(stream):
        yield Rejection(int(row), column, value, reason)
