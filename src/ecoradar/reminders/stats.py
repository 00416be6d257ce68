"""Outcome figures of service reminders (Zhoushan's: reminders issued, issues in them, issues
solved, time to solve, issues that became violations anyway), by region and period.

- issued: reminders with ``issued_at`` in ``[since, until)``, of enterprises in ``region_ids``
  (the reminder's region; None: every region);
- solved: issues whose answer an officer accepted; time to solve: ``issued_at`` to the
  acceptance, in days;
- became a violation: a problem of the same enterprise reported after the reminder was issued
  (and before ``until``) that an officer confirmed, about the same monitoring point where the
  issue is about a point and the problem names one; the reminder's own escalation excluded.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from statistics import mean, median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.problems.models import Problem
from ecoradar.reminders.models import Reminder, ReminderIssue


@dataclass(frozen=True)
class Figures:
    reminders_issued: int = 0
    issues: int = 0
    issues_solved: int = 0
    median_days_to_solve: float | None = None
    mean_days_to_solve: float | None = None
    became_violations: int = 0


@dataclass(frozen=True)
class Outcomes(Figures):
    by_region: dict[int | None, Figures] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["by_region"] = {
            str(k) if k is not None else "none": asdict(v) for k, v in self.by_region.items()
        }
        return data


def _point_of(issue: ReminderIssue) -> int | None:
    parts = issue.subject.split(":")
    return int(parts[1]) if parts[0] == "point" and len(parts) > 1 and parts[1].isdigit() else None


def _violated(issue: ReminderIssue, reminder: Reminder, problems: list[Problem]) -> bool:
    assert reminder.issued_at is not None
    point = _point_of(issue)
    for p in problems:
        if p.id == reminder.problem_id or p.reported_at <= reminder.issued_at:
            continue
        if point is not None and p.point_id is not None and p.point_id != point:
            continue
        return True
    return False


def _figures(rows: list[tuple[Reminder, list[Problem]]]) -> Figures:
    issues = solved = violations = 0
    days: list[float] = []
    for reminder, problems in rows:
        assert reminder.issued_at is not None
        for issue in reminder.issues:
            issues += 1
            if issue.state == "accepted" and issue.decided_at is not None:
                solved += 1
                days.append((issue.decided_at - reminder.issued_at).total_seconds() / 86400)
            if _violated(issue, reminder, problems):
                violations += 1
    return Figures(
        reminders_issued=len(rows),
        issues=issues,
        issues_solved=solved,
        median_days_to_solve=round(median(days), 2) if days else None,
        mean_days_to_solve=round(mean(days), 2) if days else None,
        became_violations=violations,
    )


def outcomes(
    *,
    session: Session,
    region_ids: Collection[int] | None,
    since: datetime,
    until: datetime,
) -> Outcomes:
    query = select(Reminder).where(
        Reminder.issued_at.is_not(None), Reminder.issued_at >= since, Reminder.issued_at < until
    )
    if region_ids is not None:
        query = query.where(Reminder.region_id.in_(sorted(set(region_ids)) or [-1]))
    reminders = list(session.scalars(query))
    enterprise_ids = sorted({r.enterprise_id for r in reminders})
    confirmed: dict[int, list[Problem]] = {}
    if enterprise_ids:
        for p in session.scalars(
            select(Problem).where(
                Problem.enterprise_id.in_(enterprise_ids),
                Problem.reported_at >= since,
                Problem.reported_at < until,
            )
        ):
            if p.enterprise_id is not None and "confirmed" in (p.state_times or {}):
                confirmed.setdefault(p.enterprise_id, []).append(p)
    rows = [(r, confirmed.get(r.enterprise_id, [])) for r in reminders]
    by_region: dict[int | None, list[tuple[Reminder, list[Problem]]]] = {}
    for row in rows:
        by_region.setdefault(row[0].region_id, []).append(row)
    total = _figures(rows)
    return Outcomes(
        **asdict(total), by_region={k: _figures(v) for k, v in sorted(by_region.items(), key=str)}
    )
