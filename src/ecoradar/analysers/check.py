"""The ``parameter_tampering`` check over stored parameter histories and hourly values (the
rule itself is pure: ``ecoradar.detection.tampering``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.analysers.models import AnalyserParameter
from ecoradar.bootstrap import Container
from ecoradar.detection.alerts import record_spans
from ecoradar.detection.engine import PointSpan
from ecoradar.detection.models import Alert
from ecoradar.detection.tampering import KIND, READING_WINDOW, HourValue, ParamRecord, detect
from ecoradar.monitoring.models import Measurement

LOOKBACK = timedelta(days=14)
"""Parameter records read back from the newest when a new one arrives: a change is judged again
with every later record (its readings fill in), for two weeks."""

Key = tuple[int, str]
"""(point id, factor)."""


def detect_tampering(*, session: Session, keys: Iterable[Key], now: datetime) -> list[Alert]:
    """Judge the recent parameter history of each (point, factor) and record its alerts."""
    spans: list[PointSpan] = []
    for point_id, factor in sorted(set(keys)):
        records = _records(session, point_id, factor)
        if len(records) < 2:
            continue
        hours = _hours(session, point_id, factor, records[0].at, records[-1].at)
        spans += [PointSpan(point_id, span) for span in detect(records, hours, factor)]
    return record_spans(session, {}, spans, now) if spans else []


def _records(session: Session, point_id: int, factor: str) -> list[ParamRecord]:
    newest = session.scalar(
        select(AnalyserParameter.data_time)
        .where(AnalyserParameter.point_id == point_id, AnalyserParameter.factor == factor)
        .order_by(AnalyserParameter.data_time.desc())
        .limit(1)
    )
    if newest is None:
        return []
    where = (AnalyserParameter.point_id == point_id, AnalyserParameter.factor == factor)
    recent = list(
        session.execute(
            select(*_FIELDS).where(*where, AnalyserParameter.data_time >= newest - LOOKBACK)
        )
    )
    before = session.execute(  # the record the oldest recent one is compared with
        select(*_FIELDS)
        .where(*where, AnalyserParameter.data_time < newest - LOOKBACK)
        .order_by(AnalyserParameter.data_time.desc())
        .limit(1)
    ).first()
    rows = ([before] if before is not None else []) + recent
    records = [ParamRecord(*row) for row in rows]
    return sorted(records, key=lambda r: r.at)


_FIELDS = (
    AnalyserParameter.data_time,
    AnalyserParameter.range_value,
    AnalyserParameter.calibrated_at,
    AnalyserParameter.intercept,
    AnalyserParameter.slope,
)


def _hours(
    session: Session, point_id: int, factor: str, first: datetime, last: datetime
) -> list[HourValue]:
    rows = session.execute(
        select(Measurement.data_time, Measurement.avg, Measurement.flag)
        .where(
            Measurement.point_id == point_id,
            Measurement.kind == "hour",
            Measurement.data_time >= first - READING_WINDOW,
            Measurement.data_time < last + READING_WINDOW,
            Measurement.factor == factor,
        )
        .order_by(Measurement.data_time)
    )
    return [HourValue(at, value, flag) for at, value, flag in rows]


@dataclass
class TamperingPass:
    """What the scheduler's pass did: open medium alerts re-judged as readings came in."""

    rejudged: int = 0
    high: int = 0

    @property
    def idle(self) -> bool:
        return self.rejudged == 0

    def __str__(self) -> str:
        return f"parameter tampering: {self.rejudged} re-judged, {self.high} confirmed by readings"


def rejudge_open(*, session: Session, now: datetime) -> TamperingPass:
    """Judge again the analysers with an open ``parameter_tampering`` alert of medium severity
    (readings pending or not following): hourly values arrive between the daily parameter
    uploads, and a device that stops reporting its parameters would leave them unjudged."""
    open_alerts = session.execute(
        select(Alert.point_id, Alert.factor).where(
            Alert.kind == KIND, Alert.end.is_(None), Alert.severity == "medium"
        )
    )
    keys = {(point_id, factor) for point_id, factor in open_alerts}
    touched = detect_tampering(session=session, keys=keys, now=now)
    return TamperingPass(len(keys), sum(1 for a in touched if a.severity == "high"))


def run_tampering(container: Container) -> TamperingPass:
    """The scheduler's pass (``ecoradar.problems.scheduler.run_once``), one unit of work."""
    return container.write(
        lambda session: rejudge_open(session=session, now=container.clock.now()),
        what="the parameter tampering pass",
    )
