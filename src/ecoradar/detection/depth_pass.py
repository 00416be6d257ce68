"""The periodic passes of the detection depth rules that look across days and points:
``cloned_stream`` (:mod:`ecoradar.detection.clones`, over the last ``CLONE_DAYS`` China days of
every enterprise point), ``limit_bunching`` (:mod:`ecoradar.detection.bunching`, over the last
28 China days), and the three rules "beyond the contract" over the same 28 days
(:mod:`ecoradar.detection.beyond`): ``inspection_drop`` at the visits recorded in them
(risk-based inspections done, on-site findings of the problem register), ``dilution`` (with the
production meters' power where a meter relates to the point) and ``rounded_values`` (the last
``rounding.DAYS`` days judged). They run in the scheduler's pass once a new China day is
complete, and at the end of ``ecoradar ingest``. Time is the data's: the last complete China day
before the newest stored hour (never after the clock), so a replay of old data is judged like
live data. Alerts are written through :func:`ecoradar.detection.alerts.record_spans`: a re-run
extends the alerts it raised before, never doubles them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import ref

from sqlalchemy import func, or_, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.db import UTCDateTime
from ecoradar.core.periodic import Hourly
from ecoradar.detection import beyond, bunching, clones, dilution, inspection, rounding
from ecoradar.detection.alerts import record_spans
from ecoradar.detection.daily import china_day, day_start
from ecoradar.detection.engine import PointSpan, load_configs
from ecoradar.detection.models import Alert
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, Reading, converted
from ecoradar.detection.runs import Span
from ecoradar.inspections.models import Inspection
from ecoradar.monitoring.models import Measurement
from ecoradar.power.models import PowerMeter, PowerReading, PowerUnit
from ecoradar.problems.models import Finding, Problem
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

CLONE_DAYS = 3
"""China days the clone search looks at each time (a clone run longer than that keeps
extending the alert it raised)."""
DAY = timedelta(days=1)


ON_SITE = ("inspection", "department", "grid_worker")
"""Problem-register channels whose findings are observed on site (a visit)."""


@dataclass
class DepthPass:
    skipped: bool = False
    clones: int = 0
    bunching: int = 0
    inspection_drop: int = 0
    dilution: int = 0
    rounded: int = 0

    @property
    def idle(self) -> bool:
        return self.skipped or not (
            self.clones or self.bunching or self.inspection_drop or self.dilution or self.rounded
        )

    def __str__(self) -> str:
        text = f"depth: {self.clones} cloned_stream alert(s), {self.bunching} limit_bunching"
        extra = [
            f"{count} {kind}"
            for kind, count in (
                (inspection.KIND, self.inspection_drop),
                (dilution.KIND, self.dilution),
                (rounding.KIND, self.rounded),
            )
            if count
        ]
        return ", ".join([text, *extra])


class _Daily:
    """True once per new last complete China day for each container."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[ref[object], datetime]] = {}

    def due(self, box: object, day: datetime) -> bool:
        last = self._last.get(id(box))
        if last is not None and last[0]() is box and last[1] == day:
            return False
        self._last[id(box)] = (ref(box), day)
        return True


_daily = _Daily()
_hourly = Hourly()


def run_depth(box: Container, *, force: bool = False) -> DepthPass:
    """Both passes once a new China day is complete (``force``: whatever the day). The newest
    stored hour is looked up at most once per clock hour (the scheduler's pass comes every few
    seconds)."""
    if not force and not _hourly.due(box):
        return DepthPass(skipped=True)
    with box.reading() as session:
        end = last_complete_day(session, box.clock.now())
    if end is None or not (_daily.due(box, end) or force):
        return DepthPass(skipped=True)
    # the search reads weeks of every point's hours: it runs on a reading session, and only
    # what it found is written, so the other writers (the gateway, the web app) never wait
    # for the search
    with box.reading() as session:
        configs, spans = search(session=session, end=end)
    box.write(lambda session: record_spans(session, configs, spans, end), what="detection depth")
    return _counted(spans)


def last_complete_day(session: Session, now: datetime) -> datetime | None:
    """The end (China midnight) of the last complete China day of stored hourly data."""
    newest = session.scalar(
        select(type_coerce(func.max(Measurement.data_time), UTCDateTime())).where(
            Measurement.kind == "hour"
        )
    )
    if newest is None:
        return None
    newest = min(newest, now)
    last_hour = day_start(china_day(newest)) + timedelta(hours=23)
    return day_start(china_day(newest)) + (DAY if newest >= last_hour else timedelta(0))


def judge(*, session: Session, end: datetime, now: datetime | None = None) -> DepthPass:
    """Clones over ``[end - CLONE_DAYS, end)`` and bunching over ``[end - 28 d, end)``,
    recorded in ``session``."""
    configs, spans = search(session=session, end=end)
    record_spans(session, configs, spans, now or end)
    return _counted(spans)


def search(*, session: Session, end: datetime) -> tuple[dict[int, PointConfig], list[PointSpan]]:
    """What both rules find up to ``end`` (nothing written)."""
    configs = load_configs(session)
    start = end - timedelta(days=bunching.DAYS)
    records = stored_hours(session, list(configs), start, end)
    pinned = pinned_hours(session, start, end)
    spans = clone_spans(session, configs, records, end)
    spans += bunching_spans(configs, records, end, pinned)
    spans += beyond_spans(session, configs, records, start, end)
    return configs, spans


def _counted(spans: list[PointSpan]) -> DepthPass:
    def count(kind: str) -> int:
        return sum(1 for s in spans if s.span.kind == kind)

    return DepthPass(
        clones=count(clones.KIND),
        bunching=count(bunching.KIND),
        inspection_drop=count(inspection.KIND),
        dilution=count(dilution.KIND),
        rounded=count(rounding.KIND),
    )


def beyond_spans(
    session: Session,
    configs: dict[int, PointConfig],
    records: dict[int, list[HourRecord]],
    start: datetime,
    end: datetime,
) -> list[PointSpan]:
    """``inspection_drop``, ``dilution`` and ``rounded_values`` of every point over
    ``[start, end)``; rounded days judged over the last ``rounding.DAYS`` of them."""
    visits = point_visits(session, list(records), start, end)
    production = point_production(session, {configs[p].mn: p for p in records}, start, end)
    since = end - timedelta(days=rounding.DAYS)
    out = []
    for point_id, hours in records.items():
        for span in beyond.point_spans(
            configs[point_id],
            hours,
            visits=visits.get(point_id, []),
            production=production.get(point_id),
            rounded_since=since,
        ):
            out.append(PointSpan(point_id, span))
    return out


def point_visits(
    session: Session, point_ids: list[int], start: datetime, end: datetime
) -> dict[int, list[inspection.Visit]]:
    """The visits at each point's enterprise in ``[start, end)``: inspections of the draws done
    (the day their result was recorded), then on-site findings of the problem register."""
    enterprise_of = dict(
        session.execute(
            select(MonitoringPoint.id, Outlet.enterprise_id)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(MonitoringPoint.id.in_(point_ids))
        ).all()
    )
    found: dict[int, list[inspection.Visit]] = defaultdict(list)
    done = session.execute(
        select(Inspection.enterprise_id, Inspection.done_at, Inspection.id).where(
            Inspection.state == "done",
            Inspection.done_at >= start,
            Inspection.done_at < end,
        )
    )
    for enterprise_id, when, number in done:
        if when is not None:
            found[enterprise_id].append(inspection.Visit(china_day(when), "inspection", number))
    seen = session.execute(
        select(Problem.enterprise_id, Finding.observed_at, Finding.id)
        .join(Problem, Finding.problem_id == Problem.id)
        .where(
            Finding.channel.in_(ON_SITE),
            Problem.enterprise_id.is_not(None),
            Finding.observed_at >= start,
            Finding.observed_at < end,
        )
    )
    for owner, when, number in seen:
        if owner is not None:
            found[owner].append(inspection.Visit(china_day(when), "finding", number))
    return {p: found[e] for p, e in enterprise_of.items() if e in found}


def point_production(
    session: Session, mns: dict[str, int], start: datetime, end: datetime
) -> dict[int, dict[datetime, bool]]:
    """Per point, the hours its production meters tell: True when one runs (hourly mean at or
    above its running threshold), False when all are below their idle threshold; hours between
    are left to the flow."""
    meters = session.execute(
        select(PowerMeter.id, PowerMeter.points, PowerMeter.running_kw, PowerMeter.idle_kw)
        .join(PowerUnit, PowerMeter.unit_id == PowerUnit.id)
        .where(PowerUnit.kind == "production")
    ).all()
    related = {m[0]: [mns[mn] for mn in (m[1] or []) if mn in mns] for m in meters}
    related = {k: v for k, v in related.items() if v}
    if not related:
        return {}
    thresholds = {m[0]: (m[2], m[3]) for m in meters if m[0] in related}
    sums: dict[tuple[int, datetime], list[float]] = defaultdict(list)
    rows = session.execute(
        select(PowerReading.meter_id, PowerReading.at, PowerReading.kw).where(
            PowerReading.meter_id.in_(list(related)),
            PowerReading.at >= start,
            PowerReading.at < end,
        )
    )
    for meter_id, at, kw in rows:
        sums[(meter_id, at.replace(minute=0, second=0, microsecond=0))].append(kw)
    states: dict[tuple[int, datetime], list[str]] = defaultdict(list)
    for (meter_id, hour), kws in sums.items():
        running_kw, idle_kw = thresholds[meter_id]
        mean = sum(kws) / len(kws)
        state = "running" if mean >= running_kw else "low" if mean < idle_kw else "partial"
        for point_id in related[meter_id]:
            states[(point_id, hour)].append(state)
    out: dict[int, dict[datetime, bool]] = defaultdict(dict)
    for (point_id, hour), seen in states.items():
        if "running" in seen:
            out[point_id][hour] = True
        elif all(s == "low" for s in seen):
            out[point_id][hour] = False
    return dict(out)


def stored_hours(
    session: Session, point_ids: list[int], start: datetime, end: datetime
) -> dict[int, list[HourRecord]]:
    """Each point's hourly records in ``[start, end)``, oldest first."""
    out: dict[int, dict[datetime, HourRecord]] = defaultdict(dict)
    rows = session.execute(
        select(
            Measurement.point_id,
            Measurement.data_time,
            Measurement.factor,
            Measurement.avg,
            Measurement.zs_avg,
            Measurement.rtd,
            Measurement.flag,
        ).where(
            Measurement.point_id.in_(point_ids),
            Measurement.kind == "hour",
            Measurement.data_time >= start,
            Measurement.data_time < end,
            or_(Measurement.flag.is_(None), Measurement.flag.in_(("N", "F"))),
        )
    )
    for point_id, when, factor, avg, zs_avg, rtd, flag in rows:
        hours = out[point_id]
        record = hours.get(when) or hours.setdefault(when, HourRecord(when, {}))
        record.readings[factor] = Reading(avg, zs_avg, rtd, flag)
    return {p: [h[t] for t in sorted(h)] for p, h in out.items()}


def _compared(factor: FactorConfig, record: HourRecord) -> float | None:
    """The value compared with the limit (converted to the reference O2 where the point has
    one; a copier that copies ZsAvg and not O2 is found too), of a valid reading."""
    reading = record.readings.get(factor.code)
    if reading is None or not reading.valid:
        return None
    return converted(factor, reading, record)


def clone_spans(
    session: Session,
    configs: dict[int, PointConfig],
    records: dict[int, list[HourRecord]],
    end: datetime,
) -> list[PointSpan]:
    since = end - timedelta(days=CLONE_DAYS)
    series: dict[clones.SeriesKey, dict[datetime, float]] = defaultdict(dict)
    for point_id, hours in records.items():
        factors = configs[point_id].factors
        for record in hours:
            if record.data_time < since:
                continue
            for code, factor in factors.items():
                value = _compared(factor, record)
                if value is not None:
                    series[(point_id, code)][record.data_time] = value
    found = clones.find_clones(series, clones.windows(since, end))
    if not found:
        return []
    who = _who(session, {k[0] for c in found for k in (c.a, c.b)})
    spans = []
    for clone in found:
        for this, other in ((clone.a, clone.b), (clone.b, clone.a)):
            evidence = clones.evidence(clone, this, {**who[other[0]], "factor": other[1]})
            span = Span(clones.KIND, this[1], clone.start, clone.end, "high", evidence)
            spans.append(PointSpan(this[0], span))
    return spans


def _who(session: Session, point_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(MonitoringPoint.id, MonitoringPoint.mn, Enterprise.code, Enterprise.name)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
        .where(MonitoringPoint.id.in_(point_ids))
    )
    return {
        pid: {"point_id": pid, "mn": mn, "enterprise_code": code, "enterprise": name}
        for pid, mn, code, name in rows
    }


Pinned = dict[tuple[int, str], list[tuple[datetime, datetime | None]]]


def pinned_hours(session: Session, start: datetime, end: datetime) -> Pinned:
    """The ``near_limit_pinning`` alerts' stretches in ``[start, end)`` per point and factor."""
    rows = session.execute(
        select(Alert.point_id, Alert.factor, Alert.start, Alert.end).where(
            Alert.kind == "near_limit_pinning",
            Alert.start < end,
            or_(Alert.end.is_(None), Alert.end > start),
        )
    )
    out: Pinned = defaultdict(list)
    for point_id, factor, first, last in rows:
        out[(point_id, factor)].append((first, last))
    return out


def _outside(when: datetime, stretches: list[tuple[datetime, datetime | None]]) -> bool:
    return not any(a <= when and (b is None or when < b) for a, b in stretches)


def bunching_spans(
    configs: dict[int, PointConfig],
    records: dict[int, list[HourRecord]],
    end: datetime,
    pinned: Pinned | None = None,
) -> list[PointSpan]:
    """The bunching test of every point and limited factor over ``records``. Hours inside a
    ``near_limit_pinning`` alert (``pinned``) are left out: steered to the limit for a day or
    more, they are that alert's, and a second alert about them would say nothing new."""
    start = end - timedelta(days=bunching.DAYS)
    spans = []
    for point_id, hours in records.items():
        for code, factor in configs[point_id].factors.items():
            stretches = (pinned or {}).get((point_id, code), [])
            values = [
                v
                for v in (_compared(factor, r) for r in hours if _outside(r.data_time, stretches))
                if v is not None
            ]
            result = bunching.measure(values, factor.limit)
            if result is None or not bunching.bunches(result):
                continue
            evidence = {
                "rule": bunching.KIND,
                "limit": factor.limit,
                "parameters": {"days": bunching.DAYS, "p_value": bunching.P_VALUE},
                "window": {"start": start.isoformat(), "end": end.isoformat()},
                **result.evidence(),
            }
            span = Span(bunching.KIND, code, start, end, "high", evidence)
            spans.append(PointSpan(point_id, span))
    return spans
