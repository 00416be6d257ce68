"""Supervision rules (pure): when a question must be answered, what state it is in, and the
figures published about supervisors' problems and questions.

A question asked at ``asked_at`` is due at the end (23:59:59.999999 China time) of the last day
of ``answer_within`` counted from the day after the asking day, on the working calendar
(``5wd``: the fifth working day after; a span in calendar days ending on a rest day moves to the
next working day), as the problem register counts its deadlines (``problems.deadlines``).

Figures of a group of raised problems and questions (``figures``):

- ``problems_raised``: problems raised by supervisors (a finding of theirs);
- ``questions_asked``; ``answered``; ``answered_on_time`` (answered by ``due_at``);
  ``answered_late``; ``open`` (not answered yet) of which ``overdue`` (past ``due_at`` now);
- ``on_time_share``: ``answered_on_time`` over the questions answered or overdue (one still
  within its time and unanswered is left out), None without any;
- ``median_days_to_answer``: from asking to answering, in days (two decimals), over the answered.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.problems.deadlines import Span, china_day, end_of_day

QuestionState = Literal["open", "overdue", "answered", "answered_late"]
PERIODS = ("month", "quarter", "year", "all")
ALL = "all"


def answer_due(asked_at: datetime, within: Span, calendar: WorkingCalendar) -> datetime:
    """When a question asked at ``asked_at`` must be answered (an aware UTC instant)."""
    day = within.after(china_day(asked_at), calendar)
    return end_of_day(calendar.next_working_day(day))


def question_state(due_at: datetime, answered_at: datetime | None, now: datetime) -> QuestionState:
    """``answered`` (by the deadline), ``answered_late``, ``overdue`` (unanswered past it) or
    ``open``."""
    if answered_at is not None:
        return "answered" if answered_at <= due_at else "answered_late"
    return "overdue" if now > due_at else "open"


def period_of(day: date, period: str) -> str:
    """The label of the period ``day`` lies in: ``2026-11``, ``2026-Q4``, ``2026`` or ``all``."""
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return f"{day.year:04d}"
    if period == ALL:
        return ALL
    raise ValueError(f"period {period!r} is not one of {', '.join(PERIODS)}")


@dataclass(frozen=True)
class QuestionFact:
    asked_at: datetime
    due_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class Figures:
    problems_raised: int
    questions_asked: int
    answered: int
    answered_on_time: int
    answered_late: int
    open: int
    overdue: int
    on_time_share: float | None
    median_days_to_answer: float | None


FIGURES = (
    "problems_raised",
    "questions_asked",
    "answered",
    "answered_on_time",
    "answered_late",
    "open",
    "overdue",
    "on_time_share",
    "median_days_to_answer",
)


def figures(problems_raised: int, questions: Iterable[QuestionFact], now: datetime) -> Figures:
    """The figures of ``problems_raised`` raised problems and ``questions`` at ``now``."""
    counts = {"open": 0, "overdue": 0, "answered": 0, "answered_late": 0}
    days: list[float] = []
    for q in questions:
        counts[question_state(q.due_at, q.answered_at, now)] += 1
        if q.answered_at is not None:
            days.append((q.answered_at - q.asked_at).total_seconds() / 86400)
    asked = sum(counts.values())
    on_time, late = counts["answered"], counts["answered_late"]
    decided = on_time + late + counts["overdue"]
    return Figures(
        problems_raised=problems_raised,
        questions_asked=asked,
        answered=on_time + late,
        answered_on_time=on_time,
        answered_late=late,
        open=counts["open"] + counts["overdue"],
        overdue=counts["overdue"],
        on_time_share=round(on_time / decided, 4) if decided else None,
        median_days_to_answer=round(statistics.median(days), 2) if days else None,
    )
