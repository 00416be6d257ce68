"""What a power episode's finding holds: the enterprise's metering context, the evidence (the
curves of every meter involved around the episode), and the finding's title and description
(stored Chinese text, as written; times in China time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.monitoring.models import Measurement
from ecoradar.power import rules
from ecoradar.power.models import PowerEpisode, PowerMeter, PowerUnit
from ecoradar.power.service import as_rule_meter, samples
from ecoradar.problems.intake import FindingIn
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

ACTOR = "system:power"
CATEGORY = {"gas": "air", "water": "water"}
TITLES = {
    "treatment_idle": "{name}：治污设施 {subject} {state}，生产设施运行中",
    "monitoring_offline": "{name}：生产设施运行，在线监控 {subject} 无数据",
}
STATE_WORDS = {"off": "停运", "idle": "怠速", "silent": "无数据"}


@dataclass(frozen=True)
class Point:
    id: int
    mn: str
    medium: str


@dataclass
class Context:
    enterprise: Enterprise
    units: list[PowerUnit]
    meters: list[PowerMeter]
    points: list[Point]

    def production(self, codes: list[str] | None = None) -> list[PowerMeter]:
        return [
            m
            for m in self.meters
            if m.unit.kind == "production" and (codes is None or m.unit.code in codes)
        ]

    def for_point(self, mn: str) -> list[PowerMeter]:
        """The production meters related to point ``mn``: those naming it, else those naming
        no point, else all of them."""
        made = self.production()
        return [m for m in made if mn in m.points] or [m for m in made if not m.points] or made


def context(session: Session, enterprise_id: int) -> Context | None:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        return None
    units = list(session.scalars(select(PowerUnit).where(PowerUnit.enterprise_id == enterprise_id)))
    meters = list(
        session.scalars(select(PowerMeter).where(PowerMeter.enterprise_id == enterprise_id))
    )
    points = [
        Point(*row)
        for row in session.execute(
            select(MonitoringPoint.id, MonitoringPoint.mn, MonitoringPoint.medium)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(Outlet.enterprise_id == enterprise_id)
        )
    ]
    return Context(enterprise, units, meters, points)


def monitoring(
    session: Session, point_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, str]]:
    earliest = start - max(rules.MONITORING_COVER.values())
    return list(
        session.execute(
            select(Measurement.data_time, Measurement.kind)
            .where(
                Measurement.point_id == point_id,
                Measurement.kind.in_(list(rules.MONITORING_COVER)),
                Measurement.data_time >= earliest,
                Measurement.data_time < end,
            )
            .distinct()
        )
    )


def involved(ctx: Context, rule: str, subject: str) -> list[PowerMeter]:
    if rule == "monitoring_offline":
        return ctx.for_point(subject)
    facility = next(u for u in ctx.units if u.code == subject and u.kind == "treatment")
    production_codes = [u.code for u in ctx.units if u.kind == "production"]
    made = ctx.production(list(facility.serves) or production_codes)
    return made + [m for m in ctx.meters if m.unit_id == facility.id]


def evidence(session: Session, ctx: Context, found: rules.Found) -> dict[str, Any]:
    """What a finding shows: the episode, and the curves of every meter involved over the
    episode and ``rules.MARGIN`` either side (with their unknown stretches)."""
    start, end = rules.window(found)
    meters = involved(ctx, found.rule, found.subject)
    hold = max(timedelta(seconds=m.interval_s * rules.GAP_FACTOR) for m in meters)
    curves = samples(session, [m.id for m in meters], start - hold, end)
    data: dict[str, Any] = {
        "rule": found.rule,
        "subject": found.subject,
        "state": found.state,
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "minutes": round(found.minutes, 1),
        "min_minutes": rules.MIN_EPISODE.total_seconds() / 60,
        "window": [start.isoformat(), end.isoformat()],
        "curves": [rules.curve(as_rule_meter(m), curves[m.id], start, end) for m in meters],
    }
    gaps = [c["meter"] for c in data["curves"] if c["gaps"]]
    if gaps:
        data["note"] = (
            f"meters {', '.join(gaps)} sent nothing for part of the window: that time is "
            "unknown, not off, and is not counted in the episode"
        )
    if found.rule == "monitoring_offline":
        point = next(p for p in ctx.points if p.mn == found.subject)
        sent = rules.monitoring_spans(monitoring(session, point.id, start, end))
        last = session.scalar(
            select(Measurement.data_time)
            .where(Measurement.point_id == point.id, Measurement.data_time < found.start)
            .order_by(Measurement.data_time.desc())
            .limit(1)
        )
        data["monitoring"] = {
            "mn": point.mn,
            "last_data_before": last.isoformat() if last else None,
            "online": [[int(s.start.timestamp()), int(s.end.timestamp())] for s in sent],
        }
    return data


def description(ctx: Context, episode: PowerEpisode) -> str:
    """In Chinese, like the title (stored text, shown as written); times in China time."""
    e = ctx.enterprise
    if episode.rule == "treatment_idle":
        what = f"生产设施运行时治污设施 {episode.subject} {STATE_WORDS[episode.state]}"
    else:
        what = f"生产设施运行时在线监控点位 {episode.subject} 无数据"
    start, end = episode.start.astimezone(CHINA_TZ), episode.end.astimezone(CHINA_TZ)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return (
        f"{e.name}（{e.code}）：{what}，{start:%Y-%m-%d %H:%M} 至 {until}（北京时间），"
        f"共 {episode.minutes:g} 分钟。证据为时段前后 {int(rules.MARGIN.total_seconds() // 60)} "
        "分钟的用电曲线；电表无数据的时段按未知处理，不计入。"
    )


def finding_in(ctx: Context, episode: PowerEpisode, now: datetime) -> FindingIn:
    e = ctx.enterprise
    if episode.rule == "treatment_idle":
        facility = next(u for u in ctx.units if u.code == episode.subject)
        category = CATEGORY.get(facility.treats or "", "other")
        severity = "high" if episode.state == "off" else "medium"
    else:
        point = next(p for p in ctx.points if p.mn == episode.subject)
        category, severity = CATEGORY.get(point.medium, "other"), "medium"
    title = TITLES[episode.rule].format(
        name=e.name, subject=episode.subject, state=STATE_WORDS[episode.state]
    )
    return FindingIn(
        channel="power",
        category=category,
        lat=e.latitude,
        lon=e.longitude,
        region_id=e.region_id,
        observed_at=min(episode.start, now),
        title=title,
        description=description(ctx, episode),
        severity=severity,
        source_ref=f"power:{episode.id}",
        enterprise_id=e.id,
        match_key=f"power:{e.id}:{episode.rule}:{episode.subject}",
        data=dict(episode.facts),
    )
