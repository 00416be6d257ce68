"""Ambient stations: import (all or nothing), listing, readings, and wind for a place and time.
The rules' pass over new hours lives in ``stations.evaluate``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.db import UTCDateTime
from ecoradar.core.errors import ImportRefused, NotFoundError
from ecoradar.core.tables import read_table
from ecoradar.monitoring.models import Measurement
from ecoradar.problems.models import Finding
from ecoradar.regions.service import RegionIndexCache
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.stations.importer import (
    STATION_COLUMNS,
    STATION_OPTIONAL,
    StationRecord,
    check_stations,
)
from ecoradar.stations.models import KIND_MEDIUM, Station
from ecoradar.stations.standards import factors_for
from ecoradar.stations.wind import WIND_DIRECTION, WIND_SPEED, Wind, station_winds, wind_at

VALID_FLAGS = (None, "N")
"""Only data flagged N (or sent without a flag) counts as a valid reading."""


@dataclass(frozen=True)
class StationImportSummary:
    created: int = 0
    updated: int = 0


def import_stations(
    *, session: Session, path: Path, regions: RegionIndexCache, now: datetime
) -> StationImportSummary:
    """Check the whole file, then write it in the caller's transaction (updates by code).

    Raises ``InputError`` for an unreadable file and ``ImportRefused`` with one ``RowError`` per
    bad cell; in either case nothing has been written."""
    table = read_table(path, required=STATION_COLUMNS, optional=STATION_OPTIONAL)
    index = regions.get(session)

    def locate(lon: float, lat: float) -> int | None:
        hit = index.smallest(lon, lat)
        return hit.id if hit else None

    enterprise_mns = dict(
        session.execute(
            select(MonitoringPoint.mn, Enterprise.code)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
        ).all()
    )
    station_mns = dict(
        session.execute(
            select(MonitoringPoint.mn, Station.code).join(
                Station, MonitoringPoint.station_id == Station.id
            )
        ).all()
    )
    records, errors = check_stations(
        table, locate=locate, enterprise_mns=enterprise_mns, station_mns=station_mns
    )
    if errors:
        raise ImportRefused(errors)
    return _write(session, records, now)


def _write(
    session: Session, records: Sequence[StationRecord], now: datetime
) -> StationImportSummary:
    stored = {
        s.code: s
        for s in session.scalars(select(Station).where(Station.code.in_([r.code for r in records])))
    }
    created = 0
    for record in records:
        station = stored.get(record.code)
        if station is None:
            station = Station(code=record.code, created_at=now)
            session.add(station)
            created += 1
        station.name = record.name
        station.kind = record.kind
        station.longitude = record.longitude
        station.latitude = record.latitude
        station.region_id = record.region_id
        station.water_class = record.water_class
        station.updated_at = now
        session.flush()
        point = session.scalar(
            select(MonitoringPoint).where(MonitoringPoint.station_id == station.id)
        )
        if point is None:
            point = MonitoringPoint(station_id=station.id, outlet_id=None, limits=[])
            session.add(point)
        point.mn = record.mn
        point.password = record.password
        point.medium = KIND_MEDIUM[record.kind]
        session.flush()
    return StationImportSummary(created, len(records) - created)


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationRow:
    station: Station
    mn: str
    last_hour: datetime | None


def list_stations(*, session: Session, kind: str | None = None) -> list[StationRow]:
    """Every station (of ``kind``) by code, with its MN and newest hourly data time."""
    newest = (
        select(type_coerce(func.max(Measurement.data_time), UTCDateTime()))
        .where(Measurement.point_id == MonitoringPoint.id, Measurement.kind == "hour")
        .scalar_subquery()
    )
    query = (
        select(Station, MonitoringPoint.mn, newest)
        .join(MonitoringPoint, MonitoringPoint.station_id == Station.id)
        .order_by(Station.code)
    )
    if kind is not None:
        query = query.where(Station.kind == kind)
    return [StationRow(s, mn, last) for s, mn, last in session.execute(query).all()]


def get_station(*, session: Session, code: str) -> Station:
    station = session.scalar(select(Station).where(Station.code == code))
    if station is None:
        raise NotFoundError(f"no station with code {code!r}")
    return station


def station_by_point(*, session: Session, point_id: int) -> Station | None:
    return session.scalar(
        select(Station)
        .join(MonitoringPoint, MonitoringPoint.station_id == Station.id)
        .where(MonitoringPoint.id == point_id)
    )


@dataclass(frozen=True)
class Reading:
    """One factor's hourly value at a station."""

    factor: str
    data_time: datetime
    value: float | None
    flag: str | None

    @property
    def valid(self) -> bool:
        return self.flag in VALID_FLAGS and self.value is not None


def readings(
    *,
    session: Session,
    station: Station,
    since: datetime | None = None,
    until: datetime | None = None,
    factor: str | None = None,
    limit: int = 5000,
) -> list[Reading]:
    """The station's hourly values in time order (``since`` inclusive, ``until`` exclusive),
    at most ``limit`` rows (the newest when ``since`` is not given)."""
    query = select(
        Measurement.factor,
        Measurement.data_time,
        func.coalesce(Measurement.avg, Measurement.rtd),
        Measurement.flag,
    ).where(Measurement.point_id == station.point.id, Measurement.kind == "hour")
    if since is not None:
        query = query.where(Measurement.data_time >= since)
    if until is not None:
        query = query.where(Measurement.data_time < until)
    if factor is not None:
        query = query.where(Measurement.factor == factor)
    if since is None:
        rows = list(
            session.execute(
                query.order_by(Measurement.data_time.desc(), Measurement.factor).limit(limit)
            ).all()
        )
        rows.reverse()
    else:
        rows = list(
            session.execute(
                query.order_by(Measurement.data_time, Measurement.factor).limit(limit)
            ).all()
        )
    return [Reading(f, t, v, flag) for f, t, v, flag in rows]


def latest_readings(*, session: Session, station: Station) -> tuple[datetime | None, list[Reading]]:
    """The newest hour the station sent and its values, in the order of the station's factors
    (then any other factor it sent)."""
    newest = session.scalar(
        select(type_coerce(func.max(Measurement.data_time), UTCDateTime())).where(
            Measurement.point_id == station.point.id, Measurement.kind == "hour"
        )
    )
    if newest is None:
        return None, []
    found = readings(session=session, station=station, since=newest, until=newest + HOUR)
    order = {code: n for n, code in enumerate(factors_for(station.kind))}
    found.sort(key=lambda r: (order.get(r.factor, len(order)), r.factor))
    return newest, found


HOUR = timedelta(hours=1)


def wind_near(
    *,
    session: Session,
    lat: float,
    lon: float,
    at: datetime,
    nearest: int = 3,
    radius_km: float = 50.0,
) -> Wind | None:
    """The wind at (lat, lon) at ``at``, interpolated from the air stations' hourly readings
    (``stations.wind.wind_at``); None for calm or no data."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    stations = [s.station for s in list_stations(session=session, kind="air")]
    if not stations:
        return None
    by_point = {s.point.id: s for s in stations}
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
            Measurement.data_time == hour,
            Measurement.factor.in_((WIND_SPEED, WIND_DIRECTION)),
        )
    ).all()
    winds = station_winds(
        [(s.code, s.latitude, s.longitude) for s in stations],
        _valid_rows((by_point[p].code, t, f, avg, rtd, flag) for p, t, f, avg, rtd, flag in rows),
    )
    return wind_at(winds, lat, lon, at, nearest=nearest, radius_km=radius_km)


def _valid_rows(
    rows: Iterable[tuple[str, datetime, str, float | None, float | None, str | None]],
) -> Iterable[tuple[str, datetime, str, float]]:
    for code, when, factor, avg, rtd, flag in rows:
        value = avg if avg is not None else rtd
        if value is not None and flag in VALID_FLAGS:
            yield code, when, factor, value


def station_findings(*, session: Session, station: Station, limit: int = 20) -> list[Finding]:
    """The newest findings the station rules raised at ``station``."""
    return list(
        session.scalars(
            select(Finding)
            .where(
                Finding.channel == "station",
                Finding.source_ref.like(f"station:{station.code}:%"),
            )
            .order_by(Finding.observed_at.desc(), Finding.id.desc())
            .limit(limit)
        )
    )
