"""Monitoring queries: a point's values and aggregates, device activity, unknown devices,
counters, and the export rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.db import UTCDateTime
from ecoradar.core.errors import NotFoundError
from ecoradar.monitoring.models import (
    KINDS,
    UNKNOWN_DEVICE,
    VALUE_FIELDS,
    Measurement,
    RawPacket,
)
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet


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
    ).where(Measurement.point_id == point.id, Measurement.kind.in_(KINDS))  # the key's order
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
    record["derived"] = measurement.derived
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
        .where(text(UNKNOWN_DEVICE), RawPacket.mn.is_not(None))
        .group_by(RawPacket.mn)
    ).all()
    devices = [UnknownDevice(str(mn), n, first, last, peer) for mn, n, first, last, peer in rows]
    return sorted(devices, key=lambda d: d.last_seen, reverse=True)


def counters(*, session: Session, per_device: bool = True) -> dict[str, Any]:
    """Packets by outcome and refusal reason, overall and (``per_device``) per device (MN).
    Each is a pass over the archive's indexes: a page that shows no device's counts leaves
    ``per_device`` out."""
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
    devices: dict[str, dict[str, int]] = {}
    if not per_device:
        return {"by_outcome": by_outcome, "by_reason": by_reason, "per_device": devices}
    for mn, outcome, count in session.execute(
        select(RawPacket.mn, RawPacket.outcome, func.count())
        .where(RawPacket.mn.is_not(None))
        .group_by(RawPacket.mn, RawPacket.outcome)
    ):
        devices.setdefault(str(mn), {})[outcome] = count
    return {"by_outcome": by_outcome, "by_reason": by_reason, "per_device": devices}


def enterprise_of_point(*, session: Session, point_id: int) -> str:
    code = session.scalar(
        select(Enterprise.code)
        .join(Outlet, Outlet.enterprise_id == Enterprise.id)
        .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
        .where(MonitoringPoint.id == point_id)
    )
    return code or ""


# --- reads for the web app: a point's series, device activity, unknown devices -------------

ONLINE_WINDOW = timedelta(hours=2)
"""A device that sent a packet within this window is shown as online."""


@dataclass(frozen=True)
class SeriesValue:
    data_time: datetime
    rtd: float | None
    avg: float | None
    min: float | None
    max: float | None
    zs_rtd: float | None
    zs_avg: float | None
    zs_min: float | None
    zs_max: float | None
    cou: float | None
    flag: str | None


def series_values(
    *,
    session: Session,
    point_id: int,
    factor: str,
    kind: str,
    since: datetime,
    until: datetime,
    limit: int,
) -> list[SeriesValue]:
    """One factor's values of one kind in time order (``since`` inclusive, ``until``
    exclusive), at most ``limit`` of them."""
    m = Measurement
    rows = session.execute(
        select(*[getattr(m, column.name) for column in fields(SeriesValue)])
        .where(
            m.point_id == point_id,
            m.factor == factor,
            m.kind == kind,
            m.data_time >= since,
            m.data_time < until,
        )
        .order_by(m.data_time)
        .limit(limit)
    )
    return [SeriesValue(*row) for row in rows]


def latest_hours(*, session: Session, point_ids: list[int] | None = None) -> dict[int, datetime]:
    """The newest hourly data time stored per point (of ``point_ids``, or of every point): a
    probe of the key per point (on PostgreSQL one per hourly partition), not a pass over
    every stored hour."""
    newest = (
        select(func.max(Measurement.data_time))
        .where(Measurement.point_id == MonitoringPoint.id, Measurement.kind == "hour")
        .scalar_subquery()
    )
    query = select(MonitoringPoint.id, type_coerce(newest, UTCDateTime()))
    if point_ids is not None:
        query = query.where(MonitoringPoint.id.in_(point_ids))
    return {point_id: latest for point_id, latest in session.execute(query) if latest is not None}


def latest_data_time(*, session: Session, point_id: int, kind: str) -> datetime | None:
    """The newest data time of ``kind`` stored for a point (replayed data may be old)."""
    latest = session.scalar(
        select(type_coerce(func.max(Measurement.data_time), UTCDateTime())).where(
            Measurement.point_id == point_id, Measurement.kind == kind
        )
    )
    return latest if isinstance(latest, datetime) else None


@dataclass(frozen=True)
class DeviceActivity:
    """A registered device with what the raw archive holds for its MN."""

    mn: str
    medium: str
    enterprise_code: str
    enterprise_name: str
    outlet_code: str
    outlet_name: str
    last_packet: datetime | None
    outcomes: dict[str, int]
    refusals: dict[str, int]

    @property
    def packets(self) -> int:
        return sum(self.outcomes.values())

    @property
    def stored(self) -> int:
        return self.outcomes.get("stored", 0)


@dataclass(frozen=True)
class DevicePage:
    items: list[DeviceActivity]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


DEVICE_STATES = ("online", "silent", "never")
"""Online: a packet within ``ONLINE_WINDOW``; silent: packets, none that recent; never: none."""


RECENT = timedelta(days=1)
"""How far back a device's latest packet is looked for first (:func:`_last_packets`)."""


def _last_packets(now: datetime) -> Any:
    """Every registered MN with the receive time of its latest packet (``None``: none).

    Found device by device through the (mn, received_at) index, the last day first (on
    PostgreSQL the newest partitions only) and further back only for devices silent that
    long, rather than by grouping the whole archive. ``OFFSET 0`` keeps it a subquery of its
    own, so the probes run once per device however often the result is referred to."""
    recent = now - RECENT
    newest = (
        select(func.max(RawPacket.received_at))
        .where(RawPacket.mn == MonitoringPoint.mn, RawPacket.received_at >= recent)
        .scalar_subquery()
    )
    older = (
        select(func.max(RawPacket.received_at))
        .where(RawPacket.mn == MonitoringPoint.mn, RawPacket.received_at < recent)
        .scalar_subquery()
    )
    return (
        select(MonitoringPoint.mn.label("mn"), func.coalesce(newest, older).label("last"))
        .offset(0)
        .subquery("last_packets")
    )


def device_activity(
    *,
    session: Session,
    now: datetime,
    query: str = "",
    state: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> DevicePage:
    """Registered devices matching ``query`` (MN or enterprise name) and ``state`` (one of
    ``DEVICE_STATES`` at ``now``), most recently heard from first, one page, each with its last
    arrival, packets by outcome and refusals by reason: three queries a page, never one per
    device."""
    last = _last_packets(now)
    statement = (
        select(
            MonitoringPoint.mn,
            MonitoringPoint.medium,
            Enterprise.code,
            Enterprise.name,
            Outlet.code,
            Outlet.name,
            type_coerce(last.c.last, UTCDateTime()),
        )
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
        .outerjoin(last, last.c.mn == MonitoringPoint.mn)
    )
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            MonitoringPoint.mn.ilike(pattern, escape="\\")
            | Enterprise.name.like(pattern, escape="\\")
        )
    cutoff = now - ONLINE_WINDOW
    if state == "online":
        statement = statement.where(last.c.last >= cutoff)
    elif state == "silent":
        statement = statement.where(last.c.last < cutoff)
    elif state == "never":
        statement = statement.where(last.c.last.is_(None))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.execute(
        statement.order_by(
            last.c.last.is_(None), last.c.last.desc(), Enterprise.name, MonitoringPoint.mn
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    mns = [row[0] for row in rows]
    outcomes: dict[str, dict[str, int]] = {mn: {} for mn in mns}
    refusals: dict[str, dict[str, int]] = {mn: {} for mn in mns}
    if mns:
        for mn, outcome, count in session.execute(
            select(RawPacket.mn, RawPacket.outcome, func.count())
            .where(RawPacket.mn.in_(mns))
            .group_by(RawPacket.mn, RawPacket.outcome)
        ):
            outcomes[str(mn)][outcome] = count
        for mn, reason, count in session.execute(
            select(RawPacket.mn, RawPacket.reason, func.count())
            .where(RawPacket.mn.in_(mns), RawPacket.reason.is_not(None))
            .group_by(RawPacket.mn, RawPacket.reason)
        ):
            refusals[str(mn)][str(reason)] = count
    items = [DeviceActivity(*row, outcomes[row[0]], refusals[row[0]]) for row in rows]
    return DevicePage(items, total, page, per_page)


def device_states(*, session: Session, now: datetime) -> dict[str, int]:
    """How many registered devices are in each of ``DEVICE_STATES`` at ``now``."""
    last = _last_packets(now)
    cutoff = now - ONLINE_WINDOW
    online, silent, never = session.execute(
        select(
            func.count().filter(last.c.last >= cutoff),
            func.count().filter(last.c.last < cutoff),
            func.count().filter(last.c.last.is_(None)),
        )
        .select_from(MonitoringPoint)
        .outerjoin(last, last.c.mn == MonitoringPoint.mn)
        .where(MonitoringPoint.outlet_id.is_not(None))  # enterprises' devices, as listed
    ).one()
    return {"online": online, "silent": silent, "never": never}


def recent_unknown_devices(*, session: Session, limit: int = 200) -> list[UnknownDevice]:
    """Like :func:`unknown_devices`, newest first, at most ``limit``, and with the peer of
    each MN's latest packet (``unknown_devices`` gives the greatest peer address)."""
    grouped = (
        select(
            RawPacket.mn.label("mn"),
            func.count().label("packets"),
            func.min(RawPacket.received_at).label("first_seen"),
            func.max(RawPacket.id).label("last_id"),
        )
        .where(text(UNKNOWN_DEVICE), RawPacket.mn.is_not(None))
        .group_by(RawPacket.mn)
        .subquery()
    )
    rows = session.execute(
        select(
            grouped.c.mn,
            grouped.c.packets,
            type_coerce(grouped.c.first_seen, UTCDateTime()),
            RawPacket.received_at,
            RawPacket.peer,
        )
        .join(RawPacket, RawPacket.id == grouped.c.last_id)
        .order_by(RawPacket.received_at.desc(), grouped.c.mn)
        .limit(limit)
    ).all()
    return [UnknownDevice(str(mn), n, first, last, peer) for mn, n, first, last, peer in rows]
