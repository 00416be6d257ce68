"""The station rules' pass: each station's hours not judged yet go through ``stations.rules``,
and every episode becomes a finding on the ``station`` channel, located at the station.

A station's hours are judged once they are ``SETTLE`` (2 h) old — time for its neighbours'
packets of the same hour to arrive — and up to the newest hour it sent; ``evaluated_until``
remembers how far. A step judges at most ``CHUNK`` (31 days) of each station, so a replay of
years is judged in bounded units of work (``run_stations`` loops until nothing is left). Hours
that arrive after their time was judged (history recovered much later) are judged again first
(``stations.rejudge``).

Findings: ``source_ref`` ``station:<code>:<rule>:<factor>:<averaging>:<start>`` (one finding per
episode, however often it is seen) and ``match_key`` ``station:<code>:<rule>:<factor>:<averaging>``
(later episodes attach to the problem while it is open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.db import UTCDateTime
from ecoradar.hj212.codes import FACTORS
from ecoradar.monitoring.models import Measurement
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import Policy, load_policy
from ecoradar.regions.index import RegionIndex
from ecoradar.registry.models import MonitoringPoint
from ecoradar.stations import averages, rules
from ecoradar.stations.models import Station
from ecoradar.stations.rules import CONTEXT, DEFAULT_RISE, HOUR, Episode, RiseParams, Series
from ecoradar.stations.service import VALID_FLAGS
from ecoradar.stations.standards import UNITS, judged_factors, limits_for

SETTLE = timedelta(hours=2)
CHUNK = timedelta(days=31)
ACTOR = "system:stations"


@dataclass
class EvaluationReport:
    hours: int = 0
    """Station-hours judged."""
    findings: dict[str, int] = field(default_factory=dict)
    """Findings recorded, by rule (``exceedance``, ``sudden_rise``)."""
    more: bool = False
    """Some station has hours left to judge (another step is needed)."""

    @property
    def idle(self) -> bool:
        return not self.hours

    def add(self, other: EvaluationReport) -> None:
        self.hours += other.hours
        for rule, n in other.findings.items():
            self.findings[rule] = self.findings.get(rule, 0) + n
        self.more = other.more

    def __str__(self) -> str:
        found = ", ".join(f"{n} {rule}" for rule, n in sorted(self.findings.items())) or "none"
        return f"stations: {self.hours} station-hour(s) judged, findings: {found}"


def _hour_floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _bounds(session: Session) -> dict[int, tuple[datetime, datetime]]:
    """Each station point's oldest and newest hourly data time."""
    rows = session.execute(
        select(
            Measurement.point_id,
            type_coerce(func.min(Measurement.data_time), UTCDateTime()),
            type_coerce(func.max(Measurement.data_time), UTCDateTime()),
        )
        .join(MonitoringPoint, MonitoringPoint.id == Measurement.point_id)
        .where(MonitoringPoint.station_id.is_not(None), Measurement.kind == "hour")
        .group_by(Measurement.point_id)
    ).all()
    return {point: (first, last) for point, first, last in rows}


def _series(
    session: Session, stations: Sequence[Station], since: datetime, until: datetime
) -> dict[str, Series]:
    """The valid hourly values of ``stations`` in [since, until)."""
    by_point = {s.point.id: s for s in stations}
    hours: dict[str, dict[datetime, dict[str, float]]] = {s.code: {} for s in stations}
    wanted = {f for s in stations for f in judged_factors(s.kind)}
    rows = session.execute(
        select(
            Measurement.point_id,
            Measurement.data_time,
            Measurement.factor,
            Measurement.avg,
            Measurement.rtd,
            Measurement.flag,
        ).where(
            Measurement.point_id.in_(list(by_point)),
            Measurement.kind == "hour",
            Measurement.data_time >= since,
            Measurement.data_time < until,
            Measurement.factor.in_(sorted(wanted)),
        )
    )
    for point_id, when, factor, avg, rtd, flag in rows:
        value = avg if avg is not None else rtd
        if value is None or flag not in VALID_FLAGS or factor not in wanted:
            continue
        hours[by_point[point_id].code].setdefault(when, {})[factor] = value
    return {
        s.code: Series(s.code, s.kind, s.latitude, s.longitude, hours[s.code]) for s in stations
    }


def judge(
    session: Session,
    station: Station,
    stations: Sequence[Station],
    since: datetime,
    until: datetime,
    params: RiseParams = DEFAULT_RISE,
) -> tuple[Series, list[Episode]]:
    """The episodes of every rule at ``station`` beginning in [since, until) (years: ending in
    (since, until]), and the station's series read for them."""
    near = rules.neighbours(
        Series(station.code, station.kind, station.latitude, station.longitude, {}),
        (Series(s.code, s.kind, s.latitude, s.longitude, {}) for s in stations),
        params,
    )
    around = [s for s in stations if s.code in {n.code for n, _ in near}]
    series = _series(session, [station, *around], since - CONTEXT, until)
    own = series[station.code]
    limits = limits_for(station.kind, station.water_class)
    episodes = rules.exceedances(own, limits, since, until)
    episodes += averages.long_exceedances(own, limits, since, until)
    episodes += rules.sudden_rises(own, [series[s.code] for s in around], since, until, params)
    years = averages.year_ends(since, until)
    if years and any(limit.averaging == "year" for limit in limits):
        whole = _series(
            session,
            [station],
            averages.year_start(years[0]),
            averages.year_start(years[-1] + 1),
        )[station.code]
        episodes += averages.yearly_exceedances(whole, limits, since, until)
    return own, episodes


def evaluate_step(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    now: datetime,
    params: RiseParams = DEFAULT_RISE,
    actor: str = ACTOR,
) -> EvaluationReport:
    """Judge up to ``CHUNK`` of every station's unjudged hours, in the caller's transaction."""
    report = EvaluationReport()
    stations = list(session.scalars(select(Station).order_by(Station.code)))
    bounds = _bounds(session)
    settled = _hour_floor(now - SETTLE)
    for station in stations:
        known = bounds.get(station.point.id)
        if known is None:
            continue
        since = station.evaluated_until or known[0]
        until = min(settled, known[1] + HOUR)
        if since >= until:
            continue
        stop = min(until, since + CHUNK)
        own, episodes = judge(session, station, stations, since, stop, params)
        for episode in episodes:
            recorded = record_finding(
                session=session,
                index=index,
                item=finding_for(station, episode, now=now),
                now=now,
                actor=actor,
                policy=policy,
            )
            if not recorded.already_known:
                report.findings[episode.rule] = report.findings.get(episode.rule, 0) + 1
        report.hours += sum(1 for h in own.hours if since <= h < stop)
        station.evaluated_until = stop
        report.more = report.more or stop < until
    session.flush()
    return report


def run_stations(container: Container, *, params: RiseParams = DEFAULT_RISE) -> EvaluationReport:
    """Judge every station's settled hours: steps of ``CHUNK``, each its own unit of work."""
    total = EvaluationReport()

    def step(session: Session) -> EvaluationReport:
        return evaluate_step(
            session=session,
            index=container.regions.get(session),
            policy=load_policy(session=session, settings=container.settings),
            now=container.clock.now(),
            params=params,
        )

    from ecoradar.stations.rejudge import rejudge_step  # it builds on this module

    def late(session: Session) -> EvaluationReport:
        return rejudge_step(
            session=session,
            index=container.regions.get(session),
            policy=load_policy(session=session, settings=container.settings),
            now=container.clock.now(),
            params=params,
        )

    total.add(container.write(late, what="the station rules (late hours)"))
    while True:
        part = container.write(step, what="the station rules")
        total.add(part)
        if not part.more:
            return total


# --- findings ---------------------------------------------------------------------------------

_WHAT_ZH = {
    ("exceedance", "hour"): "小时值超过",
    ("exceedance", "day"): "日均值超过",
    ("exceedance", "8h"): "日最大8小时平均值超过",
    ("exceedance", "year"): "年均值超过",
    ("sudden_rise", "hour"): "突升，周边站点未同步上升",
}


def source_ref(station: Station, episode: Episode) -> str:
    start = episode.start.astimezone(CHINA_TZ).strftime("%Y%m%dT%H")
    return f"station:{station.code}:{episode.rule}:{episode.factor}:{episode.averaging}:{start}"


def match_key(station: Station, episode: Episode) -> str:
    return f"station:{station.code}:{episode.rule}:{episode.factor}:{episode.averaging}"


def _severity(episode: Episode) -> str:
    limit = episode.limit
    if limit is None or limit.high is None or limit.bound == "min":
        return "medium"
    return "high" if episode.peak >= 2 * limit.high else "medium"


_MEAN_EN = {
    "hour": "hourly value",
    "day": "daily mean",
    "8h": "daily maximum 8-hour mean",
    "year": "annual mean",
}


def reason(station: Station, episode: Episode) -> str:
    """The finding's reason in English (the title and description are Chinese)."""
    unit = UNITS.get(episode.factor, "")
    local = episode.start.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:00")
    if episode.rule == "exceedance" and episode.limit is not None:
        mean = _MEAN_EN[episode.averaging]
        return (
            f"{station.code} {episode.factor}: {mean} {episode.peak:g} {unit} beyond the "
            f"{episode.limit.standard} class {episode.limit.grade} limit "
            f"{episode.limit.shown} {unit} from {local} (China time)"
        )
    return (
        f"{station.code} {episode.factor}: rose to {episode.peak:g} {unit} from a 24-hour "
        f"median of {episode.evidence.get('baseline')} {unit} at {local} (China time) while "
        f"its neighbours did not"
    )


def finding_for(station: Station, episode: Episode, *, now: datetime) -> FindingIn:
    known = FACTORS.get(episode.factor)
    name = known.name_zh if known else episode.factor
    unit = UNITS.get(episode.factor, "")
    local = episode.start.astimezone(CHINA_TZ)
    what = _WHAT_ZH[(episode.rule, episode.averaging)]
    if episode.rule == "exceedance" and episode.limit is not None:
        title = f"{station.name}：{name}{what}{episode.limit.standard}限值"
        description = (
            f"{station.name}（{station.code}）{local:%Y-%m-%d %H}时起{name}{what}"
            f"{episode.limit.standard}（{episode.limit.grade}类）限值"
            f"{episode.limit.shown}{unit}，最高{episode.peak:g}{unit}。"
        )
    else:
        title = f"{station.name}：{name}{what}"
        description = (
            f"{station.name}（{station.code}）{local:%Y-%m-%d %H}时{name}升至"
            f"{episode.peak:g}{unit}（此前24小时中位数{episode.evidence.get('baseline')}{unit}），"
            f"周边站点未同步上升。"
        )
    data: dict[str, Any] = {
        "station": station.code,
        "kind": station.kind,
        "mn": station.point.mn,
        "rule": episode.rule,
        "factor": episode.factor,
        "unit": unit,
        "averaging": episode.averaging,
        "start": episode.start.isoformat(),
        "end": episode.end.isoformat(),
        "peak": episode.peak,
        "values": [[t.isoformat(), v] for t, v in episode.values[:48]],
        "reason": reason(station, episode),
    }
    if episode.limit is not None:
        data["limit"] = {
            "standard": episode.limit.standard,
            "grade": episode.limit.grade,
            "bound": episode.limit.bound,
            "low": episode.limit.low,
            "high": episode.limit.high,
        }
    data.update(episode.evidence)
    return FindingIn(
        channel="station",
        category="air" if station.kind == "air" else "water",
        lat=station.latitude,
        lon=station.longitude,
        region_id=station.region_id,
        observed_at=min(episode.start, now),
        title=title[:200],
        description=description,
        severity=_severity(episode),
        source_ref=source_ref(station, episode),
        point_id=station.point.id,
        match_key=match_key(station, episode),
        data=data,
    )
