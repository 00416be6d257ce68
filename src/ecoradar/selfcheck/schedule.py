"""When a control point's task is due (pure): China calendar days between two dates.

Kinds (``Schedule.kind``), each giving at most one task per period:

- ``daily``: every day; period key ``2026-11-02``.
- ``weekly``: one day of each ISO week, ``expression`` the ISO weekday 1-7 (empty: Monday);
  period key ``2026-W45``.
- ``monthly``: one day of each month, ``expression`` the day 1-31 (empty: the 1st); a day the
  month does not have means its last day (the 31st is the 28th or 29th in February, the 30th
  in April); period key ``2026-11``.
- ``cron``: five cron fields (minute hour day-of-month month day-of-week, evaluated by
  ``cronsim`` in China time; ``L`` for the last day of the month works). Every China day on
  which the expression fires at least once is due; period key the date.

``working_days_only`` (with a ``WorkingCalendar``: weekends, public holidays and swapped
working days): a daily or cron day that is not a working day is skipped; a weekly or monthly
day that is not one moves to the first working day after it in the same period, or, when the
period has none after it, to the last working day before it; a period without any working day
has no task. China has no daylight saving time, so a day is always 24 hours.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cronsim import CronSim, CronSimError

from ecoradar.core.clock import CHINA_TZ
from ecoradar.problems.calendar import WorkingCalendar

KINDS = ("daily", "weekly", "monthly", "cron")
ONE_DAY = timedelta(days=1)
END_OF_DAY = time(23, 59, 59, 999_999)


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message says why."""


@dataclass(frozen=True)
class Schedule:
    kind: str
    expression: str = ""
    working_days_only: bool = False


def parse_schedule(text: str, *, working_days_only: bool = False) -> Schedule:
    """The schedule column of an import: ``daily``, ``weekly``, ``monthly`` or a cron
    expression. Raises ``ScheduleError``."""
    value = " ".join(text.split())
    if value.lower() in ("daily", "weekly", "monthly"):
        return Schedule(value.lower(), "", working_days_only)
    schedule = Schedule("cron", value, working_days_only)
    check_schedule(schedule)
    return schedule


def check_schedule(schedule: Schedule) -> None:
    """Raise ``ScheduleError`` unless ``schedule`` can be evaluated."""
    kind, expression = schedule.kind, schedule.expression
    if kind not in KINDS:
        raise ScheduleError(f"unknown schedule kind {kind!r}; use {', '.join(KINDS)}")
    if kind == "weekly" and expression and expression not in {str(n) for n in range(1, 8)}:
        raise ScheduleError(f"weekly: {expression!r} is not an ISO weekday 1-7")
    if kind == "monthly" and expression and expression not in {str(n) for n in range(1, 32)}:
        raise ScheduleError(f"monthly: {expression!r} is not a day of the month 1-31")
    if kind == "cron":
        if len(expression.split()) != 5:
            raise ScheduleError(
                f"{expression!r} is not daily, weekly, monthly or a cron expression of five "
                "fields (minute hour day month weekday)"
            )
        try:
            first = CronSim(expression, datetime(2000, 1, 1))  # noqa: DTZ001 (wall-clock time)
            next(first)
        except (CronSimError, StopIteration) as exc:
            raise ScheduleError(f"cron expression {expression!r}: {exc or 'never fires'}") from exc


def period_key(schedule: Schedule, day: date) -> str:
    if schedule.kind == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if schedule.kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def due_at(day: date) -> datetime:
    """The end of China day ``day`` (aware; 15:59:59.999999 UTC)."""
    return datetime.combine(day, END_OF_DAY, tzinfo=CHINA_TZ)


def china_date(instant: datetime) -> date:
    return instant.astimezone(CHINA_TZ).date()


def due_dates(
    schedule: Schedule, start: date, end: date, calendar: WorkingCalendar | None = None
) -> list[tuple[date, str]]:
    """``(day, period key)`` of every task due from ``start`` to ``end`` (both included),
    in order. A period's day that falls outside the range gives nothing."""
    if end < start:
        return []
    working = calendar or WorkingCalendar()
    if schedule.kind == "daily":
        days: Iterator[date] = _days(start, end)
    elif schedule.kind == "cron":
        days = _cron_days(schedule.expression, start, end)
    elif schedule.kind == "weekly":
        days = _weekly(schedule, start, end, working)
    elif schedule.kind == "monthly":
        days = _monthly(schedule, start, end, working)
    else:
        raise ScheduleError(f"unknown schedule kind {schedule.kind!r}")
    if schedule.working_days_only and schedule.kind in ("daily", "cron"):
        days = (d for d in days if working.is_working_day(d))
    return [(d, period_key(schedule, d)) for d in days if start <= d <= end]


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def _cron_days(expression: str, start: date, end: date) -> Iterator[date]:
    """Days on which ``expression`` fires (China wall-clock time, naive for cronsim)."""
    after = datetime.combine(start, time()) - timedelta(minutes=1)  # noqa: DTZ001
    while True:
        try:
            fired = next(CronSim(expression, after))
        except (StopIteration, CronSimError):
            return
        day = fired.date()
        if day > end:
            return
        yield day
        # Next firing on a later day: start looking just before that day's midnight.
        after = datetime.combine(day + ONE_DAY, time()) - timedelta(minutes=1)


def _in_period(
    nominal: date, first: date, last: date, working: WorkingCalendar, only: bool
) -> date | None:
    if not only or working.is_working_day(nominal):
        return nominal
    day = nominal + ONE_DAY
    while day <= last:
        if working.is_working_day(day):
            return day
        day += ONE_DAY
    day = nominal - ONE_DAY
    while day >= first:
        if working.is_working_day(day):
            return day
        day -= ONE_DAY
    return None


def _weekly(schedule: Schedule, start: date, end: date, working: WorkingCalendar) -> Iterator[date]:
    weekday = int(schedule.expression or 1)
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        sunday = monday + timedelta(days=6)
        nominal = monday + timedelta(days=weekday - 1)
        day = _in_period(nominal, monday, sunday, working, schedule.working_days_only)
        if day is not None:
            yield day
        monday += timedelta(days=7)


def _monthly(
    schedule: Schedule, start: date, end: date, working: WorkingCalendar
) -> Iterator[date]:
    wanted = int(schedule.expression or 1)
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        last_day = month_calendar.monthrange(year, month)[1]
        first, last = date(year, month, 1), date(year, month, last_day)
        nominal = date(year, month, min(wanted, last_day))
        day = _in_period(nominal, first, last, working, schedule.working_days_only)
        if day is not None:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
