"""The praise figures of the statistics page (``/stats/praise``): per region (rolled up to a
level) and month, within the asker's scope.

Per cell (the region's subtree cut to the scope, one China month):

- ``patrols_done``: patrols ended in the month, by the patrol's area;
- ``grid_reports`` / ``public_reports``: findings received in the month through the
  ``grid_worker`` channel / the public's channels (``public``, ``open311``, ``hotline``),
  by the problem's region;
- ``first_found``: verified problems (``rules.ProblemFacts.verified``) whose first finding
  arrived in the month; ``grid_first_share``: the share of them a grid worker's report found
  first (None without any);
- ``median_hours_to_verify``: over the verifications grid workers recorded in the month, the
  hours since the problem was routed to them (``rules.verifications``);
- ``notices``: praise notices issued in the month for the region's rankings.

A ``total`` row per month covers the whole scope; the ``all`` row the whole range.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.patrols.models import Patrol
from ecoradar.praise import facts, rules
from ecoradar.praise.models import PraiseNotice
from ecoradar.praise.rules import Month
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import LEVELS, Region
from ecoradar.regions.service import subtree_ids
from ecoradar.stats.service import default_level

MAX_MONTHS = 24
MAX_CELLS = 800
ALL = "all"
FIELDS = (
    "month",
    "region_code",
    "region_name",
    "patrols_done",
    "grid_reports",
    "public_reports",
    "first_found",
    "grid_first_share",
    "median_hours_to_verify",
    "notices",
)


@dataclass(frozen=True)
class FigureRow:
    month: str
    region_code: str | None
    region_name: str | None
    patrols_done: int
    grid_reports: int
    public_reports: int
    first_found: int
    grid_first_share: float | None
    median_hours_to_verify: float | None
    notices: int


@dataclass(frozen=True)
class FigureTable:
    first: Month
    last: Month
    level: str
    rows: list[FigureRow]
    """Per month (oldest first): the regions (by code), then the month's total."""
    total: FigureRow


@dataclass
class _Cell:
    patrols: int = 0
    grid: int = 0
    public: int = 0
    first: int = 0
    grid_first: int = 0
    hours: list[float] = field(default_factory=list)
    notices: int = 0

    def row(self, month: str, region: Region | None) -> FigureRow:
        return FigureRow(
            month=month,
            region_code=region.code if region else None,
            region_name=region.name if region else None,
            patrols_done=self.patrols,
            grid_reports=self.grid,
            public_reports=self.public,
            first_found=self.first,
            grid_first_share=round(self.grid_first / self.first, 4) if self.first else None,
            median_hours_to_verify=(
                round(statistics.median(self.hours), 2) if self.hours else None
            ),
            notices=self.notices,
        )


def _regions(session: Session, principal: Principal, level: str) -> list[tuple[Region, set[int]]]:
    """The rows at ``level`` in the scope, each with its subtree cut to the scope."""
    scope = None if principal.unrestricted else frozenset(principal.region_ids)
    query = select(Region).where(Region.level == level).order_by(Region.code)
    if scope is not None:
        query = query.where(Region.id.in_(sorted(scope)))
    found = list(session.scalars(query))
    if not found and scope is not None and principal.region_id is not None:
        own = session.get(Region, principal.region_id)
        found = [own] if own is not None else []
    out = []
    for region in found:
        ids = subtree_ids(session=session, region_id=region.id)
        out.append((region, set(ids if scope is None else ids & scope)))
    return out


def praise_figures(
    *, session: Session, principal: Principal, first: Month, last: Month, level: str | None = None
) -> FigureTable:
    """The figures of ``first``..``last`` (months, both included) in ``principal``'s scope."""
    if level is not None and level not in LEVELS:
        raise InputError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    spans = rules.months(first, last)
    if not spans:
        raise InputError(f"from: {first} is after {last}")
    if len(spans) > MAX_MONTHS:
        raise InputError(f"to: at most {MAX_MONTHS} months at a time")
    level = level or default_level(session, principal)
    regions = _regions(session, principal, level)
    if len(spans) * (len(regions) + 1) > MAX_CELLS:
        raise InputError(
            f"level: {len(spans)} months times {len(regions)} areas is more than {MAX_CELLS} "
            "cells; choose a higher level or fewer months"
        )
    scope: Collection[int] | None = None if principal.unrestricted else principal.region_ids
    row_of = {rid: n for n, (_r, ids) in enumerate(regions) for rid in ids}
    cells: dict[tuple[Month, int | None], _Cell] = {}
    total = _Cell()

    def add(month: Month, region_id: int, apply: Any) -> None:
        if scope is not None and region_id not in scope:
            return
        for key in ((month, row_of.get(region_id, -1)), (month, None)):
            apply(cells.setdefault(key, _Cell()))
        apply(total)

    since, until = first.start, last.end
    for _uid, region_id, at in facts.patrols_ended(
        session, since, until, facts.in_regions(Patrol.region_id, scope)
    ):
        add(rules.month_of(at), region_id, _bump("patrols"))
    sent = facts.reports(
        session,
        since,
        until,
        channels=(rules.GRID_CHANNEL, *rules.REPORTER_CHANNELS),
        where=facts.in_regions(Problem.region_id, scope),
        secret="",
        identified_only=False,
    )
    for s in sent:
        kind = "grid" if s.channel == rules.GRID_CHANNEL else "public"
        add(rules.month_of(s.report.received_at), s.report.region_id, _bump(kind))
    _first_found(session, since, until, scope, add)
    for c in facts.verifications(
        session, since, until, where=facts.in_regions(Problem.region_id, scope)
    ):
        add(rules.month_of(c.verification.verified_at), c.region_id, _hours(c.verification.hours))
    for region_id, at in session.execute(
        select(PraiseNotice.region_id, PraiseNotice.issued_at).where(
            PraiseNotice.issued_at >= since,
            PraiseNotice.issued_at < until,
            facts.in_regions(PraiseNotice.region_id, scope),
        )
    ):
        add(rules.month_of(at), region_id, _bump("notices"))
    rows = []
    for month in spans:
        for n, (region, _ids) in enumerate(regions):
            rows.append(cells.get((month, n), _Cell()).row(str(month), region))
        rows.append(cells.get((month, None), _Cell()).row(str(month), None))
    return FigureTable(first, last, level, rows, total.row(ALL, None))


def _bump(name: str) -> Any:
    def apply(cell: _Cell) -> None:
        setattr(cell, name, getattr(cell, name) + 1)

    return apply


def _hours(value: float) -> Any:
    def apply(cell: _Cell) -> None:
        cell.hours.append(value)

    return apply


def _first_found(
    session: Session,
    since: datetime,
    until: datetime,
    scope: Collection[int] | None,
    add: Any,
) -> None:
    """Verified problems whose first finding arrived in the range, and whether a grid
    worker's report was it."""
    regions: dict[int, int] = dict(
        session.execute(
            select(Finding.problem_id, Problem.region_id)
            .join(Problem, Finding.problem_id == Problem.id)
            .where(
                Finding.received_at >= since,
                Finding.received_at < until,
                facts.in_regions(Problem.region_id, scope),
            )
        ).all()
    )
    found = facts.problem_facts(session, regions)
    verified = {pid: p.first_finding_id for pid, p in found.items() if p.verified}
    firsts = facts.first_channels(session, {p: f for p, f in verified.items() if f is not None})
    for pid, (channel, at) in firsts.items():
        if not since <= at < until:
            continue
        grid = channel == rules.GRID_CHANNEL

        def apply(cell: _Cell, grid: bool = grid) -> None:
            cell.first += 1
            cell.grid_first += grid

        add(rules.month_of(at), regions[pid], apply)


def as_json(table: FigureTable) -> dict[str, Any]:
    return {
        "from": str(table.first),
        "to": str(table.last),
        "level": table.level,
        "rows": [asdict(r) for r in table.rows],
        "total": asdict(table.total),
    }


def to_csv(table: FigureTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for r in [*table.rows, table.total]:
        values = asdict(r)
        writer.writerow(["" if values[f] is None else values[f] for f in FIELDS])
    return buffer.getvalue()
