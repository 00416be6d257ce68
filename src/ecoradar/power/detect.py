"""The power rules run over stored curves: incrementally after readings arrive (the time
they cover, with ``rules.LOOKBACK`` of history), or as a batch over any stretch of history.

Each episode is stored once (``power_episodes``; one found again, or longer, updates the stored
one), and becomes one finding of the ``power`` channel (``source_ref`` ``power:<episode id>``)
with both curves as evidence; findings about the same facility or point share a
``match_key``, so they attach to its open problem.
"""

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
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Finding
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

ACTOR = "system:power"
CATEGORY = {"gas": "air", "water": "water"}
TITLES = {
    "treatment_idle": "{name}：治污设施 {subject} {state}，生产设施运行中",
    "monitoring_offline": "{name}：生产设施运行，在线监控 {subject} 无数据",
}
STATE_WORDS = {"off": "停运", "idle": "怠速", "silent": "无数据"}


@dataclass
class Report:
    episodes: int = 0
    new: int = 0
    grown: int = 0
    findings: int = 0


@dataclass(frozen=True)
class _Point:
    id: int
    mn: str
    medium: str


@dataclass
class _Context:
    enterprise: Enterprise
    units: list[PowerUnit]
    meters: list[PowerMeter]
    points: list[_Point]

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


def _context(session: Session, enterprise_id: int) -> _Context | None:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        return None
    units = list(session.scalars(select(PowerUnit).where(PowerUnit.enterprise_id == enterprise_id)))
    meters = list(
        session.scalars(select(PowerMeter).where(PowerMeter.enterprise_id == enterprise_id))
    )
    points = [
        _Point(*row)
        for row in session.execute(
            select(MonitoringPoint.id, MonitoringPoint.mn, MonitoringPoint.medium)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(Outlet.enterprise_id == enterprise_id)
        )
    ]
    return _Context(enterprise, units, meters, points)


def _monitoring(
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


def detect(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    enterprise_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Report:
    """Judge the enterprise's curves over [start - LOOKBACK, end); store what is found."""
    report = Report()
    ctx = _context(session, enterprise_id)
    if ctx is None or ctx.enterprise.region_id is None or not ctx.meters:
        return report
    begin = start - rules.LOOKBACK
    hold = max(timedelta(seconds=m.interval_s * rules.GAP_FACTOR) for m in ctx.meters)
    stop = end + hold
    curves = samples(session, [m.id for m in ctx.meters], begin - hold, stop)
    spans = {m.id: rules.meter_spans(as_rule_meter(m), curves[m.id]) for m in ctx.meters}
    found: list[rules.Found] = []
    production_codes = [u.code for u in ctx.units if u.kind == "production"]
    for facility in (u for u in ctx.units if u.kind == "treatment"):
        made = ctx.production(list(facility.serves) or production_codes)
        mine = [m for m in ctx.meters if m.unit_id == facility.id]
        found += rules.treatment_idle(
            facility.code,
            [spans[m.id] for m in made],
            [spans[m.id] for m in mine],
            begin,
            stop,
        )
    settled = min(stop, now - rules.MONITORING_SETTLE)
    for point in ctx.points:
        made = ctx.for_point(point.mn)
        online = rules.monitoring_spans(_monitoring(session, point.id, begin, settled))
        found += rules.monitoring_offline(
            point.mn, [spans[m.id] for m in made], online, begin, settled
        )
    for item in found:
        _keep(session, index, policy, ctx, item, now, report)
    return report


def _keep(
    session: Session,
    index: RegionIndex,
    policy: Policy,
    ctx: _Context,
    item: rules.Found,
    now: datetime,
    report: Report,
) -> None:
    enterprise = ctx.enterprise
    stored = session.scalars(
        select(PowerEpisode)
        .where(
            PowerEpisode.enterprise_id == enterprise.id,
            PowerEpisode.rule == item.rule,
            PowerEpisode.subject == item.subject,
            PowerEpisode.start <= item.end,
            PowerEpisode.end >= item.start,
        )
        .order_by(PowerEpisode.start)
    ).first()
    report.episodes += 1
    if stored is None:
        whole = item
    else:
        whole = rules.Found(
            item.rule,
            item.subject,
            min(stored.start, item.start),
            max(stored.end, item.end),
            "idle" if "idle" in (item.state, stored.state) else item.state,
        )
        if (whole.start, whole.end, whole.state) == (stored.start, stored.end, stored.state):
            return
    facts = evidence(session, ctx, whole)
    if stored is None:
        stored = PowerEpisode(
            enterprise_id=enterprise.id, rule=item.rule, subject=item.subject, detected_at=now
        )
        session.add(stored)
        report.new += 1
    else:
        report.grown += 1
    stored.start, stored.end, stored.state = whole.start, whole.end, whole.state
    stored.minutes = round(whole.minutes, 1)
    stored.facts = facts
    stored.updated_at = now
    session.flush()
    stored.facts = {**stored.facts, "episode_id": stored.id}
    if stored.finding_id is None:
        recorded = record_finding(
            session=session,
            index=index,
            item=_finding(ctx, stored, now),
            now=now,
            actor=ACTOR,
            policy=policy,
        )
        stored.finding_id = recorded.finding.id
        report.findings += 0 if recorded.already_known else 1
    else:
        finding = session.get(Finding, stored.finding_id)
        if finding is not None:
            finding.data = dict(stored.facts)
            finding.description = _description(ctx, stored)
    session.flush()


def _involved(ctx: _Context, rule: str, subject: str) -> list[PowerMeter]:
    if rule == "monitoring_offline":
        return ctx.for_point(subject)
    facility = next(u for u in ctx.units if u.code == subject and u.kind == "treatment")
    production_codes = [u.code for u in ctx.units if u.kind == "production"]
    made = ctx.production(list(facility.serves) or production_codes)
    return made + [m for m in ctx.meters if m.unit_id == facility.id]


def evidence(session: Session, ctx: _Context, found: rules.Found) -> dict[str, Any]:
    """What a finding shows: the episode, and the curves of every meter involved over the
    episode and ``rules.MARGIN`` either side (with their unknown stretches)."""
    start, end = rules.window(found)
    involved = _involved(ctx, found.rule, found.subject)
    hold = max(timedelta(seconds=m.interval_s * rules.GAP_FACTOR) for m in involved)
    curves = samples(session, [m.id for m in involved], start - hold, end)
    data: dict[str, Any] = {
        "rule": found.rule,
        "subject": found.subject,
        "state": found.state,
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "minutes": round(found.minutes, 1),
        "min_minutes": rules.MIN_EPISODE.total_seconds() / 60,
        "window": [start.isoformat(), end.isoformat()],
        "curves": [rules.curve(as_rule_meter(m), curves[m.id], start, end) for m in involved],
    }
    gaps = [c["meter"] for c in data["curves"] if c["gaps"]]
    if gaps:
        data["note"] = (
            f"meters {', '.join(gaps)} sent nothing for part of the window: that time is "
            "unknown, not off, and is not counted in the episode"
        )
    if found.rule == "monitoring_offline":
        point = next(p for p in ctx.points if p.mn == found.subject)
        sent = rules.monitoring_spans(_monitoring(session, point.id, start, end))
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


def _description(ctx: _Context, episode: PowerEpisode) -> str:
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


def _finding(ctx: _Context, episode: PowerEpisode, now: datetime) -> FindingIn:
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
        description=_description(ctx, episode),
        severity=severity,
        source_ref=f"power:{episode.id}",
        enterprise_id=e.id,
        match_key=f"power:{e.id}:{episode.rule}:{episode.subject}",
        data=dict(episode.facts),
    )


def detect_ranges(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    ranges: dict[int, tuple[datetime, datetime]],
    now: datetime,
) -> Report:
    """``detect`` for each enterprise over the time its new readings cover."""
    total = Report()
    for enterprise_id, (start, end) in sorted(ranges.items()):
        part = detect(
            session=session,
            index=index,
            policy=policy,
            enterprise_id=enterprise_id,
            start=start,
            end=end,
            now=now,
        )
        total.episodes += part.episodes
        total.new += part.new
        total.grown += part.grown
        total.findings += part.findings
    return total
