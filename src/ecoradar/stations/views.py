"""Ambient stations over HTTP (read-only; imports go through the command line). Staff read every
station: ambient data is the region's, not an enterprise's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ecoradar.core.errors import InputError
from ecoradar.monitoring.schemas import parse_instant
from ecoradar.stations import service
from ecoradar.stations.models import KINDS
from ecoradar.stations.schemas import ReadingRead, ReadingsRead, StationRead, WindRead
from ecoradar.web.deps import StaffSession

router = APIRouter(prefix="/api/stations", tags=["stations"])

Instant = Annotated[
    str | None,
    Query(
        max_length=40,
        description="ISO 8601 date or date-time; without an offset, China Standard Time.",
    ),
]
MAX_READINGS = 10_000


@router.get("")
def list_stations(
    session: StaffSession, kind: Annotated[str | None, Query(max_length=8)] = None
) -> list[StationRead]:
    """Every ambient station (``kind``: air or water), with its newest hour."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"kind: {kind!r} is not one of air, water")
    return [StationRead.row(row) for row in service.list_stations(session=session, kind=kind)]


@router.get("/wind")
def wind(
    session: StaffSession,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    at: Annotated[str, Query(max_length=40, description="ISO 8601; no offset: China time.")],
) -> WindRead | None:
    """The wind at a place and time, interpolated (as u, v components) from the nearest air
    stations' hourly readings; null for calm or no data."""
    when = parse_instant(at, "at")
    if when is None:
        raise InputError("at: required (ISO 8601; no offset: China time)")
    found = service.wind_near(session=session, lat=lat, lon=lon, at=when)
    if found is None:
        return None
    return WindRead(
        speed=round(found.speed, 3),
        direction=round(found.direction, 1),
        compass=found.compass,
        stations=list(found.stations),
    )


@router.get("/{code}")
def get_station(session: StaffSession, code: str) -> StationRead:
    station = service.get_station(session=session, code=code)
    last, _ = service.latest_readings(session=session, station=station)
    return StationRead.of(station, station.point.mn, last)


@router.get("/{code}/readings")
def station_readings(
    session: StaffSession,
    code: str,
    since: Instant = None,
    until: Instant = None,
    factor: Annotated[str | None, Query(max_length=16)] = None,
) -> ReadingsRead:
    """The station's hourly readings in time order (``since`` inclusive, ``until``
    exclusive; without ``since``: the newest ones), every factor or one."""
    station = service.get_station(session=session, code=code)
    found = service.readings(
        session=session,
        station=station,
        since=parse_instant(since, "since"),
        until=parse_instant(until, "until"),
        factor=factor,
        limit=MAX_READINGS + 1,
    )
    return ReadingsRead(
        station=station.code,
        readings=[ReadingRead.of(r) for r in found[:MAX_READINGS]],
        truncated=len(found) > MAX_READINGS,
    )
