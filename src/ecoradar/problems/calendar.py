"""The working-day calendar (pure): weekends, public holidays and China's swapped working days.

China moves working days around its public holidays (调休): the days of a holiday block are off,
and one or two weekend days next to it become working days. A ``WorkingCalendar`` holds both
lists; every other day is a working day from Monday to Friday and a rest day on Saturday and
Sunday.

``parse_calendar_csv`` reads the lists from a small CSV text, one date a line::

    date,kind,name
    2026-10-01,holiday,国庆节
    2026-10-10,workday,国庆节调休

``kind`` is ``holiday`` (a day off, whatever weekday it falls on) or ``workday`` (a Saturday or
Sunday that is worked). The header line is optional; blank lines and lines starting with ``#``
are skipped. The file is refused as a whole, with one error per bad line.

Dates here are China calendar days (the caller converts instants with ``CHINA_TZ``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ecoradar.core.errors import ImportRefused, RowError

ONE_DAY = timedelta(days=1)
KINDS = ("holiday", "workday")
HEADER = ("date", "kind", "name")
MAX_NAME = 100


@dataclass(frozen=True)
class WorkingCalendar:
    """Which China calendar days are working days.

    ``holidays``: days off even on a weekday. ``extra_workdays``: weekend days that are worked.
    ``names`` (optional, not compared) labels the listed days for display.
    """

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    names: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        both = self.holidays & self.extra_workdays
        if both:
            days = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"days listed both as holiday and as workday: {days}")

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself does not count).

        ``n = 0`` gives ``day`` unchanged; a negative ``n`` counts backwards (the ``|n|``-th
        working day before ``day``).
        """
        step = ONE_DAY if n >= 0 else -ONE_DAY
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after ``start`` up to and including ``end``.

        Negative when ``end`` is before ``start`` (then: working days after ``end`` up to and
        including ``start``, counted negative), so that
        ``add_working_days(start, working_days_between(start, end))`` is ``end`` whenever ``end``
        is a working day.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def merged(self, other: WorkingCalendar) -> WorkingCalendar:
        """This calendar with ``other``'s days added (``other`` wins where they disagree)."""
        holidays = (self.holidays - other.extra_workdays) | other.holidays
        workdays = (self.extra_workdays - other.holidays) | other.extra_workdays
        return WorkingCalendar(holidays, workdays, {**self.names, **other.names})


def parse_calendar_csv(text: str, source: str = "calendar.csv") -> WorkingCalendar:
    """A calendar from ``date,kind,name`` lines; ``ImportRefused`` names every bad line."""
    errors: list[RowError] = []
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    first_line: dict[date, int] = {}

    def refuse(line: int, column: str, reason: str) -> None:
        errors.append(RowError(source, line, column, reason))

    for index, (line, row) in enumerate(_rows(text)):
        if (
            index == 0
            and len(row) >= 2
            and tuple(c.strip().lower() for c in row) == HEADER[: len(row)]
        ):
            continue
        if len(row) < 2 or len(row) > 3:
            refuse(line, "line", f"expected date,kind,name (2 or 3 fields), got {len(row)}")
            continue
        raw_day, raw_kind = row[0].strip(), row[1].strip().lower()
        name = row[2].strip() if len(row) == 3 else ""
        day = _iso_date(raw_day)
        if day is None:
            refuse(line, "date", f"{raw_day!r} is not a date (YYYY-MM-DD)")
            continue
        if raw_kind not in KINDS:
            refuse(line, "kind", f"{row[1].strip()!r} is not one of holiday, workday")
            continue
        if len(name) > MAX_NAME:
            refuse(line, "name", f"longer than {MAX_NAME} characters")
            continue
        if day in first_line:
            refuse(line, "date", f"{day.isoformat()} already listed on line {first_line[day]}")
            continue
        if raw_kind == "workday" and day.weekday() < 5:
            refuse(
                line,
                "date",
                f"{day.isoformat()} is a {day.strftime('%A')}, a working day already; "
                "workday lines are for a Saturday or Sunday that is worked",
            )
            continue
        first_line[day] = line
        (holidays if raw_kind == "holiday" else workdays)[day] = name
    if errors:
        raise ImportRefused(errors)
    names = {d: n for d, n in (holidays | workdays).items() if n}
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), names)


def calendar_csv(calendar: WorkingCalendar) -> str:
    """The CSV text ``parse_calendar_csv`` reads back into an equal calendar."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    listed = [(d, "holiday") for d in calendar.holidays]
    listed += [(d, "workday") for d in calendar.extra_workdays]
    for day, kind in sorted(listed):
        writer.writerow((day.isoformat(), kind, calendar.names.get(day, "")))
    return out.getvalue()


def _iso_date(text: str) -> date | None:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line number, fields) of every line that is not blank or a ``#`` comment."""
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield number, next(csv.reader([raw]))
