"""The deadline policy in force: rules from the settings, the working-day calendar from the
database (``calendar_days``), the level of the responsible office and the dispute window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.config import Settings
from ecoradar.problems import deadlines
from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.problems.deadlines import DeadlineRules
from ecoradar.problems.models import CalendarDay
from ecoradar.problems.workflow import DISPUTE_WINDOW


@dataclass(frozen=True)
class Policy:
    rules: DeadlineRules
    calendar: WorkingCalendar
    office_level: str = "county"
    dispute_window: timedelta = DISPUTE_WINDOW
    """How long after a closure its reporter may dispute it (``ECORADAR_CLUE_FEEDBACK_DAYS``,
    the same window the tracking page gives an anonymous reporter)."""

    def acceptance_due(self, reported_at: datetime) -> datetime:
        return deadlines.acceptance_due(reported_at, self.rules, self.calendar)

    def handling_due(self, start: datetime, extensions: int) -> datetime:
        return deadlines.handling_due(start, self.rules, self.calendar, extensions)


def stored_calendar(session: Session) -> WorkingCalendar:
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)).all()
    return WorkingCalendar(
        holidays=frozenset(day for day, kind, _ in rows if kind == "holiday"),
        extra_workdays=frozenset(day for day, kind, _ in rows if kind == "workday"),
        names={day: name for day, _, name in rows if name},
    )


def rules_from(settings: Settings) -> DeadlineRules:
    return DeadlineRules.parse(
        accept_within=settings.problem_accept_within,
        handle_within=settings.problem_handle_within,
        extension=settings.problem_extension,
        max_extensions=settings.problem_max_extensions,
    )


def load_policy(*, session: Session, settings: Settings) -> Policy:
    return Policy(
        rules=rules_from(settings),
        calendar=stored_calendar(session),
        office_level=settings.problem_office_level,
        dispute_window=timedelta(days=settings.clue_feedback_days),
    )
