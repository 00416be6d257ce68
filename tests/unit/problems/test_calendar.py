"""The working-day calendar: weekends, holidays, swapped working days, and its CSV."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.core.errors import ImportRefused, InputError
from ecoradar.problems.calendar import WorkingCalendar, calendar_csv, parse_calendar_csv

PLAIN = WorkingCalendar()
# A Golden Week-like block: Thursday 1 to Wednesday 7 October 2026 off, Sunday 27 September and
# Saturday 10 October worked.
GOLDEN_WEEK = WorkingCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)
FRI, SAT, SUN, MON, TUE = (date(2026, 3, 6) + timedelta(days=i) for i in range(5))


def test_weekdays_work_and_weekends_rest_in_a_plain_calendar() -> None:
    assert [PLAIN.is_working_day(d) for d in (FRI, SAT, SUN, MON)] == [True, False, False, True]


def test_a_holiday_on_a_weekday_is_a_rest_day() -> None:
    calendar = WorkingCalendar(holidays=frozenset({TUE}))
    assert not calendar.is_working_day(TUE)
    assert calendar.add_working_days(MON, 1) == date(2026, 3, 11)


def test_a_saturday_made_a_working_day_counts() -> None:
    calendar = WorkingCalendar(extra_workdays=frozenset({SAT}))
    assert calendar.is_working_day(SAT)
    assert calendar.add_working_days(FRI, 1) == SAT
    assert calendar.add_working_days(FRI, 2) == MON


def test_adding_working_days_skips_the_weekend_and_starts_after_the_day() -> None:
    assert PLAIN.add_working_days(FRI, 0) == FRI
    assert PLAIN.add_working_days(FRI, 1) == MON
    assert PLAIN.add_working_days(SAT, 1) == MON
    assert PLAIN.add_working_days(FRI, 2) == TUE
    assert PLAIN.add_working_days(FRI, 5) == date(2026, 3, 13)


def test_negative_working_days_count_backwards() -> None:
    assert PLAIN.add_working_days(MON, -1) == FRI
    assert PLAIN.add_working_days(SUN, -1) == FRI
    assert PLAIN.add_working_days(TUE, -2) == FRI


def test_working_days_across_a_golden_week_block() -> None:
    assert GOLDEN_WEEK.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert GOLDEN_WEEK.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert GOLDEN_WEEK.add_working_days(date(2026, 9, 25), 1) == date(2026, 9, 27)
    assert GOLDEN_WEEK.working_days_between(date(2026, 9, 30), date(2026, 10, 11)) == 3


def test_working_days_between_counts_days_after_the_start_up_to_the_end() -> None:
    assert PLAIN.working_days_between(FRI, FRI) == 0
    assert PLAIN.working_days_between(FRI, SUN) == 0
    assert PLAIN.working_days_between(FRI, TUE) == 2
    assert PLAIN.working_days_between(TUE, FRI) == -2


def test_next_working_day_is_the_day_itself_or_the_first_after_it() -> None:
    assert PLAIN.next_working_day(FRI) == FRI
    assert PLAIN.next_working_day(SAT) == MON
    assert GOLDEN_WEEK.next_working_day(date(2026, 10, 3)) == date(2026, 10, 8)


def test_a_day_cannot_be_both_holiday_and_workday() -> None:
    with pytest.raises(ValueError, match="2026-03-07"):
        WorkingCalendar(holidays=frozenset({SAT}), extra_workdays=frozenset({SAT}))


def test_merging_calendars_lets_the_second_win() -> None:
    other = WorkingCalendar(holidays=frozenset({date(2026, 9, 27)}), names={MON: "x"})
    merged = GOLDEN_WEEK.merged(other)
    assert not merged.is_working_day(date(2026, 9, 27))
    assert merged.is_working_day(date(2026, 10, 10))
    assert merged.names == {MON: "x"}


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
calendars = st.builds(
    lambda holidays, workdays: WorkingCalendar(
        frozenset(holidays), frozenset(d for d in workdays if d.weekday() >= 5) - holidays
    ),
    st.sets(days, max_size=60),
    st.sets(days, max_size=20),
)


@given(calendars, days, st.integers(min_value=1, max_value=80))
@settings(max_examples=200)
def test_adding_n_working_days_lands_on_a_working_day_n_working_days_later(
    calendar: WorkingCalendar, day: date, n: int
) -> None:
    end = calendar.add_working_days(day, n)
    assert end > day
    assert calendar.is_working_day(end)
    assert calendar.working_days_between(day, end) == n
    assert calendar.working_days_between(day, end - timedelta(days=1)) == n - 1


@given(
    calendars, days, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40)
)
@settings(max_examples=200)
def test_adding_working_days_in_two_steps_equals_one_step(
    calendar: WorkingCalendar, day: date, a: int, b: int
) -> None:
    assert calendar.add_working_days(calendar.add_working_days(day, a), b) == (
        calendar.add_working_days(day, a + b)
    )


@given(calendars, days, days, st.integers(min_value=1, max_value=40))
@settings(max_examples=200)
def test_adding_working_days_keeps_the_order_of_days(
    calendar: WorkingCalendar, first: date, second: date, n: int
) -> None:
    first, second = min(first, second), max(first, second)
    assert calendar.add_working_days(first, n) <= calendar.add_working_days(second, n)


@given(calendars, days, st.integers(min_value=1, max_value=40))
@settings(max_examples=200)
def test_going_back_undoes_going_forward_from_a_working_day(
    calendar: WorkingCalendar, day: date, n: int
) -> None:
    start = calendar.next_working_day(day)
    assert calendar.add_working_days(calendar.add_working_days(start, n), -n) == start


@given(calendars, days, days)
@settings(max_examples=200)
def test_working_days_between_is_antisymmetric(calendar: WorkingCalendar, a: date, b: date) -> None:
    assert calendar.working_days_between(a, b) == -calendar.working_days_between(b, a)


# --- CSV ----------------------------------------------------------------------------------


GOOD_CSV = """\ufeffdate,kind,name
# 2026 National Day
2026-10-01,holiday,国庆节
2026-10-02,HOLIDAY,"国庆节, 中秋节"

2026-10-10,workday,国庆节调休
2026-05-01,holiday
"""


def test_a_csv_calendar_is_read_with_its_names() -> None:
    calendar = parse_calendar_csv(GOOD_CSV)
    assert calendar.holidays == {date(2026, 10, 1), date(2026, 10, 2), date(2026, 5, 1)}
    assert calendar.extra_workdays == {date(2026, 10, 10)}
    assert calendar.names[date(2026, 10, 2)] == "国庆节, 中秋节"
    assert date(2026, 5, 1) not in calendar.names
    assert calendar.is_working_day(date(2026, 10, 10))


def test_the_header_line_is_optional() -> None:
    assert parse_calendar_csv("2026-10-01,holiday,国庆节\n").holidays == {date(2026, 10, 1)}


def test_an_empty_csv_is_a_plain_calendar() -> None:
    assert parse_calendar_csv("date,kind,name\n") == PLAIN


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("2026-13-01,holiday,x", "date", "'2026-13-01' is not a date"),
        ("20261001,holiday,x", "date", "'20261001' is not a date"),
        ("2026-10-01,vacation,x", "kind", "'vacation' is not one of holiday, workday"),
        ("2026-10-01", "line", "got 1"),
        ("2026-10-01,holiday,x,y", "line", "got 4"),
        ("2026-10-09,workday,x", "date", "2026-10-09 is a Friday, a working day already"),
        ("2026-10-01,holiday," + "x" * 101, "name", "longer than 100"),
    ],
)
def test_a_bad_csv_line_is_refused_naming_the_line_and_column(
    line: str, column: str, reason: str
) -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_calendar_csv(f"date,kind,name\n2026-05-01,holiday,劳动节\n{line}\n", "h.csv")
    (error,) = caught.value.errors
    assert (error.file, error.line, error.column) == ("h.csv", 3, column)
    assert reason in error.reason


def test_every_bad_line_is_reported_and_nothing_is_returned() -> None:
    text = "2026-10-01,holiday\n2026-10-01,holiday\nnot a date,holiday\n2026-10-03,off\n"
    with pytest.raises(ImportRefused) as caught:
        parse_calendar_csv(text)
    assert [(e.line, e.column) for e in caught.value.errors] == [
        (2, "date"),
        (3, "date"),
        (4, "kind"),
    ]
    assert "already listed on line 1" in caught.value.errors[0].reason
    assert isinstance(caught.value, InputError)
    assert "calendar.csv:2: date:" in str(caught.value)


@given(calendars)
@settings(max_examples=50)
def test_a_calendar_written_as_csv_reads_back_equal(calendar: WorkingCalendar) -> None:
    assert parse_calendar_csv(calendar_csv(calendar)) == calendar


def test_names_survive_the_csv_round_trip() -> None:
    calendar = parse_calendar_csv(GOOD_CSV)
    assert parse_calendar_csv(calendar_csv(calendar)).names == calendar.names
