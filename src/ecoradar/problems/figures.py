"""Counts over the problem register for the big screens (``ecoradar.screens``): findings by
day and channel, open problems' and new findings' places, overdue problems and handling times —
each within a set of regions (``None``: every region), by the problem's region. A finding counts
when it was received (``received_at``), as in ``stats.channels``."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.workflow import OPEN_STATES


def in_regions(region_ids: frozenset[int] | None) -> ColumnElement[bool]:
    """The problems of ``region_ids`` (``None``: all)."""
    if region_ids is None:
        return true()
    return Problem.region_id.in_(sorted(region_ids) or [-1])


def findings_by_day(
    *, session: Session, region_ids: frozenset[int] | None, since: datetime, until: datetime
) -> dict[date, dict[str, int]]:
    """Findings received in ``[since, until)`` by China day and channel (grouped in Python:
    the day of an instant in China time is written differently on each backend)."""
    rows = session.execute(
        select(Finding.received_at, Finding.channel)
        .join(Problem, Problem.id == Finding.problem_id)
        .where(in_regions(region_ids), Finding.received_at >= since, Finding.received_at < until)
    )
    out: dict[date, dict[str, int]] = {}
    for at, channel in rows:
        day = at.astimezone(CHINA_TZ).date()
        per_day = out.setdefault(day, {})
        per_day[channel] = per_day.get(channel, 0) + 1
    return out


@dataclass(frozen=True)
class Place:
    id: int
    lat: float
    lon: float
    category: str
    severity: str
    channel: str


def open_problems(
    *, session: Session, region_ids: frozenset[int] | None, limit: int = 1000
) -> tuple[int, list[Place]]:
    """How many problems are open, and the places of the newest ``limit`` of them."""
    where = [in_regions(region_ids), Problem.state.in_(sorted(OPEN_STATES))]
    total = session.scalar(select(func.count()).select_from(Problem).where(*where)) or 0
    rows = session.execute(
        select(
            Problem.id,
            Problem.lat,
            Problem.lon,
            Problem.category,
            Problem.severity,
            Problem.channel,
        )
        .where(*where)
        .order_by(Problem.reported_at.desc(), Problem.id.desc())
        .limit(limit)
    )
    return int(total), [Place(*row) for row in rows]


def new_findings(
    *,
    session: Session,
    region_ids: frozenset[int] | None,
    since: datetime,
    limit: int = 1000,
) -> list[Place]:
    """The places of the findings received since ``since`` (newest first), with their
    problem's id."""
    rows = session.execute(
        select(
            Finding.problem_id,
            Finding.lat,
            Finding.lon,
            Finding.category,
            Finding.severity,
            Finding.channel,
        )
        .join(Problem, Problem.id == Finding.problem_id)
        .where(in_regions(region_ids), Finding.received_at >= since)
        .order_by(Finding.received_at.desc(), Finding.id.desc())
        .limit(limit)
    )
    return [Place(*row) for row in rows]


@dataclass(frozen=True)
class OverdueProblem:
    id: int
    title: str
    category: str
    state: str
    since: datetime
    days: int


def overdue(
    *, session: Session, region_ids: frozenset[int] | None, now: datetime, limit: int = 10
) -> tuple[int, list[OverdueProblem]]:
    """Open problems past a deadline: how many, and the longest overdue ``limit``."""
    where = [
        in_regions(region_ids),
        Problem.state.in_(sorted(OPEN_STATES)),
        Problem.overdue_since.is_not(None),
    ]
    total = session.scalar(select(func.count()).select_from(Problem).where(*where)) or 0
    rows = session.execute(
        select(Problem.id, Problem.title, Problem.category, Problem.state, Problem.overdue_since)
        .where(*where)
        .order_by(Problem.overdue_since, Problem.id)
        .limit(limit)
    )
    found = [
        OverdueProblem(id_, title, category, state, since, max(0, (now - since).days))
        for id_, title, category, state, since in rows
        if since is not None  # the query's condition; for the type checker
    ]
    return int(total), found


def days_to_close(
    *, session: Session, region_ids: frozenset[int] | None, since: datetime, until: datetime
) -> dict[str, Any]:
    """The problems closed in ``[since, until)`` (and still closed): how many, and the median
    days from report to closure."""
    rows = session.execute(
        select(Problem.reported_at, Problem.closed_at).where(
            in_regions(region_ids),
            Problem.state == "closed",
            Problem.closed_at >= since,
            Problem.closed_at < until,
        )
    )
    days = [
        (closed - reported) / timedelta(days=1) for reported, closed in rows if closed is not None
    ]
    median = round(statistics.median(days), 2) if days else None
    return {"closed": len(days), "median_days": median}
