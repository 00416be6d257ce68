"""Supervision rules (pure): when a question is due on the working calendar, a question's state,
the period labels and the published figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.problems.deadlines import Span
from ecoradar.supervision import rules

MONDAY = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 China time
FIVE_WD = Span(5, "working_days")


def test_five_working_days_end_on_the_fifth_working_day_after_asking_china_time() -> None:
    due = rules.answer_due(MONDAY, FIVE_WD, WorkingCalendar())
    assert due == datetime(2026, 11, 9, 15, 59, 59, 999999, tzinfo=UTC)  # Monday 9th, 23:59 CST


def test_holidays_push_the_deadline_and_a_worked_weekend_day_counts() -> None:
    holidays = frozenset({date(2026, 11, 3), date(2026, 11, 4)})
    calendar = WorkingCalendar(holidays=holidays, extra_workdays=frozenset({date(2026, 11, 7)}))
    due = rules.answer_due(MONDAY, FIVE_WD, calendar)
    # Thu 5, Fri 6, Sat 7 (worked), Mon 9, Tue 10
    assert due == datetime(2026, 11, 10, 15, 59, 59, 999999, tzinfo=UTC)


def test_a_span_in_calendar_days_ending_on_a_rest_day_moves_to_the_next_working_day() -> None:
    due = rules.answer_due(MONDAY, Span(5), WorkingCalendar())  # Saturday 7th
    assert due.date() == date(2026, 11, 9)


def test_an_evening_question_counts_from_the_china_day() -> None:
    evening = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)  # 23:30 China time, still Monday
    assert rules.answer_due(evening, FIVE_WD, WorkingCalendar()) == rules.answer_due(
        MONDAY, FIVE_WD, WorkingCalendar()
    )
    after_midnight = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # 00:30 Tuesday
    assert rules.answer_due(after_midnight, FIVE_WD, WorkingCalendar()).date() == date(2026, 11, 10)


def test_a_questions_state_follows_its_deadline_and_answer() -> None:
    due = MONDAY + timedelta(days=7)
    assert rules.question_state(due, None, due) == "open"
    assert rules.question_state(due, None, due + timedelta(seconds=1)) == "overdue"
    assert rules.question_state(due, due, due + timedelta(days=9)) == "answered"
    assert rules.question_state(due, due + timedelta(minutes=1), due) == "answered_late"


@pytest.mark.parametrize(
    ("period", "label"),
    [("month", "2026-11"), ("quarter", "2026-Q4"), ("year", "2026"), ("all", "all")],
)
def test_period_labels(period: str, label: str) -> None:
    assert rules.period_of(date(2026, 11, 30), period) == label


def test_an_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="week"):
        rules.period_of(date(2026, 1, 1), "week")


def test_figures_count_on_time_late_overdue_and_the_median_days() -> None:
    now = MONDAY + timedelta(days=20)
    due = MONDAY + timedelta(days=7)
    facts = [
        rules.QuestionFact(MONDAY, due, MONDAY + timedelta(days=1)),  # on time, 1 day
        rules.QuestionFact(MONDAY, due, MONDAY + timedelta(days=9)),  # late, 9 days
        rules.QuestionFact(MONDAY, due, None),  # overdue
        rules.QuestionFact(now, now + timedelta(days=7), None),  # open, within its time
    ]
    found = rules.figures(3, facts, now)
    assert found == rules.Figures(
        problems_raised=3,
        questions_asked=4,
        answered=2,
        answered_on_time=1,
        answered_late=1,
        open=2,
        overdue=1,
        on_time_share=round(1 / 3, 4),
        median_days_to_answer=5.0,
    )


def test_figures_without_questions_have_no_share_and_no_median() -> None:
    found = rules.figures(0, [], MONDAY)
    assert (found.questions_asked, found.on_time_share, found.median_days_to_answer) == (
        0,
        None,
        None,
    )
    waiting = rules.figures(
        0, [rules.QuestionFact(MONDAY, MONDAY + timedelta(days=7), None)], MONDAY
    )
    assert waiting.on_time_share is None and waiting.open == 1 and waiting.overdue == 0
