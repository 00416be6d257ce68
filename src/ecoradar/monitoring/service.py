"""Monitoring: take frames in (gateway and replay share this path), query series, export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.db import UTCDateTime
from ecoradar.core.errors import NotFoundError
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.reassembly import Reassembler
from ecoradar.monitoring.intake import Device, Outcome, Verdict, assess, measurement_rows
from ecoradar.monitoring.models import VALUE_FIELDS, Measurement, RawPacket
from ecoradar.monitoring.store import BatchResult, Received, load_directory, write_batch
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

DEFAULT_BATCH = 2000


@dataclass
class IntakeSummary:
    """What happened to a run of frames: counts by outcome and by refusal reason."""

    packets: int = 0
    rows_offered: int = 0
    rows_inserted: int = 0
    bad_values: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, result: BatchResult, verdicts: Sequence[Verdict]) -> None:
        self.packets += result.packets
        self.rows_offered += result.rows_offered
        self.rows_inserted += result.rows_inserted
        self.outcomes.update(result.outcomes)
        for verdict in verdicts:
            self.bad_values += verdict.bad_values
            if verdict.reason:
                self.reasons[verdict.reason] += 1

    @property
    def duplicates(self) -> int:
        """Values not stored because the same point, factor, kind and time was already there."""
        return self.rows_offered - self.rows_inserted


class Intake:
    """Judges frames against the registry and writes them in batches, durably.

    Split messages (Flag D) are joined per device before their values are stored; each part is
    archived as it comes.
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self.reassembler = Reassembler()
        with container.transaction() as session:
            self.directory: dict[str, Device] = load_directory(session)

    def reload_directory(self) -> None:
        with self.container.transaction() as session:
            self.directory = load_directory(session)

    def judge(self, frame: bytes, peer: str, received_at: datetime) -> Received:
        verdict = assess(frame, self.directory, received_at)
        packet = verdict.packet
        device = verdict.device
        if device is not None and packet is not None and packet.is_split:
            try:
                whole = self.reassembler.add(packet)
            except HJ212Error as exc:
                verdict = replace(
                    verdict, outcome="refused", reason=exc.reason.value, detail=exc.detail
                )
            else:
                if whole is None:
                    verdict = replace(verdict, outcome="message", rows=[])
                else:
                    rows, bad = measurement_rows(whole, device.point_id, received_at)
                    outcome: Outcome = "stored" if rows else "message"
                    verdict = replace(verdict, outcome=outcome, rows=rows, bad_values=bad)
        return Received(frame, peer, received_at, verdict)

    def write(self, batch: Sequence[Received]) -> BatchResult:
        """Store ``batch`` in one transaction; when this returns, the batch is durable."""
        with self.container.transaction() as session:
            return write_batch(session, batch)

    def run(
        self,
        frames: Iterable[tuple[bytes, str]],
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[int], object] | None = None,
    ) -> IntakeSummary:
        """Judge and store ``(frame, peer)`` pairs in order, ``batch_size`` per transaction;
        ``progress(n)`` after each batch. When this returns, every frame is durably stored."""
        summary = IntakeSummary()
        clock = self.container.clock
        for chunk in _chunks(frames, batch_size):
            batch = [self.judge(frame, peer, clock.now()) for frame, peer in chunk]
            summary.add(self.write(batch), [r.verdict for r in batch])
            if progress is not None:
                progress(len(batch))
        return summary


def _chunks(frames: Iterable[tuple[bytes, str]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    chunk: list[tuple[bytes, str]] = []
    for item in frames:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def point_by_mn(*, session: Session, mn: str) -> MonitoringPoint:
    point = session.scalar(select(MonitoringPoint).where(MonitoringPoint.mn == mn))
    if point is None:
        raise NotFoundError(f"no monitoring point with MN {mn!r}")
    return point


def measurements(
    *,
    session: Session,
    mn: str,
    since: datetime | None = None,
    until: datetime | None = None,
    factor: str | None = None,
    kind: str | None = None,
) -> Iterator[Measurement]:
    """A point's stored values in time order (``since`` inclusive, ``until`` exclusive)."""
    point = point_by_mn(session=session, mn=mn)
    query = select(Measurement).where(Measurement.point_id == point.id)
    if since is not None:
        query = query.where(Measurement.data_time >= since)
    if until is not None:
        query = query.where(Measurement.data_time < until)
    if factor is not None:
        query = query.where(Measurement.factor == factor)
    if kind is not None:
        query = query.where(Measurement.kind == kind)
    query = query.order_by(Measurement.data_time, Measurement.factor, Measurement.kind)
    yield from session.scalars(query.execution_options(yield_per=5000))


@dataclass(frozen=True)
class Aggregate:
    factor: str
    kind: str
    count: int
    valid: int
    mean: float | None
    minimum: float | None
    maximum: float | None
    first: datetime | None
    last: datetime | None


def aggregates(
    *,
    session: Session,
    mn: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Aggregate]:
    """Per factor and kind over a time range: counts, valid (flag N) count, mean/min/max of Avg
    (Rtd for real-time values), first and last data time."""
    point = point_by_mn(session=session, mn=mn)
    value = func.coalesce(Measurement.avg, Measurement.rtd)
    query = select(
        Measurement.factor,
        Measurement.kind,
        func.count(),
        func.count().filter(Measurement.flag == "N"),
        func.avg(value),
        func.min(value),
        func.max(value),
        type_coerce(func.min(Measurement.data_time), UTCDateTime()),
        type_coerce(func.max(Measurement.data_time), UTCDateTime()),
    ).where(Measurement.point_id == point.id)
    if since is not None:
        query = query.where(Measurement.data_time >= since)
    if until is not None:
        query = query.where(Measurement.data_time < until)
    query = query.group_by(Measurement.factor, Measurement.kind).order_by(
        Measurement.factor, Measurement.kind
    )
    result = []
    for factor, kind, count, valid, mean, low, high, first, last in session.execute(query):
        first_time = Measurement.data_time.type.process_result_value(first, session.bind.dialect)  # type: ignore[union-attr]
        last_time = Measurement.data_time.type.process_result_value(last, session.bind.dialect)  # type: ignore[union-attr]
        result.append(Aggregate(factor, kind, count, valid, mean, low, high, first_time, last_time))
    return result


def export_record(measurement: Measurement, mn: str) -> dict[str, Any]:
    """One row of ``ecoradar measurements export``."""
    record: dict[str, Any] = {
        "mn": mn,
        "factor": measurement.factor,
        "kind": measurement.kind,
        "data_time": measurement.data_time.astimezone(CHINA_TZ).isoformat(),
    }
    for name in VALUE_FIELDS:
        record[name] = getattr(measurement, name)
    record["flag"] = measurement.flag
    record["received_at"] = measurement.received_at.astimezone(CHINA_TZ).isoformat()
    return record


@dataclass(frozen=True)
class UnknownDevice:
    mn: str
    packets: int
    first_seen: datetime
    last_seen: datetime
    last_peer: str


def unknown_devices(*, session: Session) -> list[UnknownDevice]:
    """MNs that sent packets but are not in the registry, most recent first."""
    rows = session.execute(
        select(
            RawPacket.mn,
            func.count(),
            type_coerce(func.min(RawPacket.received_at), UTCDateTime()),
            type_coerce(func.max(RawPacket.received_at), UTCDateTime()),
            func.max(RawPacket.peer),
        )
        .where(RawPacket.outcome == "unknown_device", RawPacket.mn.is_not(None))
        .group_by(RawPacket.mn)
    ).all()
    devices = [UnknownDevice(str(mn), n, first, last, peer) for mn, n, first, last, peer in rows]
    return sorted(devices, key=lambda d: d.last_seen, reverse=True)


def counters(*, session: Session) -> dict[str, Any]:
    """Packets by outcome and refusal reason, overall and per device (MN)."""
    by_outcome = dict(
        session.execute(select(RawPacket.outcome, func.count()).group_by(RawPacket.outcome)).all()
    )
    by_reason = dict(
        session.execute(
            select(RawPacket.reason, func.count())
            .where(RawPacket.reason.is_not(None))
            .group_by(RawPacket.reason)
        ).all()
    )
    per_device: dict[str, dict[str, int]] = {}
    for mn, outcome, count in session.execute(
        select(RawPacket.mn, RawPacket.outcome, func.count())
        .where(RawPacket.mn.is_not(None))
        .group_by(RawPacket.mn, RawPacket.outcome)
    ):
        per_device.setdefault(str(mn), {})[outcome] = count
    return {"by_outcome": by_outcome, "by_reason": by_reason, "per_device": per_device}


def enterprise_of_point(*, session: Session, point_id: int) -> str:
    code = session.scalar(
        select(Enterprise.code)
        .join(Outlet, Outlet.enterprise_id == Enterprise.id)
        .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
        .where(MonitoringPoint.id == point_id)
    )
    return code or ""
