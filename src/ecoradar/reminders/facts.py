"""The facts the triggers judge, read from the other domains as of a time ``T`` (I/O only; the
rules are in ``reminders.triggers``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.db import UTCDateTime
from ecoradar.detection.params import OXYGEN, FactorConfig, HourRecord, Reading, converted
from ecoradar.monitoring.models import Measurement
from ecoradar.problems.models import Problem
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from ecoradar.reminders import triggers as rules
from ecoradar.reminders.config import Config
from ecoradar.reminders.models import Campaign, UpcomingStandard
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask


@dataclass
class PointFacts:
    point_id: int
    mn: str
    outlet: str
    series: list[rules.LimitedSeries] = field(default_factory=list)
    flags: rules.FlagCounts | None = None
    hours: list[rules.DataHour] = field(default_factory=list)


@dataclass
class EnterpriseFacts:
    enterprise: Enterprise
    overdue: list[rules.OverdueTask] = field(default_factory=list)
    rectifications: list[rules.Rectification] = field(default_factory=list)
    points: list[PointFacts] = field(default_factory=list)


def latest_data_time(session: Session) -> datetime | None:
    """The newest hourly data time stored (replayed data may be old)."""
    found = session.scalar(
        select(type_coerce(func.max(Measurement.data_time), UTCDateTime())).where(
            Measurement.kind == "hour"
        )
    )
    return found if isinstance(found, datetime) else None


def _subtree(session: Session, roots: list[int]) -> frozenset[int]:
    if not roots:
        return frozenset()
    children: dict[int, list[int]] = defaultdict(list)
    for rid, parent in session.execute(select(Region.id, Region.parent_id)):
        if parent is not None:
            children[parent].append(rid)
    found, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def standards(session: Session) -> list[rules.Standard]:
    return [
        rules.Standard(s.id, s.industry, s.standard, s.effective, s.changes, s.changes_en)
        for s in session.scalars(select(UpcomingStandard))
    ]


def campaigns(session: Session) -> list[rules.CampaignFacts]:
    return [
        rules.CampaignFacts(
            c.id,
            c.name,
            c.starts,
            c.ends,
            tuple(c.industries or ()),
            _subtree(session, list(c.region_ids or [])),
            c.text,
            c.text_en,
        )
        for c in session.scalars(select(Campaign))
    ]


def _series(
    session: Session,
    point: MonitoringPoint,
    limits: list[PointLimit],
    since: datetime,
    until: datetime,
) -> list[rules.LimitedSeries]:
    factors = [limit.factor for limit in limits]
    rows = session.execute(
        select(
            Measurement.factor,
            Measurement.data_time,
            Measurement.avg,
            Measurement.zs_avg,
            Measurement.rtd,
            Measurement.flag,
        ).where(
            Measurement.point_id == point.id,
            Measurement.kind == "hour",
            Measurement.data_time >= since,
            Measurement.data_time < until,
            Measurement.factor.in_([*factors, OXYGEN]),
        )
    ).all()
    records: dict[datetime, dict[str, Reading]] = defaultdict(dict)
    for factor, at, avg, zs_avg, rtd, flag in rows:
        records[at][factor] = Reading(avg, zs_avg, rtd, flag)
    out = []
    for limit in limits:
        config = FactorConfig(
            limit.factor, limit.effective_limit, limit.averaging, limit.o2_reference
        )
        hours = []
        for at in sorted(records):
            reading = records[at].get(limit.factor)
            if reading is None:
                continue
            valid = reading.valid and reading.flag != "missing"
            value = converted(config, reading, HourRecord(at, records[at])) if valid else None
            hours.append(rules.HourValue(at, value, valid))
        out.append(
            rules.LimitedSeries(
                point.id,
                point.mn,
                point.outlet.code,
                limit.factor,
                limit.effective_limit,
                limit.unit,
                limit.averaging,
                limit.o2_reference,
                tuple(hours),
            )
        )
    return out


def _flag_hours(
    session: Session, point_id: int, flags: list[str], since: datetime, until: datetime
) -> int:
    return int(
        session.scalar(
            select(func.count(func.distinct(Measurement.data_time))).where(
                Measurement.point_id == point_id,
                Measurement.kind == "hour",
                Measurement.data_time >= since,
                Measurement.data_time < until,
                Measurement.flag.in_(flags),
            )
        )
        or 0
    )


def _data_hours(
    session: Session, point_id: int, stop_flags: list[str], since: datetime, until: datetime
) -> list[rules.DataHour]:
    rows = session.execute(
        select(
            Measurement.data_time,
            func.count().filter(Measurement.flag.in_(stop_flags)),
        )
        .where(
            Measurement.point_id == point_id,
            Measurement.kind == "hour",
            Measurement.data_time >= since,
            Measurement.data_time < until,
        )
        .group_by(Measurement.data_time)
    ).all()
    hours = [rules.DataHour(at, bool(n)) for at, n in rows]
    before = session.scalar(
        select(type_coerce(func.max(Measurement.data_time), UTCDateTime())).where(
            Measurement.point_id == point_id,
            Measurement.kind == "hour",
            Measurement.data_time < since,
        )
    )
    if isinstance(before, datetime):
        flagged = session.scalar(
            select(func.count()).where(
                Measurement.point_id == point_id,
                Measurement.kind == "hour",
                Measurement.data_time == before,
                Measurement.flag.in_(stop_flags),
            )
        )
        hours.append(rules.DataHour(before, bool(flagged)))
    return sorted(hours, key=lambda h: h.at)


def gather(*, session: Session, config: Config, as_of: datetime) -> list[EnterpriseFacts]:
    """Every enterprise's facts as of ``as_of`` (only what an enabled trigger needs)."""
    enabled = {code for code, t in config.triggers.items() if t.enabled}
    facts = {
        e.id: EnterpriseFacts(e)
        for e in session.scalars(select(Enterprise).order_by(Enterprise.id))
    }
    if "selfcheck_overdue" in enabled:
        rule = config.trigger("selfcheck_overdue")
        since = as_of - timedelta(days=rule.number("lookback_days"))
        rows = session.execute(
            select(SelfcheckTask, ControlPoint)
            .join(ControlPoint, SelfcheckTask.point_id == ControlPoint.id)
            .where(
                SelfcheckTask.due_at < as_of,
                SelfcheckTask.due_at >= since,
                (SelfcheckTask.state != "submitted") | (SelfcheckTask.submitted_at > as_of),
            )
        ).all()
        for task, cp in rows:
            if task.enterprise_id in facts:
                facts[task.enterprise_id].overdue.append(
                    rules.OverdueTask(task.id, cp.code, cp.name, task.due_date)
                )
    if "rectification_due" in enabled:
        for p in session.scalars(
            select(Problem).where(
                Problem.state == "rectifying",
                Problem.rectification_due.is_not(None),
                Problem.enterprise_id.is_not(None),
            )
        ):
            if p.enterprise_id in facts and p.rectification_due is not None:
                facts[p.enterprise_id].rectifications.append(
                    rules.Rectification(p.id, p.title, p.rectification_due)
                )
    monitoring = enabled & {"near_limit", "maintenance_flags", "device_offline"}
    if monitoring:
        _monitoring(session, config, as_of, monitoring, facts)
    return list(facts.values())


def _monitoring(
    session: Session,
    config: Config,
    as_of: datetime,
    enabled: set[str],
    facts: dict[int, EnterpriseFacts],
) -> None:
    points = session.scalars(select(MonitoringPoint).join(Outlet).order_by(MonitoringPoint.id))
    for point in points:
        owner = facts.get(point.outlet.enterprise_id)
        if owner is None:
            continue
        pf = PointFacts(point.id, point.mn, point.outlet.code)
        if "near_limit" in enabled and point.limits:
            rule = config.trigger("near_limit")
            since = as_of - timedelta(days=rule.number("window_days") + 1)
            pf.series = _series(session, point, list(point.limits), since, as_of)
        if "maintenance_flags" in enabled:
            rule = config.trigger("maintenance_flags")
            flags = [str(f) for f in rule.params.get("flags", ["M", "C"])]
            start = as_of - timedelta(days=rule.number("window_days"))
            base = start - timedelta(days=rule.number("baseline_days"))
            pf.flags = rules.FlagCounts(
                point.id,
                point.mn,
                point.outlet.code,
                _flag_hours(session, point.id, flags, start, as_of),
                _flag_hours(session, point.id, flags, base, start),
            )
        if "device_offline" in enabled:
            rule = config.trigger("device_offline")
            stops = [str(f) for f in rule.params.get("shutdown_flags", ["F"])]
            start = as_of - timedelta(days=rule.number("window_days"))
            pf.hours = _data_hours(session, point.id, stops, start, as_of)
        owner.points.append(pf)
