"""Discovery statistics across every channel, human and technical (issue 18 item 4), by region
and period — the measures the seed reports use (Jiaxing's clues received, Huzhou's
self-inspection tasks sent and completed, Zhoushan's reminders and issues solved).

For the period ``[since, until)`` (None: open-ended), within the asker's scope and the chosen
region's subtree:

- ``clues_received``: findings received in the period (``Finding.received_at``), per finding
  channel — a public report, a grid worker's patrol report, an online-monitoring alert that
  reached the register, a power episode, a failed self-inspection item: every observation that
  came in, duplicates included;
- ``problems_found``: problems reported in the period (``Problem.reported_at``), per the
  problem's channel (the channel of the finding that opened it): a monitoring-only problem is a
  new problem like any other;
- ``problems_closed``: problems closed in the period and closed now (``state`` ``closed``,
  ``closed_at`` in the period; a reopened one is not closed);
- ``tasks_sent`` / ``tasks_completed``: self-inspection tasks due in the period (their China
  day), and those of them submitted;
- ``reminders_issued`` / ``reminder_issues`` / ``issues_solved``: service reminders issued in
  the period, the issues in them, the issues whose answer an officer accepted (the enterprise
  fixed the matter before it became a violation; ``reminders.stats``).

A finding or problem belongs to the problem's region; a task to its enterprise's region; a
reminder to the region it was made for. Region rows roll up to ``level`` as in
``stats.service``; the total covers the whole scope (a reminder without a region counts only
there).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import LEVELS, Region
from ecoradar.registry.models import Enterprise
from ecoradar.reminders.stats import outcomes
from ecoradar.selfcheck.models import SelfcheckTask
from ecoradar.stats.service import _Region, _roll_up, default_level

HUMAN = (
    "public",
    "open311",
    "hotline",
    "grid_worker",
    "department",
    "media",
    "ngo",
    "referral",
    "inspection",
    "third_party",
    "supervisor",
    "self_inspection",
)
"""Channels where a person saw or reported something (an enterprise checking itself too)."""
TECHNICAL = ("monitoring", "power", "station", "linkage", "drone", "unmanned_ship")
"""Channels where a device or an analysis found it: online monitoring (HJ 212), power
sub-metering, ambient stations, linkage analytics and hotspots, drones and unmanned ships."""
KINDS = ("human", "technical")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def kind_of(channel: str) -> str:
    return "technical" if channel in TECHNICAL else "human"


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    """A finding channel; ``human`` / ``technical`` on the subtotal rows, ``total`` last."""
    kind: str
    clues_received: int = 0
    problems_found: int = 0
    problems_closed: int = 0


@dataclass
class AreaRow:
    region_code: str
    """``total`` on the total row."""
    region_name: str | None
    clues_received: int = 0
    problems_found: int = 0
    problems_closed: int = 0
    tasks_sent: int = 0
    tasks_completed: int = 0
    reminders_issued: int = 0
    reminder_issues: int = 0
    issues_solved: int = 0


AREA_FIELDS = tuple(f.name for f in fields(AreaRow))
CHANNEL_FIELDS = tuple(f.name for f in fields(ChannelRow))
COUNTED = AREA_FIELDS[2:]


@dataclass(frozen=True)
class DiscoveryStats:
    since: datetime | None
    until: datetime | None
    level: str
    channels: list[ChannelRow]
    """Every channel with something in the period: human ones, then technical ones."""
    subtotals: list[ChannelRow]
    """``human``, ``technical`` and ``total``."""
    areas: list[AreaRow]
    total: AreaRow
    by_channel: dict[str, ChannelRow] = field(default_factory=dict)
    periods: list[tuple[str, AreaRow]] = field(default_factory=list)
    """Per month, quarter or year of the range, its total (``stats.periods``); empty unless
    asked for."""

    def channel(self, name: str) -> ChannelRow:
        """The row of ``name`` (zeros when nothing came through it)."""
        return self.by_channel.get(name) or ChannelRow(name, kind_of(name))


def _scope(
    column: Any, principal: Principal | None, region_ids: frozenset[int] | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if principal is not None and not principal.unrestricted:
        where.append(column.in_(sorted(principal.region_ids)))
    if region_ids is not None:
        where.append(column.in_(sorted(region_ids)))
    return where


def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    where = []
    if since is not None:
        where.append(column >= since)
    if until is not None:
        where.append(column < until)
    return where


def _counts(session: Session, statement: Any) -> list[tuple[str, int, int]]:
    return [(str(c), int(r), int(n)) for c, r, n in session.execute(statement)]


def discovery_stats(
    *,
    session: Session,
    principal: Principal | None = None,
    region_ids: frozenset[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    level: str | None = None,
) -> DiscoveryStats:
    """The figures of ``[since, until)`` in ``principal``'s scope and ``region_ids`` (None: no
    further limit), per channel and per region rolled up to ``level``."""
    if level is not None and level not in LEVELS:
        raise InputError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    level = level or default_level(session, principal)
    regions = {
        r.id: _Region(r.id, r.parent_id, r.level, r.code, r.name)
        for r in session.execute(
            select(Region.id, Region.parent_id, Region.level, Region.code, Region.name)
        )
    }
    in_scope = _scope(Problem.region_id, principal, region_ids)
    received = _counts(
        session,
        select(Finding.channel, Problem.region_id, func.count())
        .join(Problem, Finding.problem_id == Problem.id)
        .where(*in_scope, *_between(Finding.received_at, since, until))
        .group_by(Finding.channel, Problem.region_id),
    )
    found = _counts(
        session,
        select(Problem.channel, Problem.region_id, func.count())
        .where(*in_scope, *_between(Problem.reported_at, since, until))
        .group_by(Problem.channel, Problem.region_id),
    )
    closed = _counts(
        session,
        select(Problem.channel, Problem.region_id, func.count())
        .where(*in_scope, Problem.state == "closed", *_between(Problem.closed_at, since, until))
        .group_by(Problem.channel, Problem.region_id),
    )
    areas: dict[int, AreaRow] = {}
    total = AreaRow("total", None)

    def area(region_id: int | None) -> AreaRow | None:
        if region_id is None or region_id not in regions:
            return None
        top = _roll_up(regions, region_id, level)
        return areas.setdefault(top.id, AreaRow(top.code, top.name))

    per_channel: dict[str, dict[str, int]] = {}
    for name, rows in (
        ("clues_received", received),
        ("problems_found", found),
        ("problems_closed", closed),
    ):
        for channel, region_id, count in rows:
            slot = per_channel.setdefault(channel, {})
            slot[name] = slot.get(name, 0) + count
            _add(area(region_id), total, name, count)
    _tasks(session, principal, region_ids, since, until, area, total)
    _reminders(session, principal, region_ids, since, until, area, total)
    ordered = [c for c in (*HUMAN, *TECHNICAL) if c in per_channel]
    ordered += sorted(set(per_channel) - set(ordered))
    channel_rows = [ChannelRow(c, kind_of(c), **per_channel[c]) for c in ordered]
    subtotals = [_sum(kind, [r for r in channel_rows if r.kind == kind]) for kind in KINDS]
    subtotals.append(_sum("total", channel_rows))
    return DiscoveryStats(
        since=since,
        until=until,
        level=level,
        channels=channel_rows,
        subtotals=subtotals,
        areas=sorted(areas.values(), key=lambda a: a.region_code),
        total=total,
        by_channel={r.channel: r for r in channel_rows},
    )


def _add(row: AreaRow | None, total: AreaRow, name: str, count: int) -> None:
    for target in (row, total):
        if target is not None:
            setattr(target, name, getattr(target, name) + count)


def _sum(name: str, rows: list[ChannelRow]) -> ChannelRow:
    return ChannelRow(
        name,
        name,
        sum(r.clues_received for r in rows),
        sum(r.problems_found for r in rows),
        sum(r.problems_closed for r in rows),
    )


def _tasks(
    session: Session,
    principal: Principal | None,
    region_ids: frozenset[int] | None,
    since: datetime | None,
    until: datetime | None,
    area: Any,
    total: AreaRow,
) -> None:
    """Tasks due in the period (``due_at`` is the end of the task's China day)."""
    submitted = func.sum(case((SelfcheckTask.state == "submitted", 1), else_=0))
    rows = session.execute(
        select(Enterprise.region_id, func.count(), submitted)
        .join(Enterprise, SelfcheckTask.enterprise_id == Enterprise.id)
        .where(
            *_scope(Enterprise.region_id, principal, region_ids),
            *_between(SelfcheckTask.due_at, since, until),
        )
        .group_by(Enterprise.region_id)
    )
    for region_id, sent, done in rows:
        row = area(region_id)
        _add(row, total, "tasks_sent", int(sent))
        _add(row, total, "tasks_completed", int(done or 0))


def _reminders(
    session: Session,
    principal: Principal | None,
    region_ids: frozenset[int] | None,
    since: datetime | None,
    until: datetime | None,
    area: Any,
    total: AreaRow,
) -> None:
    scope: frozenset[int] | None = region_ids
    if principal is not None and not principal.unrestricted:
        own = frozenset(principal.region_ids)
        scope = own if scope is None else scope & own
    found = outcomes(
        session=session, region_ids=scope, since=since or EARLIEST, until=until or LATEST
    )
    for region_id, figures in found.by_region.items():
        row = area(region_id)
        _add(row, total, "reminders_issued", figures.reminders_issued)
        _add(row, total, "reminder_issues", figures.issues)
        _add(row, total, "issues_solved", figures.issues_solved)


# --- output -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TZ).isoformat() if value is not None else None


def as_json(stats: DiscoveryStats) -> dict[str, Any]:
    """The figures as one JSON object (times ISO 8601, UTC+8)."""
    return {
        "from": _iso(stats.since),
        "to": _iso(stats.until),
        "level": stats.level,
        "channels": [asdict(r) for r in stats.channels],
        "subtotals": [asdict(r) for r in stats.subtotals],
        "areas": [asdict(r) for r in stats.areas],
        "total": asdict(stats.total),
        "periods": [{"period": label, **_counted(row)} for label, row in stats.periods],
    }


def _counted(row: AreaRow) -> dict[str, int]:
    values = asdict(row)
    return {name: values[name] for name in COUNTED}


EXPORT_FIELDS = (
    "section", "period", "kind", "channel", "region_code", "region_name", *COUNTED
)  # fmt: skip
"""One table for CSV: the channel rows (``section`` ``channel``), their subtotals, the area
rows (``section`` ``area``) and the total, then the period totals (``period``) if asked for."""


def export_rows(stats: DiscoveryStats) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for r in [*stats.channels, *stats.subtotals]:
        section = "channel" if r.channel not in (*KINDS, "total") else "channel_subtotal"
        values = asdict(r)
        counts = [values.get(c) for c in COUNTED]
        rows.append([section, None, r.kind, r.channel, None, None, *counts])
    for a in [*stats.areas, stats.total]:
        section = "area" if a is not stats.total else "area_total"
        counts = list(_counted(a).values())
        rows.append([section, None, None, None, a.region_code, a.region_name, *counts])
    for label, row in stats.periods:
        rows.append(["period", label, None, None, None, None, *_counted(row).values()])
    return rows


def to_csv(stats: DiscoveryStats) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for row in export_rows(stats):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def to_xlsx(stats: DiscoveryStats) -> bytes:
    """Two sheets: ``channels`` (with the subtotals) and ``areas`` (with the total)."""
    from openpyxl import Workbook  # imported lazily: only exports need it

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "channels"
    sheet.append(list(CHANNEL_FIELDS))
    for r in [*stats.channels, *stats.subtotals]:
        sheet.append([getattr(r, name) for name in CHANNEL_FIELDS])
    areas = workbook.create_sheet("areas")
    areas.append(list(AREA_FIELDS))
    for a in [*stats.areas, stats.total]:
        areas.append([getattr(a, name) for name in AREA_FIELDS])
    if stats.periods:
        periods = workbook.create_sheet("periods")
        periods.append(["period", *COUNTED])
        for label, row in stats.periods:
            periods.append([label, *_counted(row).values()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
