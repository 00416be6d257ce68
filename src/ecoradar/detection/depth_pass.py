"""The periodic passes of the detection depth rules that look across days and points:
``cloned_stream`` (:mod:`ecoradar.detection.clones`, over the last ``CLONE_DAYS`` China days of
every enterprise point) and ``limit_bunching`` (:mod:`ecoradar.detection.bunching`, over the
last 28 China days). They run in the scheduler's pass once a new China day is complete, and at
the end of ``ecoradar ingest``. Time is the data's: the last complete China day before the
newest stored hour (never after the clock), so a replay of old data is judged like live data.
Alerts are written through :func:`ecoradar.detection.alerts.record_spans`: a re-run extends the
alerts it raised before, never doubles them.
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
from ecoradar.detection import bunching, clones
from ecoradar.detection.alerts import record_spans
from ecoradar.detection.daily import china_day, day_start
from ecoradar.detection.engine import PointSpan, load_configs
from ecoradar.detection.models import Alert
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, Reading, converted
from ecoradar.detection.runs import Span
from ecoradar.monitoring.models import Measurement
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

CLONE_DAYS = 3
"""China days the clone search looks at each time (a clone run longer than that keeps
extending the alert it raised)."""
DAY = timedelta(days=1)


@dataclass
class DepthPass:
    skipped: bool = False
    clones: int = 0
    bunching: int = 0

    @property
    def idle(self) -> bool:
        return self.skipped or not (self.clones or self.bunching)

    def __str__(self) -> str:
        return f"depth: {self.clones} cloned_stream alert(s), {self.bunching} limit_bunching"


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
    return configs, spans


def _counted(spans: list[PointSpan]) -> DepthPass:
    return DepthPass(
        clones=sum(1 for s in spans if s.span.kind == clones.KIND),
        bunching=sum(1 for s in spans if s.span.kind == bunching.KIND),
    )


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
