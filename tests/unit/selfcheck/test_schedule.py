"""Which China days a control point's task is due on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.selfcheck.schedule import (
    Schedule,
    ScheduleError,
    check_schedule,
    due_at,
    due_dates,
    parse_schedule,
)

# 2026-10-01..07 National Day holidays; Sunday 2026-09-27 and Saturday 2026-10-10 worked.
NATIONAL_DAY = WorkingCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


def days(schedule: Schedule, start: date, end: date, calendar: WorkingCalendar | None = None):
    return [d for d, _ in due_dates(schedule, start, end, calendar)]


def test_a_daily_schedule_is_due_every_day_with_the_date_as_period() -> None:
    found = due_dates(Schedule("daily"), date(2026, 2, 27), date(2026, 3, 2))
    assert found == [
        (date(2026, 2, 27), "2026-02-27"),
        (date(2026, 2, 28), "2026-02-28"),
        (date(2026, 3, 1), "2026-03-01"),
        (date(2026, 3, 2), "2026-03-02"),
    ]


def test_working_days_only_skips_weekends_and_holidays_but_keeps_swapped_workdays() -> None:
    schedule = Schedule("daily", working_days_only=True)
    found = days(schedule, date(2026, 9, 26), date(2026, 10, 11), NATIONAL_DAY)
    assert date(2026, 9, 27) in found  # a worked Sunday
    assert date(2026, 9, 26) not in found  # an ordinary Saturday
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in found)
    assert date(2026, 10, 10) in found and date(2026, 10, 11) not in found


def test_weekly_is_due_on_monday_once_per_iso_week() -> None:
    found = due_dates(Schedule("weekly"), date(2026, 11, 1), date(2026, 11, 16))
    assert found == [(date(2026, 11, 2), "2026-W45"), (date(2026, 11, 9), "2026-W46"),
                     (date(2026, 11, 16), "2026-W47")]  # fmt: skip


def test_weekly_on_a_holiday_moves_to_the_next_working_day_of_the_week() -> None:
    schedule = Schedule("weekly", "", working_days_only=True)
    found = days(schedule, date(2026, 9, 28), date(2026, 10, 11), NATIONAL_DAY)
    # Monday 09-28 is a working day; in the week of 10-05 the holiday lasts until Wednesday
    assert found == [date(2026, 9, 28), date(2026, 10, 8)]


def test_monthly_on_the_31st_falls_on_the_last_day_of_short_months() -> None:
    schedule = Schedule("monthly", "31")
    found = due_dates(schedule, date(2026, 1, 1), date(2026, 4, 30))
    assert found == [
        (date(2026, 1, 31), "2026-01"),
        (date(2026, 2, 28), "2026-02"),
        (date(2026, 3, 31), "2026-03"),
        (date(2026, 4, 30), "2026-04"),
    ]
    assert days(schedule, date(2028, 2, 1), date(2028, 2, 29)) == [date(2028, 2, 29)]


def test_monthly_at_a_month_end_weekend_moves_back_to_the_last_working_day() -> None:
    # 2026-05-31 is a Sunday: no working day after it in May, so Friday 05-29
    schedule = Schedule("monthly", "31", working_days_only=True)
    assert days(schedule, date(2026, 5, 1), date(2026, 5, 31)) == [date(2026, 5, 29)]


def test_a_period_whose_day_lies_before_the_range_gives_nothing() -> None:
    assert days(Schedule("monthly"), date(2026, 11, 2), date(2026, 11, 30)) == []
    assert days(Schedule("weekly"), date(2026, 11, 3), date(2026, 11, 8)) == []


def test_cron_gives_each_day_it_fires_once_however_often_it_fires() -> None:
    every_minute = days(Schedule("cron", "* * * * *"), date(2026, 3, 1), date(2026, 3, 3))
    assert every_minute == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    fridays = days(Schedule("cron", "0 9 * * 5"), date(2026, 11, 1), date(2026, 11, 30))
    assert fridays == [date(2026, 11, 6), date(2026, 11, 13), date(2026, 11, 20),
                       date(2026, 11, 27)]  # fmt: skip


def test_cron_last_day_of_month_and_month_ends() -> None:
    found = days(Schedule("cron", "30 17 L * *"), date(2026, 1, 1), date(2026, 3, 31))
    assert found == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


def test_cron_with_working_days_only_skips_rest_days() -> None:
    schedule = Schedule("cron", "0 8 * * *", working_days_only=True)
    found = days(schedule, date(2026, 10, 1), date(2026, 10, 11), NATIONAL_DAY)
    assert found == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]


def test_the_due_time_is_the_end_of_the_china_day() -> None:
    assert due_at(date(2026, 11, 2)).astimezone(UTC) == datetime(
        2026, 11, 2, 15, 59, 59, 999_999, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["daily", "Weekly", " monthly "])
def test_the_import_names_parse_as_their_kind(text: str) -> None:
    assert parse_schedule(text).kind == text.strip().lower()


@pytest.mark.parametrize(
    "text", ["hourly", "0 9 * *", "61 9 * * *", "0 9 * * 1 2026", "0 9 30 2 *", ""]
)
def test_bad_schedules_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text)


def test_weekly_and_monthly_expressions_are_checked() -> None:
    with pytest.raises(ScheduleError, match="weekday"):
        check_schedule(Schedule("weekly", "8"))
    with pytest.raises(ScheduleError, match="day of the month"):
        check_schedule(Schedule("monthly", "0"))
    check_schedule(Schedule("weekly", "7"))
