"""Draw periods (pure): ``2026-12`` (a month), ``2026-Q4`` (a quarter), ``2026`` (a year) or
``2026-12-01..2026-12-15`` (China dates, both included). The text as written is part of every
enterprise's key in the draw, so it is normalised first (upper-case ``Q``, no spaces)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ecoradar.inspections.errors import BadInput

MAX_DAYS = 366 * 2
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"(\d{4})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str) -> Period:
    """The period ``text`` names, or ``InputError`` naming the field ``period``."""
    label = "".join(text.split()).upper()
    try:
        if m := _MONTH.fullmatch(label):
            year, month = int(m[1]), int(m[2])
            return Period(label, date(year, month, 1), _month_end(year, month))
        if m := _QUARTER.fullmatch(label):
            year, quarter = int(m[1]), int(m[2])
            first = 3 * quarter - 2
            return Period(label, date(year, first, 1), _month_end(year, first + 2))
        if m := _YEAR.fullmatch(label):
            year = int(m[1])
            return Period(label, date(year, 1, 1), date(year, 12, 31))
        if m := _RANGE.fullmatch(label):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if start > end:
                raise BadInput("period", f"period {text!r}: the first day is after the last")
            if (end - start).days >= MAX_DAYS:
                raise BadInput("period", f"period {text!r}: longer than {MAX_DAYS} days")
            return Period(label, start, end)
    except ValueError as exc:
        raise BadInput("period", f"period {text!r}: not a valid date ({exc})") from exc
    raise BadInput(
        "period",
        f"period {text!r}: write a month (2026-12), a quarter (2026-Q4), a year (2026) or "
        "a range of China dates (2026-12-01..2026-12-15)",
    )
