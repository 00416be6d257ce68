"""Create the due tasks, idempotently and in bulk.

Each active control point remembers the last China date it has tasks for
(``generated_until``). A run up to ``until`` computes, for every point behind it, the due
``(day, period key)`` pairs from the day after its watermark (never before the day the point
was created) to
``until`` — at most ``MAX_CATCH_UP_DAYS`` back from today — and inserts them with
``INSERT ... ON CONFLICT (point_id, period_key) DO NOTHING`` in batches (``bulk``), then moves the
watermarks. Running twice creates nothing the second time; running after days of downtime
creates the missed days' tasks once (they are overdue at once). Dates are computed once per
distinct (schedule, start) and shared by every point with it, so 50,000 daily points cost one
date computation and 50,000 rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.selfcheck.bulk import insert_ignoring
from ecoradar.selfcheck.models import ControlPoint
from ecoradar.selfcheck.schedule import Schedule, china_date, due_at, due_dates
from ecoradar.selfcheck.templates import current_version_ids, ensure_defaults

BATCH = 5000
"""Rows computed before they are written."""
MAX_CATCH_UP_DAYS = 31
"""How far back a run creates missed tasks (a point idle longer gets the last month only)."""


@dataclass
class GenerationReport:
    until: date
    points: int = 0
    due: int = 0
    created: int = 0
    without_checklist: int = 0

    def __str__(self) -> str:
        text = (
            f"{self.created} task(s) created up to {self.until.isoformat()} "
            f"({self.due} due for {self.points} control point(s); "
            f"{self.due - self.created} existed already)"
        )
        if self.without_checklist:
            text += f"; {self.without_checklist} point(s) skipped: their type has no checklist"
        return text


def _behind(
    until: date, point_ids: Iterable[int] | None
) -> Select[int, int, int, str, str, bool, date | None, datetime]:
    query = select(
        ControlPoint.id,
        ControlPoint.enterprise_id,
        ControlPoint.type_id,
        ControlPoint.schedule_kind,
        ControlPoint.schedule_expression,
        ControlPoint.working_days_only,
        ControlPoint.generated_until,
        ControlPoint.created_at,
    ).where(
        ControlPoint.active.is_(True),
        or_(ControlPoint.generated_until.is_(None), ControlPoint.generated_until < until),
    )
    if point_ids is not None:
        query = query.where(ControlPoint.id.in_(list(point_ids)))
    return query.order_by(ControlPoint.id)


def generate_tasks(
    *,
    session: Session,
    until: date,
    now: datetime,
    calendar: WorkingCalendar,
    point_ids: Iterable[int] | None = None,
    batch: int = BATCH,
) -> GenerationReport:
    """Create every task due up to China date ``until`` that does not exist yet."""
    ensure_defaults(session=session, now=now)
    report = GenerationReport(until=until)
    versions = current_version_ids(session=session)
    earliest = china_date(now) - timedelta(days=MAX_CATCH_UP_DAYS)
    cache: dict[tuple[str, str, bool, date], list[tuple[date, str]]] = {}
    rows: list[tuple[Any, ...]] = []
    done: list[int] = []
    for point in session.execute(_behind(until, point_ids)):
        pid, enterprise_id, type_id, kind, expression, only, watermark, created = point
        version_id = versions.get(type_id)
        if version_id is None:
            report.without_checklist += 1
            continue
        report.points += 1
        done.append(pid)
        start = max(china_date(created), earliest)
        if watermark is not None:
            start = max(start, watermark + timedelta(days=1))
        key = (kind, expression, bool(only), start)
        dates = cache.get(key)
        if dates is None:
            dates = due_dates(Schedule(kind, expression, bool(only)), start, until, calendar)
            cache[key] = dates
        for day, period in dates:
            rows.append(
                (pid, enterprise_id, version_id, day, period, due_at(day), "pending", now, False)
            )
        if len(rows) >= batch:
            _flush(session, rows, report)
    _flush(session, rows, report)
    for chunk in _chunks(done, 5000):
        session.execute(
            update(ControlPoint)
            .where(ControlPoint.id.in_(chunk))
            .values(generated_until=until)
            .execution_options(synchronize_session=False)
        )
    return report


TASK_COLUMNS = (
    ("point_id", "integer"),
    ("enterprise_id", "integer"),
    ("template_version_id", "integer"),
    ("due_date", "date"),
    ("period_key", "text"),
    ("due_at", "timestamptz"),
    ("state", "text"),
    ("created_at", "timestamptz"),
    ("failed", "boolean"),
)


def _flush(session: Session, rows: list[tuple[Any, ...]], report: GenerationReport) -> None:
    if not rows:
        return
    created = insert_ignoring(
        session, "selfcheck_tasks", TASK_COLUMNS, rows, ("point_id", "period_key")
    )
    report.due += len(rows)
    report.created += created
    rows.clear()


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
