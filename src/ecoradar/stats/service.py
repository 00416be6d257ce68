"""Clue statistics per channel and region (issue 6 item 7).

The figures describe the **clues received in the period** (``since`` <= ``received_at`` <
``until``) and what became of them, grouped by the clue's channel, by the region of its
problem rolled up to a level, or by both:

- ``clues``: clues received; ``duplicates_merged``: those deduplication attached to a problem
  already open (``duplicate`` true);
- ``problems_opened``: clues that opened their problem (the problem's first finding). The
  following figures are about these problems, so a problem counts once, for the clue that
  opened it;
- ``verified`` / ``verification_finished`` = ``verified_share``: problems that reached
  ``confirmed`` (or beyond: rectification, closure; a transfer to public security counts too,
  as for rewards) and are not now unfounded, over those plus the ones found unfounded. A
  problem still being verified, rejected without verification or transferred elsewhere is in
  neither; the share is None when nothing was verified either way;
- ``median_hours_to_acceptance``: ``state_times["accepted"]`` minus ``reported_at``, over the
  accepted problems; ``median_hours_to_closure``: ``closed_at`` minus ``reported_at`` over the
  problems closed now (a reopened one is not closed);
- ``rewards_paid`` and ``rewards_paid_amount``: paid rewards of these clues, count and sum.

Medians are computed in Python over the fetched durations: PostgreSQL has
``percentile_cont`` and SQLite has no percentile at all, and one code path gives the same figure
on both. Sums of amounts are taken in Python over ``Decimal`` values, for the same reason.

Region rows roll up to ``level`` (a problem in a grid counts for its county at ``county``);
by default the level of the asker's scope region (a county officer: county rows), and
``county`` for an administrator or the command line. A region above that level is its own row.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.clues.models import CLUE_CHANNELS, Clue
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import LEVELS, Region
from ecoradar.regions.service import region_by_code, subtree_ids
from ecoradar.rewards import eligibility
from ecoradar.rewards.models import Reward

GROUPS = ("channel", "region", "channel_region")
DEFAULT_LEVEL = "county"
TOTAL = "total"
FIELDS = (
    "channel",
    "region_code",
    "region_name",
    "clues",
    "problems_opened",
    "verified",
    "verification_finished",
    "verified_share",
    "duplicates_merged",
    "median_hours_to_acceptance",
    "median_hours_to_closure",
    "rewards_paid",
    "rewards_paid_amount",
)
"""The columns of a row, in order (JSON keys and the CSV header)."""


@dataclass(frozen=True)
class StatsRow:
    channel: str | None
    region_code: str | None
    region_name: str | None
    clues: int
    problems_opened: int
    verified: int
    verification_finished: int
    verified_share: float | None
    duplicates_merged: int
    median_hours_to_acceptance: float | None
    median_hours_to_closure: float | None
    rewards_paid: int
    rewards_paid_amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class ClueStats:
    since: datetime | None
    until: datetime | None
    group_by: str
    level: str | None
    """The level region rows roll up to (None when not grouped by region)."""
    rows: list[StatsRow]
    total: StatsRow


@dataclass
class _Group:
    clues: int = 0
    duplicates: int = 0
    opened: int = 0
    verified: int = 0
    finished: int = 0
    to_acceptance: list[float] = field(default_factory=list)
    to_closure: list[float] = field(default_factory=list)
    paid: int = 0
    paid_amount: Decimal = field(default_factory=lambda: Decimal("0.00"))


@dataclass(frozen=True)
class _Region:
    id: int
    parent_id: int | None
    level: str
    code: str
    name: str


FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """China calendar days ``first`` to ``last`` (both included) as ``[since, until)``."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise InputError(f"{name}: {day.isoformat()} is not between 1970-01-01 and 9998-12-31")
    if first is not None and last is not None and first > last:
        raise InputError(f"from: {first.isoformat()} is after to ({last.isoformat()})")
    since = datetime.combine(first, time(), CHINA_TZ) if first is not None else None
    until = (
        datetime.combine(last + timedelta(days=1), time(), CHINA_TZ) if last is not None else None
    )
    return since, until


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _stamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _roll_up(regions: dict[int, _Region], region_id: int, level: str) -> _Region:
    """The region at ``level`` containing ``region_id`` (the region itself when it lies at or
    above that level, or has no ancestor there)."""
    target = LEVELS.index(level)
    region = regions[region_id]
    while LEVELS.index(region.level) > target and region.parent_id in regions:
        region = regions[region.parent_id]
    return region


def default_level(session: Session, principal: Principal | None) -> str:
    """The level of the principal's scope region, else ``county``."""
    if principal is None or principal.region_id is None or principal.unrestricted:
        return DEFAULT_LEVEL
    level = session.scalar(select(Region.level).where(Region.id == principal.region_id))
    return level or DEFAULT_LEVEL


def scope_region(*, session: Session, principal: Principal | None, code: str) -> frozenset[int]:
    """The region ``code`` and every region below it; ``NotFoundError`` for an unknown code or
    a region outside ``principal``'s scope (as if it did not exist)."""
    if "\x00" in code:
        raise NotFoundError(f"no region with code {code!r}")
    region = region_by_code(session=session, code=code)
    if principal is not None and not principal.covers_region(region.id):
        raise NotFoundError(f"no region with code {code!r}")
    return subtree_ids(session=session, region_id=region.id)


def _where(
    principal: Principal | None,
    region_ids: frozenset[int] | None,
    since: datetime | None,
    until: datetime | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if principal is not None and not principal.unrestricted:
        where.append(Problem.region_id.in_(sorted(principal.region_ids)))
    if region_ids is not None:
        where.append(Problem.region_id.in_(sorted(region_ids)))
    if since is not None:
        where.append(Clue.received_at >= since)
    if until is not None:
        where.append(Clue.received_at < until)
    return where


def clue_stats(
    *,
    session: Session,
    principal: Principal | None = None,
    region_ids: frozenset[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    group_by: str = "channel",
    level: str | None = None,
) -> ClueStats:
    """The figures of the clues received in ``[since, until)`` about problems in the scope of
    ``principal`` and within ``region_ids`` (None: no limit), one row per group and a total."""
    if group_by not in GROUPS:
        raise InputError(f"group_by: {group_by!r} is not one of {', '.join(GROUPS)}")
    if level is not None and level not in LEVELS:
        raise InputError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    by_region = group_by != "channel"
    if by_region and level is None:
        level = default_level(session, principal)
    regions = {
        r.id: _Region(r.id, r.parent_id, r.level, r.code, r.name)
        for r in session.execute(
            select(Region.id, Region.parent_id, Region.level, Region.code, Region.name)
        )
    }
    where = _where(principal, region_ids, since, until)
    first = (
        select(Finding.problem_id, func.min(Finding.id).label("first_id"))
        .group_by(Finding.problem_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Clue.id,
            Clue.channel,
            Clue.duplicate,
            Clue.finding_id,
            first.c.first_id,
            Problem.id,
            Problem.region_id,
            Problem.state,
            Problem.state_times,
            Problem.transfer_target,
            Problem.enterprise_id,
            Problem.reported_at,
            Problem.closed_at,
        )
        .join(Finding, Clue.finding_id == Finding.id)
        .join(Problem, Finding.problem_id == Problem.id)
        .join(first, first.c.problem_id == Problem.id)
        .where(*where)
    ).all()
    groups: dict[tuple[str | None, int | None], _Group] = {}
    total = _Group()
    keys: dict[int, tuple[str | None, int | None]] = {}
    for row in rows:
        region = _roll_up(regions, row[6], level).id if by_region and level else None
        key = (row[1] if group_by != "region" else None, region)
        keys[row[0]] = key
        for group in (groups.setdefault(key, _Group()), total):
            _count(group, row)
    paid = session.execute(
        select(Reward.clue_id, Reward.amount)
        .join(Clue, Reward.clue_id == Clue.id)
        .join(Finding, Clue.finding_id == Finding.id)
        .join(Problem, Finding.problem_id == Problem.id)
        .where(Reward.state == "paid", *where)
    ).all()
    for clue_id, amount in paid:
        for group in (groups[keys[clue_id]], total):
            group.paid += 1
            group.paid_amount += amount
    ordered = sorted(groups.items(), key=lambda item: _order(item[0], regions))
    return ClueStats(
        since=since,
        until=until,
        group_by=group_by,
        level=level if by_region else None,
        rows=[_row(key, group, regions) for key, group in ordered],
        total=_row((TOTAL, None), total, regions, total_row=True),
    )


def _count(group: _Group, row: Any) -> None:
    (
        _clue,
        _channel,
        duplicate,
        finding_id,
        first_id,
        problem_id,
        _region,
        state,
        state_times,
        transfer,
        enterprise,
        reported_at,
        closed_at,
    ) = tuple(row)
    group.clues += 1
    group.duplicates += bool(duplicate)
    if finding_id != first_id:
        return
    group.opened += 1
    times = state_times if isinstance(state_times, dict) else {}
    facts = eligibility.ProblemFacts(
        problem_id=problem_id,
        state=state,
        reached=frozenset(times),
        transfer_kind=transfer.get("kind") if isinstance(transfer, dict) else None,
        enterprise_id=enterprise,
    )
    if eligibility.verified(facts):
        group.verified += 1
        group.finished += 1
    elif state == "unfounded":
        group.finished += 1
    accepted = _stamp(times.get("accepted"))
    if accepted is not None:
        group.to_acceptance.append(_hours(reported_at, accepted))
    if state == "closed" and closed_at is not None:
        group.to_closure.append(_hours(reported_at, closed_at))


def _order(key: tuple[str | None, int | None], regions: dict[int, _Region]) -> tuple[int, str]:
    channel, region = key
    rank = CLUE_CHANNELS.index(channel) if channel in CLUE_CHANNELS else len(CLUE_CHANNELS)
    return rank, regions[region].code if region is not None else ""


def _row(
    key: tuple[str | None, int | None],
    group: _Group,
    regions: dict[int, _Region],
    *,
    total_row: bool = False,
) -> StatsRow:
    channel, region_id = key
    region = regions[region_id] if region_id is not None else None
    share = round(group.verified / group.finished, 4) if group.finished else None
    return StatsRow(
        channel=channel,
        region_code=TOTAL if total_row else (region.code if region else None),
        region_name=None if total_row or region is None else region.name,
        clues=group.clues,
        problems_opened=group.opened,
        verified=group.verified,
        verification_finished=group.finished,
        verified_share=share,
        duplicates_merged=group.duplicates,
        median_hours_to_acceptance=_median(group.to_acceptance),
        median_hours_to_closure=_median(group.to_closure),
        rewards_paid=group.paid,
        rewards_paid_amount=group.paid_amount,
    )


# --- output -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TZ).isoformat() if value is not None else None


def _plain(row: StatsRow) -> dict[str, Any]:
    out = row.as_dict()
    out["rewards_paid_amount"] = str(row.rewards_paid_amount)
    return out


def as_json(stats: ClueStats) -> dict[str, Any]:
    """The figures as one JSON object (amounts as decimal strings, times ISO 8601, UTC+8)."""
    return {
        "from": _iso(stats.since),
        "to": _iso(stats.until),
        "group_by": stats.group_by,
        "level": stats.level,
        "rows": [_plain(r) for r in stats.rows],
        "total": _plain(stats.total),
    }


def _cells(values: Iterable[Any]) -> list[str]:
    return ["" if v is None else str(v) for v in values]


def to_csv(stats: ClueStats) -> str:
    """The rows and, last, the total (``channel`` and ``region_code`` ``total``) as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in [*stats.rows, stats.total]:
        writer.writerow(_cells(row.as_dict()[name] for name in FIELDS))
    return buffer.getvalue()
