"""Outcome figures of the service reminders, like Zhoushan's (issue 15 item 6): reminders
issued, the issues in them, issues solved, the time to solve them, and issues that later became
violations anyway — per region (rolled up to a level) and per period (month, quarter, year or
the whole range), within the asker's scope.

Each cell is ``reminders.stats.outcomes`` over the region's subtree (cut to the asker's scope)
and the period (``[since, until)``, China calendar): the reminders *issued* in the period and
what became of their issues (see that module for each figure's rule). ``solved_share`` is
``issues_solved / issues`` (None without issues). A ``total`` row per period covers the whole
scope; the ``all`` period the whole range.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.regions.models import LEVELS, Region
from ecoradar.regions.service import subtree_ids
from ecoradar.reminders.stats import outcomes
from ecoradar.stats.service import day_bounds, default_level

PERIODS = ("month", "quarter", "year", "all")
MAX_CELLS = 800
"""Regions times periods in one table, at most."""
ALL = "all"
FIELDS = (
    "period",
    "region_code",
    "region_name",
    "reminders_issued",
    "issues",
    "issues_solved",
    "solved_share",
    "median_days_to_solve",
    "became_violations",
)


@dataclass(frozen=True)
class OutcomeRow:
    period: str
    """``2026-11``, ``2026-Q4``, ``2026`` or ``all``."""
    region_code: str | None
    """None: the total of the scope."""
    region_name: str | None
    reminders_issued: int
    issues: int
    issues_solved: int
    solved_share: float | None
    median_days_to_solve: float | None
    became_violations: int


@dataclass(frozen=True)
class OutcomeTable:
    first: date
    last: date
    level: str
    period: str
    rows: list[OutcomeRow]
    """Per period (oldest first), the regions (by code) then the period's total."""
    total: OutcomeRow
    """The whole range and scope."""


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA_TZ)


def periods(first: date, last: date, period: str) -> list[tuple[str, date, date]]:
    """The periods covering ``first``..``last`` (cut to it): (label, first day, last day)."""
    if period == ALL:
        return [(ALL, first, last)]
    out = []
    day = first
    while day <= last:
        if period == "month":
            label, start = f"{day.year:04d}-{day.month:02d}", day.replace(day=1)
            months = 1
        elif period == "quarter":
            quarter = (day.month - 1) // 3
            label, start = f"{day.year:04d}-Q{quarter + 1}", date(day.year, quarter * 3 + 1, 1)
            months = 3
        else:
            label, start, months = f"{day.year:04d}", date(day.year, 1, 1), 12
        month = start.month - 1 + months
        following = date(start.year + month // 12, month % 12 + 1, 1)
        out.append((label, max(start, first), min(following - timedelta(days=1), last)))
        day = following
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(
    session: Session,
    label: str,
    region: Region | None,
    ids: Collection[int] | None,
    first: date,
    last: date,
) -> OutcomeRow:
    found = outcomes(
        session=session,
        region_ids=ids,
        since=_start(first),
        until=_start(last + timedelta(days=1)),
    )
    return OutcomeRow(
        period=label,
        region_code=region.code if region is not None else None,
        region_name=region.name if region is not None else None,
        reminders_issued=found.reminders_issued,
        issues=found.issues,
        issues_solved=found.issues_solved,
        solved_share=_share(found.issues_solved, found.issues),
        median_days_to_solve=(
            round(found.median_days_to_solve, 2) if found.median_days_to_solve is not None else None
        ),
        became_violations=found.became_violations,
    )


def _regions(
    session: Session, principal: Principal, level: str
) -> list[tuple[Region, frozenset[int] | None]]:
    """The region rows at ``level`` within the scope, each with its subtree cut to the scope."""
    scope = None if principal.unrestricted else frozenset(principal.region_ids)
    query = select(Region).where(Region.level == level).order_by(Region.code)
    if scope is not None:
        query = query.where(Region.id.in_(sorted(scope)))
    found = list(session.scalars(query))
    if not found and scope is not None and principal.region_id is not None:
        own = session.get(Region, principal.region_id)
        found = [own] if own is not None else []
    out: list[tuple[Region, frozenset[int] | None]] = []
    for region in found:
        ids = subtree_ids(session=session, region_id=region.id)
        out.append((region, ids if scope is None else ids & scope))
    return out


def outcome_figures(
    *,
    session: Session,
    principal: Principal,
    first: date,
    last: date,
    period: str = "month",
    level: str | None = None,
) -> OutcomeTable:
    """The outcome figures of ``first``..``last`` (China days, both included) in the scope of
    ``principal`` (an administrator: everything)."""
    if period not in PERIODS:
        raise InputError(f"period: {period!r} is not one of {', '.join(PERIODS)}")
    if level is not None and level not in LEVELS:
        raise InputError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    day_bounds(first, last)  # the same checks of the days as the clue statistics
    level = level or default_level(session, principal)
    spans = periods(first, last, period)
    regions = _regions(session, principal, level)
    if len(spans) * (len(regions) + 1) > MAX_CELLS:
        raise InputError(
            f"period: {len(spans)} periods times {len(regions)} regions is more than "
            f"{MAX_CELLS} cells; choose a longer period or a higher level"
        )
    scope = None if principal.unrestricted else frozenset(principal.region_ids)
    rows = []
    for label, start, end in spans:
        for region, ids in regions:
            rows.append(_row(session, label, region, ids, start, end))
        rows.append(_row(session, label, None, scope, start, end))
    total = _row(session, ALL, None, scope, first, last)
    return OutcomeTable(first, last, level, period, rows, total)


def as_json(table: OutcomeTable) -> dict[str, Any]:
    return {
        "from": table.first.isoformat(),
        "to": table.last.isoformat(),
        "since": _start(table.first).isoformat(),
        "until": _start(table.last + timedelta(days=1)).isoformat(),
        "level": table.level,
        "period": table.period,
        "rows": [asdict(r) for r in table.rows],
        "total": asdict(table.total),
    }


def to_csv(table: OutcomeTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in [*table.rows, table.total]:
        values = asdict(row)
        writer.writerow(["" if values[f] is None else values[f] for f in FIELDS])
    return out.getvalue()
