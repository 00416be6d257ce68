"""Deadlines over weekends and holidays, extensions, overdue status and escalation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.problems.deadlines import (
    MAX_ESCALATION_LEVEL,
    NATIONAL_RULES,
    DeadlineRules,
    DeadlineStatus,
    Span,
    acceptance_due,
    china_day,
    deadline_state,
    end_of_day,
    handling_due,
    parse_span,
    should_escalate,
)
from ecoradar.problems.workflow import (
    Action,
    Actor,
    NotAllowed,
    Payload,
    ProblemSnapshot,
    Role,
    State,
    apply,
    decide,
)

PLAIN = WorkingCalendar()
GOLDEN_WEEK = WorkingCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)
LABOUR_DAY = WorkingCalendar(holidays=frozenset(date(2026, 5, d) for d in range(1, 6)))
CITY = DeadlineRules(accept_within=Span(2, "working_days"))
OFFICER = Actor(Role.OFFICER, 1, in_scope=True)


def china(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    """An instant given in China time."""
    return datetime(year, month, day, hour, minute, second, us, tzinfo=CHINA_TZ)


def due_on(day: date) -> datetime:
    return datetime.combine(day, time(15, 59, 59, 999999), UTC)


# --- spans and rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("15d", Span(15)),
        ("2wd", Span(2, "working_days")),
        (" 60D ", Span(60)),
        ("30d", Span(30, "days")),
        ("1 wd", Span(1, "working_days")),
    ],
)
def test_spans_are_written_in_days_or_working_days(text: str, span: Span) -> None:
    assert parse_span(text) == span
    assert parse_span(str(span)) == span


@pytest.mark.parametrize("text", ["15", "d", "-1d", "1.5d", "15 days", "", "2w", "15d15d"])
def test_a_span_that_is_not_days_or_working_days_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(InputError, match=r"^accept_within: .* is not a span; write days as '15d'"):
        parse_span(text, "accept_within")


@pytest.mark.parametrize("text", ["0d", "3661d"])
def test_a_span_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(InputError, match=r"^extension: .* within 1..3660"):
        parse_span(text, "extension")


def test_spans_check_their_own_values() -> None:
    with pytest.raises(ValueError, match="unit 'weeks'"):
        Span(2, "weeks")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="span of 0"):
        Span(0)


def test_the_default_rules_are_the_national_ones() -> None:
    assert NATIONAL_RULES == DeadlineRules.parse()
    assert (str(NATIONAL_RULES.accept_within), str(NATIONAL_RULES.handle_within)) == ("15d", "60d")
    assert (str(NATIONAL_RULES.extension), NATIONAL_RULES.max_extensions) == ("30d", 1)
    assert DeadlineRules.parse(accept_within="2wd") == CITY


def test_rules_from_text_name_the_bad_setting() -> None:
    with pytest.raises(InputError, match="^handle_within: "):
        DeadlineRules.parse(handle_within="sixty days")
    with pytest.raises(InputError, match="^max_extensions: -1 must not be negative"):
        DeadlineRules.parse(max_extensions=-1)
    with pytest.raises(InputError, match="^max_extensions: '1' is not a whole number"):
        DeadlineRules.parse(max_extensions="1")  # type: ignore[arg-type]


# --- acceptance ---------------------------------------------------------------------------


def test_acceptance_is_due_at_the_end_of_the_fifteenth_china_day_after_the_report() -> None:
    due = acceptance_due(china(2026, 3, 2, 9, 0), NATIONAL_RULES, PLAIN)
    assert due == due_on(date(2026, 3, 17))
    assert due.tzinfo is UTC
    assert due.astimezone(CHINA_TZ) == china(2026, 3, 17, 23, 59, 59, 999999)


def test_a_report_on_friday_evening_is_due_in_two_working_days_on_tuesday() -> None:
    assert acceptance_due(china(2026, 3, 6, 20, 0), CITY, PLAIN) == due_on(date(2026, 3, 10))


def test_a_report_is_dated_by_its_china_day_not_its_utc_day() -> None:
    thursday_night = china(2026, 3, 5, 23, 30)
    friday_early = china(2026, 3, 6, 0, 30)
    assert friday_early.astimezone(UTC).date() == date(2026, 3, 5)
    assert acceptance_due(thursday_night, CITY, PLAIN) == due_on(date(2026, 3, 9))
    assert acceptance_due(friday_early, CITY, PLAIN) == due_on(date(2026, 3, 10))


def test_a_weekday_holiday_is_not_counted() -> None:
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 3, 5)}))
    assert acceptance_due(china(2026, 3, 4, 10, 0), CITY, calendar) == due_on(date(2026, 3, 9))


def test_a_saturday_made_a_working_day_is_counted() -> None:
    calendar = WorkingCalendar(extra_workdays=frozenset({date(2026, 3, 7)}))
    assert acceptance_due(china(2026, 3, 6, 20, 0), CITY, calendar) == due_on(date(2026, 3, 9))


def test_two_working_days_span_a_golden_week_block() -> None:
    assert acceptance_due(china(2026, 9, 30, 16, 0), CITY, GOLDEN_WEEK) == due_on(date(2026, 10, 9))
    assert acceptance_due(china(2026, 9, 25, 16, 0), CITY, GOLDEN_WEEK) == due_on(date(2026, 9, 28))


def test_a_calendar_day_span_ending_in_a_holiday_block_ends_after_it() -> None:
    reported = china(2026, 9, 20, 10, 0)
    assert acceptance_due(reported, NATIONAL_RULES, GOLDEN_WEEK) == due_on(date(2026, 10, 8))
    exact = dataclasses.replace(NATIONAL_RULES, roll_to_working_day=False)
    assert acceptance_due(reported, exact, GOLDEN_WEEK) == due_on(date(2026, 10, 5))


def test_a_calendar_day_span_ending_on_a_saturday_ends_on_monday() -> None:
    assert acceptance_due(china(2026, 3, 6, 10, 0), NATIONAL_RULES, PLAIN) == due_on(
        date(2026, 3, 23)
    )


def test_deadlines_cross_the_year_boundary() -> None:
    new_year = WorkingCalendar(holidays=frozenset({date(2027, 1, 1)}))
    assert acceptance_due(china(2026, 12, 30, 9, 0), CITY, new_year) == due_on(date(2027, 1, 4))
    assert acceptance_due(china(2026, 12, 25, 9, 0), NATIONAL_RULES, new_year) == due_on(
        date(2027, 1, 11)
    )


def test_china_time_has_no_daylight_saving_so_every_deadline_is_1559_utc() -> None:
    try:
        shanghai = ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # pragma: no cover - tzdata is part of the OS image
        pytest.skip("no time zone database")
    day = date(2026, 1, 1)
    while day.year == 2026:
        end = end_of_day(day)
        assert end == datetime.combine(day, time.max, shanghai)
        assert (end.hour, end.minute, end.tzinfo) == (15, 59, UTC)
        day += timedelta(days=1)
    # Days on which Europe and North America change their clocks change nothing here.
    for day in (date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)):
        assert end_of_day(day) == due_on(day)


# --- handling and extensions --------------------------------------------------------------


def test_handling_is_due_sixty_days_after_acceptance() -> None:
    accepted = china(2026, 3, 2, 15, 0)
    assert handling_due(accepted, NATIONAL_RULES, PLAIN) == due_on(date(2026, 5, 1))
    assert handling_due(accepted, NATIONAL_RULES, LABOUR_DAY) == due_on(date(2026, 5, 6))


def test_an_extension_adds_thirty_days_to_the_last_day() -> None:
    accepted = china(2026, 3, 2, 15, 0)
    assert handling_due(accepted, NATIONAL_RULES, LABOUR_DAY, 1) == due_on(date(2026, 6, 1))
    assert handling_due(accepted, NATIONAL_RULES, PLAIN, 2) == due_on(date(2026, 6, 30))
    with pytest.raises(ValueError, match="extensions"):
        handling_due(accepted, NATIONAL_RULES, PLAIN, -1)


def test_an_extension_is_granted_once_and_moves_the_deadline() -> None:
    problem = ProblemSnapshot(
        State.ASSIGNED, china(2026, 3, 1, 9, 0), accepted_at=china(2026, 3, 2, 15, 0)
    )
    now = china(2026, 4, 20, 10, 0)
    before = deadline_state(problem, now, calendar=PLAIN)
    transition = decide(problem, Action.EXTEND_DEADLINE, OFFICER, Payload(reason="检测中"), now)
    extended = apply(problem, transition)
    after = deadline_state(extended, now, calendar=PLAIN)
    assert (before.due, after.due) == (due_on(date(2026, 5, 1)), due_on(date(2026, 6, 1)))
    with pytest.raises(NotAllowed):
        decide(extended, Action.EXTEND_DEADLINE, OFFICER, Payload(reason="再延"), now)


# --- status -------------------------------------------------------------------------------

REPORTED = ProblemSnapshot(State.REPORTED, china(2026, 3, 2, 9, 0))
ACCEPTANCE_DUE = due_on(date(2026, 3, 17))


def test_a_reported_problem_runs_against_its_acceptance_deadline() -> None:
    status = deadline_state(REPORTED, ACCEPTANCE_DUE, calendar=PLAIN)
    assert status == DeadlineStatus(ACCEPTANCE_DUE, False, "acceptance", 0)
    late = deadline_state(REPORTED, ACCEPTANCE_DUE + timedelta(microseconds=1), calendar=PLAIN)
    assert late == DeadlineStatus(ACCEPTANCE_DUE, True, "acceptance", 1, 1, ACCEPTANCE_DUE)


def test_days_overdue_count_china_calendar_days() -> None:
    status = deadline_state(REPORTED, china(2026, 3, 20, 23, 59), calendar=PLAIN)
    assert status.days_overdue == 3
    assert deadline_state(REPORTED, china(2026, 3, 21, 0, 0), calendar=PLAIN).days_overdue == 4


def test_an_accepted_problem_runs_against_its_handling_deadline() -> None:
    problem = dataclasses.replace(REPORTED, state=State.RECTIFIED, accepted_at=china(2026, 3, 3, 8))
    status = deadline_state(problem, china(2026, 4, 1, 8, 0), calendar=PLAIN)
    assert (status.which, status.due, status.overdue) == (
        "handling",
        due_on(date(2026, 5, 4)),
        False,
    )


def test_a_reopened_problem_gets_a_new_handling_round_from_its_reopening() -> None:
    problem = dataclasses.replace(
        REPORTED,
        state=State.REOPENED,
        accepted_at=china(2026, 3, 3, 8),
        closed_at=china(2026, 4, 1, 8),
        reopened_at=china(2026, 4, 10, 8),
    )
    status = deadline_state(problem, china(2026, 4, 11, 8, 0), calendar=PLAIN)
    assert (status.which, status.due) == ("handling", due_on(date(2026, 6, 9)))


@pytest.mark.parametrize(
    "state", [State.REJECTED, State.UNFOUNDED, State.CLOSED, State.TRANSFERRED]
)
def test_a_final_problem_has_no_deadline(state: State) -> None:
    problem = dataclasses.replace(REPORTED, state=state, accepted_at=china(2026, 3, 3, 8))
    status = deadline_state(problem, china(2027, 1, 1, 0, 0), calendar=PLAIN)
    assert status == DeadlineStatus(None, False, None, 0)


def test_an_accepted_state_without_an_acceptance_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="assigned needs accepted_at"):
        deadline_state(
            dataclasses.replace(REPORTED, state=State.ASSIGNED), ACCEPTANCE_DUE, calendar=PLAIN
        )


# --- escalation ---------------------------------------------------------------------------


def test_each_further_full_period_overdue_escalates_one_level_more() -> None:
    level_2_since = due_on(date(2026, 4, 1))  # 17 March + 15 days
    just_before = deadline_state(REPORTED, level_2_since, calendar=PLAIN)
    assert (just_before.level, just_before.level_since) == (1, ACCEPTANCE_DUE)
    after = deadline_state(REPORTED, level_2_since + timedelta(seconds=1), calendar=PLAIN)
    assert (after.level, after.level_since) == (2, level_2_since)
    years = deadline_state(REPORTED, china(2029, 1, 1, 0, 0), calendar=PLAIN)
    assert years.level == MAX_ESCALATION_LEVEL


def test_working_day_periods_escalate_by_working_days() -> None:
    problem = ProblemSnapshot(State.REPORTED, china(2026, 3, 6, 20, 0))
    status = deadline_state(problem, china(2026, 3, 13, 9, 0), rules=CITY, calendar=PLAIN)
    # due Tue 10, level 2 after Thu 12, level 3 after Mon 16
    assert (status.due, status.level, status.level_since) == (
        due_on(date(2026, 3, 10)),
        2,
        due_on(date(2026, 3, 12)),
    )


def test_a_problem_in_time_is_not_escalated() -> None:
    status = deadline_state(REPORTED, ACCEPTANCE_DUE, calendar=PLAIN)
    assert not should_escalate(status, None)


def test_an_overdue_problem_is_escalated_once_per_level() -> None:
    status = deadline_state(REPORTED, china(2026, 3, 20, 9, 0), calendar=PLAIN)
    assert should_escalate(status, None)
    assert should_escalate(status, ACCEPTANCE_DUE - timedelta(days=1))
    assert not should_escalate(status, china(2026, 3, 20, 8, 0))
    later = deadline_state(REPORTED, china(2026, 4, 3, 9, 0), calendar=PLAIN)
    assert later.level == 2
    assert should_escalate(later, china(2026, 3, 20, 8, 0))
    assert not should_escalate(later, china(2026, 4, 3, 8, 0))


def test_an_overdue_handling_deadline_escalates_again_after_a_late_acceptance() -> None:
    escalated_at = china(2026, 3, 18, 9, 0)
    problem = dataclasses.replace(REPORTED, state=State.ASSIGNED, accepted_at=china(2026, 3, 19))
    status = deadline_state(problem, china(2026, 5, 20, 9, 0), calendar=PLAIN)
    assert (status.which, status.level) == ("handling", 1)
    assert should_escalate(status, escalated_at)


# --- properties ---------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 6, 30))
calendars = st.builds(
    lambda holidays, workdays: WorkingCalendar(
        frozenset(holidays), frozenset(d for d in workdays if d.weekday() >= 5) - holidays
    ),
    st.sets(days, max_size=60),
    st.sets(days, max_size=20),
)
rules = st.sampled_from([NATIONAL_RULES, CITY, DeadlineRules.parse(accept_within="3wd")])


@given(instants, rules, calendars)
@settings(max_examples=200)
def test_acceptance_is_due_at_the_end_of_a_later_china_working_day(
    reported: datetime, rule: DeadlineRules, calendar: WorkingCalendar
) -> None:
    due = acceptance_due(reported, rule, calendar)
    assert due.tzinfo is UTC
    assert due.astimezone(CHINA_TZ).time() == time.max
    assert china_day(due) > china_day(reported)
    assert calendar.is_working_day(china_day(due))


@given(instants, instants, rules, calendars)
@settings(max_examples=200)
def test_a_later_report_is_never_due_earlier(
    first: datetime, second: datetime, rule: DeadlineRules, calendar: WorkingCalendar
) -> None:
    first, second = min(first, second), max(first, second)
    assert acceptance_due(first, rule, calendar) <= acceptance_due(second, rule, calendar)


@given(instants, calendars, st.integers(min_value=0, max_value=3))
@settings(max_examples=100)
def test_each_extension_adds_thirty_days_before_rolling_to_a_working_day(
    accepted: datetime, calendar: WorkingCalendar, extensions: int
) -> None:
    exact = dataclasses.replace(NATIONAL_RULES, roll_to_working_day=False)
    base = china_day(handling_due(accepted, exact, calendar, extensions))
    more = china_day(handling_due(accepted, exact, calendar, extensions + 1))
    assert more - base == timedelta(days=30)
    rolled = china_day(handling_due(accepted, NATIONAL_RULES, calendar, extensions + 1))
    assert rolled == calendar.next_working_day(more)
