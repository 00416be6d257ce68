"""The daily brief of a region (issue 17, item 5): what the day discovered and by which channel,
the hotspots at the day's end, the top suspect of each new problem of a kind the wind or the
water carries, and the overdue problems — for the page and its PDF."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import NotFoundError, PermissionDenied
from ecoradar.linkage import hotspots as hotspot_service
from ecoradar.linkage.hotspots_rules import Hotspot
from ecoradar.linkage.suspects import WindLookup, no_wind, suspects
from ecoradar.linkage.suspects_rules import Clue, Suspect
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.regions.index import RegionIndex
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids

SUSPECT_CATEGORIES = ("air", "odour", "water")
"""New problems of these categories get their top suspect in the brief."""
MOST_SUSPECTS = 10
MOST_OVERDUE = 20


@dataclass(frozen=True)
class NewProblem:
    id: int
    title: str
    category: str
    channel: str
    suspect: Suspect | None


@dataclass(frozen=True)
class Overdue:
    id: int
    title: str
    category: str
    state: str
    since: datetime
    days: int


@dataclass
class Brief:
    region: Region
    day: date
    channels: dict[str, int] = field(default_factory=dict)
    """Findings observed that day in the region, by channel (most first)."""
    new_problems: int = 0
    closed_problems: int = 0
    hotspots: list[Hotspot] = field(default_factory=list)
    suspects: list[NewProblem] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    overdue_total: int = 0

    @property
    def findings(self) -> int:
        return sum(self.channels.values())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The China day as UTC-aware instants ``[start, end)``."""
    start = datetime.combine(day, time(0), tzinfo=CHINA_TZ)
    return start, start + timedelta(days=1)


def region_for(session: Session, principal: Principal, code: str | None) -> Region:
    """The region asked for (``code``), else the principal's own; one within reach."""
    if code:
        region = session.scalar(select(Region).where(Region.code == code.strip()))
        if region is None:
            raise NotFoundError(f"region: no region {code!r}")
    else:
        region = session.get(Region, principal.region_id) if principal.region_id else None
        if region is None:
            region = session.scalar(
                select(Region).where(Region.parent_id.is_(None)).order_by(Region.code)
            )
        if region is None:
            raise NotFoundError("region: no regions are loaded")
    if not principal.covers_region(region.id):
        raise PermissionDenied(f"region: {region.code} is outside your scope")
    return region


def daily_brief(
    *,
    session: Session,
    region: Region,
    day: date,
    index: RegionIndex,
    now: datetime,
    wind: WindLookup = no_wind,
) -> Brief:
    """The brief of ``day`` (a day in progress: up to ``now``)."""
    start, end = day_bounds(day)
    ids = subtree_ids(session=session, region_id=region.id)
    brief = Brief(region, day)
    in_region = Problem.region_id.in_(sorted(ids))
    per_channel = session.execute(
        select(Finding.channel, func.count())
        .join(Problem, Problem.id == Finding.problem_id)
        .where(in_region, Finding.observed_at >= start, Finding.observed_at < end)
        .group_by(Finding.channel)
    )
    counts = Counter({channel: int(n) for channel, n in per_channel})
    brief.channels = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    brief.new_problems = int(
        session.scalar(
            select(func.count()).where(
                in_region, Problem.reported_at >= start, Problem.reported_at < end
            )
        )
        or 0
    )
    brief.closed_problems = int(
        session.scalar(
            select(func.count()).where(
                in_region, Problem.closed_at >= start, Problem.closed_at < end
            )
        )
        or 0
    )
    for spot in hotspot_service.hotspots(session, min(end, now)):
        hit = index.smallest(spot.lon, spot.lat)
        if hit is not None and hit.id in ids:
            brief.hotspots.append(spot)
    brief.suspects = _suspects(session, in_region, start, end, wind)
    overdue_query = select(Problem).where(
        in_region, Problem.state.in_(sorted(OPEN_STATES)), Problem.overdue_since.is_not(None)
    )
    brief.overdue_total = int(
        session.scalar(select(func.count()).select_from(overdue_query.subquery())) or 0
    )
    for problem in session.scalars(
        overdue_query.order_by(Problem.overdue_since, Problem.id).limit(MOST_OVERDUE)
    ):
        since = problem.overdue_since
        assert since is not None
        brief.overdue.append(
            Overdue(
                problem.id,
                problem.title,
                problem.category,
                problem.state,
                since,
                max(0, (end - since).days),
            )
        )
    return brief


def _suspects(
    session: Session,
    in_region: ColumnElement[bool],
    start: datetime,
    end: datetime,
    wind: WindLookup,
) -> list[NewProblem]:
    found = []
    rows = session.scalars(
        select(Problem)
        .where(
            in_region,
            Problem.reported_at >= start,
            Problem.reported_at < end,
            Problem.category.in_(SUSPECT_CATEGORIES),
            Problem.enterprise_id.is_(None),
        )
        .order_by(Problem.reported_at, Problem.id)
        .limit(MOST_SUSPECTS)
    )
    for problem in rows:
        clue = Clue(problem.lat, problem.lon, problem.reported_at, problem.category)
        ranked = suspects(session=session, clue=clue, wind=wind)
        found.append(
            NewProblem(
                problem.id,
                problem.title,
                problem.category,
                problem.channel,
                ranked[0] if ranked else None,
            )
        )
    return found
