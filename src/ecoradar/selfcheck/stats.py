"""Self-inspection figures, like Huzhou's: enterprises and control points under management,
tasks sent, completed, on time, late, overdue, failed — in total and by enterprise, industry,
region or period (day, ISO week, month), with CSV and XLSX export.

Definitions (``now`` decides what is overdue):

- ``enterprises`` / ``control_points``: with an active control point (by period: with a task
  due in it);
- ``tasks_sent``: tasks due in the period (``due_date`` from ``date_from`` to ``date_to``);
- ``tasks_completed``: submitted; ``tasks_on_time`` by their due time, ``tasks_late`` after it;
- ``tasks_overdue``: not submitted and past their due time; ``tasks_open``: not yet due;
- ``tasks_failed``: submitted with at least one failed item.

``figures_by_enterprise`` is what the green code reads for each enterprise.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func, select, true
from sqlalchemy.orm import Session

from ecoradar.regions.models import LEVELS, Region
from ecoradar.regions.service import region_by_code, subtree_ids
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask

GROUPS = ("enterprise", "industry", "region", "day", "week", "month")
TASK_FIGURES = (
    "tasks_sent",
    "tasks_completed",
    "tasks_on_time",
    "tasks_late",
    "tasks_overdue",
    "tasks_open",
    "tasks_failed",
)
FIGURES = ("enterprises", "control_points", *TASK_FIGURES)
COLUMNS = ("key", "label", *FIGURES, "completion_rate", "on_time_rate", "failure_rate")


@dataclass(frozen=True)
class StatsQuery:
    date_from: date | None = None
    date_to: date | None = None
    region_code: str | None = None
    industry: str | None = None
    enterprise_code: str | None = None
    group_by: str | None = None
    region_level: str = "county"


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)


def _task_columns(now: datetime) -> list[Any]:
    done = SelfcheckTask.state == "submitted"
    return [
        func.count(SelfcheckTask.id),
        _sum(done),
        _sum(done & (SelfcheckTask.submitted_at <= SelfcheckTask.due_at)),
        _sum(done & (SelfcheckTask.submitted_at > SelfcheckTask.due_at)),
        _sum(~done & (SelfcheckTask.due_at < now)),
        _sum(~done & (SelfcheckTask.due_at >= now)),
        _sum(done & SelfcheckTask.failed.is_(True)),
    ]


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    sent, completed = row["tasks_sent"], row["tasks_completed"]
    row["completion_rate"] = round(completed / sent, 4) if sent else None
    row["on_time_rate"] = round(row["tasks_on_time"] / sent, 4) if sent else None
    row["failure_rate"] = round(row["tasks_failed"] / completed, 4) if completed else None
    return row


def _period_key(session: Session, group: str) -> Any:
    postgres = session.get_bind().dialect.name == "postgresql"
    if group == "day":
        return SelfcheckTask.due_date
    if group == "month":
        return (
            func.to_char(SelfcheckTask.due_date, "YYYY-MM")
            if postgres
            else func.strftime("%Y-%m", SelfcheckTask.due_date)
        )
    # week: its Monday
    if postgres:
        return cast(func.date_trunc("week", SelfcheckTask.due_date), SelfcheckTask.due_date.type)
    return func.date(SelfcheckTask.due_date, "weekday 0", "-6 days")


def _label_period(group: str, key: Any) -> tuple[str, str]:
    if group == "week":
        monday = key if isinstance(key, date) else date.fromisoformat(str(key))
        year, week, _ = monday.isocalendar()
        return monday.isoformat(), f"{year}-W{week:02d}"
    text = key.isoformat() if isinstance(key, date) else str(key)
    return text, text


def figures(
    *,
    session: Session,
    query: StatsQuery,
    now: datetime,
    scope: ColumnElement[bool] | None = None,
) -> dict[str, Any]:
    """The figures as one JSON-ready object; ``groups`` when ``query.group_by`` is set.
    ``scope`` limits enterprises (a condition on ``enterprises``; None: all)."""
    where = [scope if scope is not None else true(), *_filters(session, query)]
    window = []
    if query.date_from is not None:
        window.append(SelfcheckTask.due_date >= query.date_from)
    if query.date_to is not None:
        window.append(SelfcheckTask.due_date <= query.date_to)
    points = select(func.count(func.distinct(ControlPoint.enterprise_id)), func.count()).join(
        Enterprise, ControlPoint.enterprise_id == Enterprise.id
    )
    points = points.where(ControlPoint.active.is_(True), *where)
    enterprises, control_points = session.execute(points).one()
    tasks = (
        select(*_task_columns(now))
        .join(Enterprise, SelfcheckTask.enterprise_id == Enterprise.id)
        .where(*where, *window)
    )
    total = dict(zip(TASK_FIGURES, session.execute(tasks).one(), strict=True))
    result: dict[str, Any] = {
        "from": query.date_from.isoformat() if query.date_from else None,
        "to": query.date_to.isoformat() if query.date_to else None,
        "as_of": now.isoformat(),
        "enterprises": int(enterprises),
        "control_points": int(control_points),
        **{k: int(v) for k, v in total.items()},
    }
    _rates(result)
    if query.group_by:
        result["group_by"] = query.group_by
        result["groups"] = _groups(session, query, now, where, window)
    return result


def _filters(session: Session, query: StatsQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.region_code:
        region = region_by_code(session=session, code=query.region_code)
        where.append(
            Enterprise.region_id.in_(sorted(subtree_ids(session=session, region_id=region.id)))
        )
    if query.industry:
        where.append(Enterprise.industry.startswith(query.industry.upper()))
    if query.enterprise_code:
        where.append(Enterprise.code == query.enterprise_code.upper())
    return where


def _groups(
    session: Session,
    query: StatsQuery,
    now: datetime,
    where: list[ColumnElement[bool]],
    window: list[ColumnElement[bool]],
) -> list[dict[str, Any]]:
    group = query.group_by or ""
    if group in ("day", "week", "month"):
        key = _period_key(session, group).label("key")
        rows = session.execute(
            select(
                key,
                func.count(func.distinct(SelfcheckTask.enterprise_id)),
                func.count(func.distinct(SelfcheckTask.point_id)),
                *_task_columns(now),
            )
            .join(Enterprise, SelfcheckTask.enterprise_id == Enterprise.id)
            .where(*where, *window)
            .group_by(key)
            .order_by(key)
        )
        out = []
        for row in rows:
            code, label = _label_period(group, row[0])
            values = dict(zip(FIGURES, (int(v) for v in row[1:]), strict=True))
            out.append(_rates({"key": code, "label": label, **values}))
        return out
    column: Any = {"enterprise": Enterprise.id, "industry": Enterprise.industry}.get(
        group, Enterprise.region_id
    )
    merged: dict[Any, dict[str, int]] = {}
    point_rows = session.execute(
        select(column, func.count(func.distinct(ControlPoint.enterprise_id)), func.count())
        .join(Enterprise, ControlPoint.enterprise_id == Enterprise.id)
        .where(ControlPoint.active.is_(True), *where)
        .group_by(column)
    )
    for key, count_e, count_p in point_rows:
        merged.setdefault(key, dict.fromkeys(FIGURES, 0)).update(
            enterprises=int(count_e), control_points=int(count_p)
        )
    task_rows = session.execute(
        select(column, *_task_columns(now))
        .join(Enterprise, SelfcheckTask.enterprise_id == Enterprise.id)
        .where(*where, *window)
        .group_by(column)
    )
    for key, *counts in task_rows:
        slot = merged.setdefault(key, dict.fromkeys(FIGURES, 0))
        slot.update(zip(TASK_FIGURES, (int(v) for v in counts), strict=True))
    if group == "region":
        merged = _roll_up(session, merged, query.region_level)
    labels = _labels(session, group, list(merged))
    return [
        _rates({"key": labels[k][0], "label": labels[k][1], **merged[k]})
        for k in sorted(merged, key=lambda k: labels[k][0])
    ]


def _roll_up(
    session: Session, rows: Mapping[Any, dict[str, int]], level: str
) -> dict[Any, dict[str, int]]:
    """Figures per grid (an enterprise's region) summed into their area at ``level``."""
    regions = {r.id: (r.parent_id, r.level) for r in session.scalars(select(Region))}
    wanted = LEVELS.index(level) if level in LEVELS else LEVELS.index("county")
    out: dict[Any, dict[str, int]] = {}
    for region_id, values in rows.items():
        target = region_id
        while target is not None and LEVELS.index(regions[target][1]) > wanted:
            target = regions[target][0]
        slot = out.setdefault(
            target if target is not None else region_id, dict.fromkeys(FIGURES, 0)
        )
        for name in FIGURES:
            slot[name] += values[name]
    return out


def _labels(session: Session, group: str, keys: list[Any]) -> dict[Any, tuple[str, str]]:
    if group == "enterprise":
        found = {
            e.id: (e.code, e.name)
            for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(keys)))
        }
    elif group == "region":
        ids = [k for k in keys if k is not None]
        found = {
            r.id: (r.code, r.name)
            for r in session.scalars(select(Region).where(Region.id.in_(ids)))
        }
    else:
        found = {k: (str(k), str(k)) for k in keys}
    return {k: found.get(k, ("-", "-")) for k in keys}


def figures_by_enterprise(
    *,
    session: Session,
    enterprise_ids: list[int],
    date_from: date | None,
    date_to: date | None,
    now: datetime,
) -> dict[int, dict[str, Any]]:
    """Each enterprise's task figures and rates (for the green code)."""
    query = (
        select(SelfcheckTask.enterprise_id, *_task_columns(now))
        .where(SelfcheckTask.enterprise_id.in_(enterprise_ids))
        .group_by(SelfcheckTask.enterprise_id)
    )
    if date_from is not None:
        query = query.where(SelfcheckTask.due_date >= date_from)
    if date_to is not None:
        query = query.where(SelfcheckTask.due_date <= date_to)
    out = {
        eid: _rates(dict(zip(TASK_FIGURES, (int(v) for v in values), strict=True)))
        for eid, *values in session.execute(query)
    }
    for eid in enterprise_ids:
        out.setdefault(eid, _rates(dict.fromkeys(TASK_FIGURES, 0)))
    return out


def table_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The total, then each group, as rows of ``COLUMNS``."""
    total = {"key": "total", "label": "total", **{k: result.get(k) for k in COLUMNS[2:]}}
    return [total, *({k: g.get(k) for k in COLUMNS} for g in result.get("groups", []))]


def to_csv(result: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_rows(result))
    return buffer.getvalue()


def to_xlsx(result: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook  # imported lazily: only exports need it

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "selfcheck"
    sheet.append(list(COLUMNS))
    for row in table_rows(result):
        sheet.append([row.get(c) for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
