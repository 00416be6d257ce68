"""The per-packet part of the streaming engine (pure, compiled with the detector fold): every
point's state, the hours recently sent, the clock of replayed data, and the fold of a batch's
packets once the state of their points is loaded. :mod:`ecoradar.detection.engine` adds what
reads and writes the database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.params import HourRecord, PointConfig, Reading
from ecoradar.detection.runs import HOUR, Span

ROW_FACTOR, ROW_RTD, ROW_AVG, ROW_ZS_AVG, ROW_FLAG = 1, 4, 5, 9, 13
"""Positions in a measurement row (``ecoradar.monitoring.intake.ROW_*``; a test checks)."""
RECENT_HOURS = 48
RECENT = timedelta(hours=RECENT_HOURS)
"""Hours remembered as sent, to tell an identical retransmission from a changed one."""


@dataclass(frozen=True)
class PointSpan:
    point_id: int
    span: Span


@dataclass(frozen=True)
class PacketHours:
    """The hourly values one packet brought for one point (``rows`` of kind ``hour``)."""

    point_id: int
    data_time: datetime
    received_at: datetime
    rows: Sequence[tuple[Any, ...]]
    """Measurement rows (``ecoradar.monitoring.intake.MeasurementRow``; on SQLite their
    times are text already: only the factor and values are read here)."""


@dataclass
class Folded:
    """A batch folded into the state (:meth:`Stream.fold`), its alerts not written."""

    verdicts: list[str] = field(default_factory=list)
    """Per packet: "" or the reason it is quarantined."""
    spans: list[PointSpan] = field(default_factory=list)
    late: dict[int, list[HourRecord]] = field(default_factory=dict)
    """Per point, hours older than its newest one folded (refolded when written)."""
    records: dict[int, list[HourRecord]] = field(default_factory=dict)
    """Per point, the hours folded."""


def hour_record(hours: PacketHours) -> HourRecord:
    """The hour a packet brought, as the fold reads it."""
    return HourRecord(
        hours.data_time,
        {
            r[ROW_FACTOR]: Reading(r[ROW_AVG], r[ROW_ZS_AVG], r[ROW_RTD], r[ROW_FLAG])
            for r in hours.rows
        },
    )


class ReplayClock:
    """ "Now" of replayed data: the latest hour seen, overall and from every other device.

    A packet is in the future when its DataTime is more than an hour and 10 minutes past both
    its own device's latest hour and the latest hour any *other* device has reached: a device
    back after an outage (the others went on meanwhile) and a device still sending while
    another is silent are not mistaken for a clock running ahead. The newest hours of the two
    newest devices are kept, so each check is O(1).
    """

    def __init__(self) -> None:
        self.loaded = False
        self.last: dict[int, datetime] = {}
        self._first: tuple[datetime, int] | None = None
        self._second: tuple[datetime, int] | None = None

    @property
    def now(self) -> datetime | None:
        return self._first[0] if self._first else None

    def saw(self, point_id: int, when: datetime) -> None:
        if when <= self.last.get(point_id, when - HOUR):
            return
        self.last[point_id] = when
        first, second = self._first, self._second
        if first is None or when > first[0]:
            if first is not None and first[1] != point_id:
                self._second = first
            self._first = (when, point_id)
        elif point_id != first[1] and (second is None or when > second[0]):
            self._second = (when, point_id)

    def others(self, point_id: int) -> datetime | None:
        """The newest hour of any device but ``point_id``."""
        if self._first is None:
            return None
        if self._first[1] != point_id:
            return self._first[0]
        return self._second[0] if self._second else None


class Stream:
    """Detector state for every point, kept between batches of one process."""

    def __init__(self, configs: dict[int, PointConfig], mode: str) -> None:
        self.configs = configs
        self.mode = mode
        """``live`` (the gateway) or ``replay`` (``ecoradar ingest``)."""
        self.states: dict[int, PointState] = {}
        self.recent: dict[int, dict[datetime, HourRecord]] = {}
        self.clock = ReplayClock()

    def fold(self, packets: list[PacketHours], lookahead: Sequence[PacketHours]) -> Folded:
        """Fold the packets of points whose state is loaded; the others are left alone."""
        folded = Folded()
        verdicts, spans, late, records = folded.verdicts, folded.spans, folded.late, folded.records
        for position, hours in enumerate(packets):
            state = self.states.get(hours.point_id)
            if state is None:
                verdicts.append("")
                continue
            record = hour_record(hours)
            if self.in_future(hours) and not self.confirmed(
                hours, itertools.islice(packets, position + 1, None), lookahead
            ):
                spans.append(PointSpan(hours.point_id, future_span(state.config, hours, self)))
                verdicts.append("future_datatime")
                continue
            verdicts.append("")
            self.clock.saw(hours.point_id, hours.data_time)
            records.setdefault(hours.point_id, []).append(record)
            spans += self.fold_record(state, record, late)
        return folded

    def fold_record(
        self, state: PointState, record: HourRecord, late: dict[int, list[HourRecord]]
    ) -> list[PointSpan]:
        point_id = state.config.point_id
        recent = self.recent.setdefault(point_id, {})
        if state.last is None or record.data_time > state.last:
            recent[record.data_time] = record
            if len(recent) > 2 * RECENT_HOURS:
                for old in [t for t in recent if t < record.data_time - RECENT]:
                    del recent[old]
            spans = update(state, record)
            return [PointSpan(point_id, s) for s in spans] if spans else []
        known = recent.get(record.data_time)
        if known is not None:
            if known.readings != record.readings:
                return [PointSpan(point_id, changed_span(state.config, known, record))]
            return []
        late.setdefault(point_id, []).append(record)
        return []

    def confirmed(
        self,
        hours: PacketHours,
        following: Iterable[PacketHours],
        lookahead: Sequence[PacketHours],
    ) -> bool:
        """In a replay, a jump ahead that other devices make right after it is everyone
        coming back from an outage, not one clock running ahead: look at the next packets of
        the capture (about two rounds of every device) for other devices at that time — a
        quarter of the fleet, at most 3, at least 1 (two clocks ahead together are still two
        clocks ahead)."""
        if self.mode == "live":
            return False
        params = self.configs[hours.point_id].params
        margin = HOUR + timedelta(minutes=params.future_tolerance_minutes)
        devices = len(self.clock.last)
        needed = max(1, min(3, devices // 4))
        seen: set[int] = set()
        for other in itertools.islice(itertools.chain(following, lookahead), max(4, 2 * devices)):
            if (
                other.point_id != hours.point_id
                and abs(other.data_time - hours.data_time) <= margin
            ):
                seen.add(other.point_id)
                if len(seen) >= needed:
                    return True
        return False

    def in_future(self, hours: PacketHours) -> bool:
        state = self.states[hours.point_id]
        tolerance = timedelta(minutes=state.config.params.future_tolerance_minutes)
        if self.mode == "live":
            return hours.data_time > hours.received_at + tolerance
        ahead = HOUR + tolerance
        others = self.clock.others(hours.point_id)
        own = self.clock.last.get(hours.point_id)
        return (
            others is not None
            and hours.data_time > others + ahead
            and (own is None or hours.data_time > own + ahead)
        )


def future_span(config: PointConfig, hours: PacketHours, stream: Stream) -> Span:
    reference = hours.received_at if stream.mode == "live" else stream.clock.others(hours.point_id)
    return Span(
        "time_anomaly",
        "",
        hours.data_time,
        hours.data_time + HOUR,
        "high",
        {
            "rule": "time_anomaly",
            "condition": "datatime_in_future",
            "parameters": {"tolerance_minutes": config.params.future_tolerance_minutes},
            "data_time": hours.data_time.isoformat(),
            "reference_now": reference.isoformat() if reference else None,
            "reference": "clock" if stream.mode == "live" else "latest DataTime seen",
        },
    )


def changed_span(config: PointConfig, known: HourRecord, record: HourRecord) -> Span:
    changed = {
        code: {"first": _reading(known.readings.get(code)), "again": _reading(reading)}
        for code, reading in record.readings.items()
        if known.readings.get(code) != reading
    }
    return Span(
        "time_anomaly",
        "",
        record.data_time,
        record.data_time + HOUR,
        "high",
        {
            "rule": "time_anomaly",
            "condition": "retransmission_changed",
            "data_time": record.data_time.isoformat(),
            "changed": changed,
        },
    )


def _reading(reading: Reading | None) -> dict[str, object] | None:
    if reading is None:
        return None
    return {"avg": reading.avg, "zs_avg": reading.zs_avg, "rtd": reading.rtd, "flag": reading.flag}
