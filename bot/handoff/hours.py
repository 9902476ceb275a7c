"""When people answer: the collection team's business hours, told in the cardholder's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPEC = re.compile(r"^\s*(\w{3})\s*-\s*(\w{3})\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class BusinessHours:
    weekdays: frozenset[int]  # Monday is 0
    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, zone: str) -> BusinessHours:
        """`"Mon-Fri 09:00-18:00"` in `zone`; a clear ValueError for anything else."""
        match = _SPEC.match(spec.lower())
        if not match or match.group(1) not in _DAYS or match.group(2) not in _DAYS:
            raise ValueError(f"business hours {spec!r} are not like 'Mon-Fri 09:00-18:00'")
        first, last = _DAYS.index(match.group(1)), _DAYS.index(match.group(2))
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        opens = time(int(match.group(3)), int(match.group(4)))
        closes = time(int(match.group(5)), int(match.group(6)))
        if closes <= opens:
            raise ValueError(f"business hours {spec!r} close before they open")
        return cls(frozenset(days), opens, closes, ZoneInfo(zone))

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return local.weekday() in self.weekdays and self.opens <= local.time() < self.closes

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when open, else the next moment the team starts work."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for days_ahead in range(8):
            day = (local + timedelta(days=days_ahead)).date()
            opening = datetime.combine(day, self.opens, tzinfo=self.zone)
            if day.weekday() in self.weekdays and opening > local:
                return opening
        raise AssertionError("business hours have no working day")  # parse() forbids this

    def answer_due(self, at: datetime, sla: timedelta) -> datetime:
        """When a person should have answered a case raised at `at`."""
        return self.next_opening(at) + sla

    def when_a_person_answers(
        self, at: datetime, sla: timedelta, cardholder_zone: str | None
    ) -> str:
        """A short phrase for the cardholder: "within 30 minutes" or "from Mon 09:00"."""
        if self.is_open(at):
            return f"within {int(sla.total_seconds() // 60)} minutes"
        opening = self.next_opening(at).astimezone(ZoneInfo(cardholder_zone or str(self.zone)))
        return f"from {opening:%a %d %b, %H:%M} your time"
