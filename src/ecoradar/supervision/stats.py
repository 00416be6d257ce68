"""Supervision figures per supervisor kind, region and period (issue 16 item 2): problems
raised by supervisors, their questions, answered, answered on time, overdue, the median time to
answer (``rules.figures`` says each figure's rule). Staff see their scope
(``/stats/supervision``, ``GET /api/stats/supervision``); the public page publishes the whole
jurisdiction's figures (no names, no problems).

A raised problem counts in the period of its raising, for the supervisor's kind then and the
problem's region then; a question in the period it was asked, likewise; regions roll up to
``level`` (by default the asker's scope level, ``county`` for an administrator or the public).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.problems.deadlines import china_day
from ecoradar.regions.models import LEVELS, Region
from ecoradar.stats.outcomes import periods
from ecoradar.stats.service import day_bounds, default_level
from ecoradar.supervision import rules
from ecoradar.supervision.models import SUPERVISOR_KINDS, SupervisedProblem, SupervisionQuestion

GroupBy = Literal["kind", "region", "kind_region"]
GROUPS: tuple[GroupBy, ...] = ("kind", "region", "kind_region")
MAX_CELLS = 2000
FIELDS = ("period", "kind", "region_code", "region_name", *rules.FIGURES)


@dataclass(frozen=True)
class SupervisionRow:
    period: str
    kind: str | None
    """None: every kind."""
    region_code: str | None
    """None: the whole scope."""
    region_name: str | None
    problems_raised: int
    questions_asked: int
    answered: int
    answered_on_time: int
    answered_late: int
    open: int
    overdue: int
    on_time_share: float | None
    median_days_to_answer: float | None


@dataclass(frozen=True)
class SupervisionTable:
    first: date
    last: date
    period: str
    group_by: str
    level: str
    rows: list[SupervisionRow]
    """Per period (oldest first): the groups, then the period's total (kind and region None)."""
    total: SupervisionRow
    """The whole range and scope."""


@dataclass(frozen=True)
class _Region:
    id: int
    parent_id: int | None
    level: str
    code: str
    name: str


@dataclass
class _Cell:
    raised: int = 0
    questions: list[rules.QuestionFact] = field(default_factory=list)


def _roll_up(regions: dict[int, _Region], region_id: int, level: str) -> _Region | None:
    region = regions.get(region_id)
    target = LEVELS.index(level)
    while region is not None and LEVELS.index(region.level) > target:
        parent = regions.get(region.parent_id) if region.parent_id is not None else None
        if parent is None:
            break
        region = parent
    return region


def _row(
    label: str, kind: str | None, region: _Region | None, cell: _Cell | None, now: datetime
) -> SupervisionRow:
    found = rules.figures(cell.raised if cell else 0, cell.questions if cell else [], now)
    return SupervisionRow(
        label,
        kind,
        region.code if region else None,
        region.name if region else None,
        **asdict(found),
    )


def supervision_figures(
    *,
    session: Session,
    principal: Principal | None,
    first: date,
    last: date,
    now: datetime,
    period: str = "quarter",
    group_by: str = "kind",
    level: str | None = None,
) -> SupervisionTable:
    """The figures of ``first``..``last`` (China days, both included) in the scope of
    ``principal`` (None: the whole jurisdiction, for the public page)."""
    if period not in rules.PERIODS:
        raise InputError(f"period: {period!r} is not one of {', '.join(rules.PERIODS)}")
    if group_by not in GROUPS:
        raise InputError(f"group_by: {group_by!r} is not one of {', '.join(GROUPS)}")
    if level is not None and level not in LEVELS:
        raise InputError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    since, until = day_bounds(first, last)
    assert since is not None and until is not None
    level = level or default_level(session, principal)
    scope = None if principal is None or principal.unrestricted else principal.region_ids
    regions = {
        r.id: _Region(r.id, r.parent_id, r.level, r.code, r.name)
        for r in session.scalars(select(Region))
    }
    spans = periods(first, last, period)
    cells: dict[tuple[str, str | None, int | None], _Cell] = defaultdict(_Cell)
    shown: dict[int, _Region] = {
        r.id: r for r in regions.values() if r.level == level and (scope is None or r.id in scope)
    }
    by_kind = group_by in ("kind", "kind_region")
    by_region = group_by in ("region", "kind_region")

    def keys(
        at: datetime, kind: str, region_id: int
    ) -> Iterable[tuple[str, str | None, int | None]]:
        label = rules.period_of(china_day(at), period)
        rolled = _roll_up(regions, region_id, level) if by_region else None
        if rolled is not None:
            shown.setdefault(rolled.id, rolled)
        group = (label, kind if by_kind else None, rolled.id if rolled else None)
        whole = (label, None, None)
        yield from (group, whole, (rules.ALL + ":total", None, None))

    raised = select(
        SupervisedProblem.raised_at, SupervisedProblem.kind, SupervisedProblem.region_id
    )
    raised = raised.where(SupervisedProblem.raised_at >= since, SupervisedProblem.raised_at < until)
    asked = select(
        SupervisionQuestion.asked_at,
        SupervisionQuestion.kind,
        SupervisionQuestion.region_id,
        SupervisionQuestion.due_at,
        SupervisionQuestion.answered_at,
    ).where(SupervisionQuestion.asked_at >= since, SupervisionQuestion.asked_at < until)
    if scope is not None:
        raised = raised.where(SupervisedProblem.region_id.in_(sorted(scope)))
        asked = asked.where(SupervisionQuestion.region_id.in_(sorted(scope)))
    for at, kind, region_id in session.execute(raised):
        if at is None:
            continue
        for key in set(keys(at, kind, region_id)):
            cells[key].raised += 1
    for at, kind, region_id, due_at, answered_at in session.execute(asked):
        fact = rules.QuestionFact(at, due_at, answered_at)
        for key in set(keys(at, kind, region_id)):
            cells[key].questions.append(fact)
    region_rows = sorted(shown.values(), key=lambda r: r.code) if by_region else [None]
    kinds: list[str | None] = list(SUPERVISOR_KINDS) if by_kind else [None]
    if len(spans) * (len(region_rows) * len(kinds) + 1) > MAX_CELLS:
        raise InputError(
            f"period: {len(spans)} periods times {len(region_rows) * len(kinds)} groups is more "
            f"than {MAX_CELLS} cells; choose a longer period, a higher level or fewer groups"
        )
    rows: list[SupervisionRow] = []
    for label, _, _ in spans:
        for region in region_rows:
            for group_kind in kinds:
                cell = cells.get((label, group_kind, region.id if region else None))
                if group_by == "kind_region" and cell is None:
                    continue  # only the combinations that happened
                rows.append(_row(label, group_kind, region, cell, now))
        rows.append(_row(label, None, None, cells.get((label, None, None)), now))
    total = _row(rules.ALL, None, None, cells.get((rules.ALL + ":total", None, None)), now)
    return SupervisionTable(first, last, period, group_by, level, rows, total)


def as_json(table: SupervisionTable) -> dict[str, Any]:
    since, until = day_bounds(table.first, table.last)
    return {
        "from": table.first.isoformat(),
        "to": table.last.isoformat(),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "period": table.period,
        "group_by": table.group_by,
        "level": table.level,
        "rows": [asdict(r) for r in table.rows],
        "total": asdict(table.total),
    }


def to_csv(table: SupervisionTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in [*table.rows, table.total]:
        values = asdict(row)
        writer.writerow(["" if values[f] is None else values[f] for f in FIELDS])
    return out.getvalue()


def default_range(today: date) -> tuple[date, date]:
    """The last twelve months up to ``today``: from the first day of the month 11 months ago."""
    first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    return first, today
