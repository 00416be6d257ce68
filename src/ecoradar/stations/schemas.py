"""What the stations' API answers (times in China Standard Time, ISO 8601 with offset)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ecoradar.core.clock import CHINA_TZ
from ecoradar.stations.models import Station
from ecoradar.stations.service import Reading, StationRow
from ecoradar.stations.standards import ROMAN, UNITS


class StationRead(BaseModel):
    code: str
    name: str
    kind: str
    mn: str
    longitude: float
    latitude: float
    region: str
    water_class: str | None
    """GB 3838-2002 class (I-V) a water station is judged against; null for air."""
    last_hour: datetime | None

    @classmethod
    def of(cls, station: Station, mn: str, last_hour: datetime | None) -> StationRead:
        return cls(
            code=station.code,
            name=station.name,
            kind=station.kind,
            mn=mn,
            longitude=station.longitude,
            latitude=station.latitude,
            region=station.region.code,
            water_class=ROMAN[station.water_class - 1] if station.water_class else None,
            last_hour=last_hour.astimezone(CHINA_TZ) if last_hour else None,
        )

    @classmethod
    def row(cls, row: StationRow) -> StationRead:
        return cls.of(row.station, row.mn, row.last_hour)


class ReadingRead(BaseModel):
    data_time: datetime
    """The start of the hour (HJ 212 DataTime)."""
    factor: str
    value: float | None
    unit: str
    flag: str | None
    valid: bool

    @classmethod
    def of(cls, reading: Reading) -> ReadingRead:
        return cls(
            data_time=reading.data_time.astimezone(CHINA_TZ),
            factor=reading.factor,
            value=reading.value,
            unit=UNITS.get(reading.factor, ""),
            flag=reading.flag,
            valid=reading.valid,
        )


class ReadingsRead(BaseModel):
    station: str
    readings: list[ReadingRead]
    truncated: bool
    """More readings exist in the range than were sent (ask again from the last one's time)."""


class WindRead(BaseModel):
    speed: float
    """m/s"""
    direction: float
    """Degrees where the wind comes from, clockwise from north."""
    compass: str
    stations: list[tuple[str, float, float]]
    """(station code, distance km, weight) of the stations interpolated."""
