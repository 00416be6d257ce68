"""The wind at a place and time, interpolated from the nearest air stations' hourly readings
(pure: the readings are passed in).

``wind_at(readings, lat, lon, t)`` takes each station's hourly wind speed (``a01007``, m/s) and
direction (``a01008``, degrees, meteorological: where the wind comes FROM, clockwise from north)
and interpolates the wind *vector*, never the angle: 350° and 10° average to 0° (north), not to
180°. Each station's reading is split into components

    u = -speed * sin(direction)    (towards the east)
    v = -speed * cos(direction)    (towards the north)

and u, v are averaged with inverse-distance weights 1/d² over the ``nearest`` stations (3) within
``radius_km`` (50 km) that have a reading for the hour containing ``t`` (the hourly value of
HJ 212 CN 2061 covers [DataTime, DataTime + 1 h)); a station closer than ``exact_km`` (50 m)
gives its own reading alone. The result's speed is the length of the mean vector; its direction
``atan2(-u, -v)`` in degrees, again "from", in [0, 360).

``None`` when no station has a reading for that hour in range, or when the mean wind is calm
(below ``calm`` = 0.2 m/s, WMO's calm of 0.5 knots rounded; opposite winds at two stations
cancel to calm too): a calm has no direction to rank suspects by. ``Wind.stations`` names the
stations used and their weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoradar.core.geo import haversine_m

WIND_SPEED = "a01007"
WIND_DIRECTION = "a01008"
CALM = 0.2
"""m/s: a mean wind weaker than this is calm (no direction)."""
HOUR = timedelta(hours=1)

COMPASS = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip
"""The 16 points of the compass, clockwise from north (22.5° apart)."""


def compass_degrees(point: str) -> float:
    """Degrees of a compass point (``"NNW"`` -> 337.5); ValueError for anything else."""
    try:
        return COMPASS.index(point.strip().upper()) * 22.5
    except ValueError:
        raise ValueError(f"{point!r} is not one of the 16 compass points") from None


def compass_point(degrees: float) -> str:
    """The nearest of the 16 compass points to ``degrees``."""
    return COMPASS[round((degrees % 360.0) / 22.5) % 16]


def components(speed: float, direction: float) -> tuple[float, float]:
    """(u, v), m/s towards the east and the north, of a wind of ``speed`` from ``direction``."""
    rad = math.radians(direction)
    return -speed * math.sin(rad), -speed * math.cos(rad)


def from_components(u: float, v: float) -> tuple[float, float]:
    """(speed, direction from) of the vector (u, v); direction in [0, 360)."""
    speed = math.hypot(u, v)
    direction = math.degrees(math.atan2(-u, -v)) % 360.0
    return speed, 0.0 if math.isclose(direction, 360.0) else direction


@dataclass(frozen=True)
class StationWind:
    """One station's hourly wind readings: hour start (aware) -> (speed m/s, direction °)."""

    code: str
    lat: float
    lon: float
    hours: Mapping[datetime, tuple[float, float]]


@dataclass(frozen=True)
class Wind:
    speed: float
    """m/s"""
    direction: float
    """Degrees, where the wind comes from, clockwise from north, in [0, 360)."""
    stations: tuple[tuple[str, float, float], ...]
    """(station code, distance km, weight) of every station used, nearest first."""

    @property
    def compass(self) -> str:
        return compass_point(self.direction)


def hour_of(t: datetime) -> datetime:
    """The start of the hour containing ``t`` (aware, in ``t``'s zone)."""
    return t.replace(minute=0, second=0, microsecond=0)


def wind_at(
    readings: Iterable[StationWind],
    lat: float,
    lon: float,
    t: datetime,
    *,
    nearest: int = 3,
    radius_km: float = 50.0,
    exact_km: float = 0.05,
    calm: float = CALM,
) -> Wind | None:
    """The wind at (``lat``, ``lon``) at ``t``, or None for calm or no data (module text)."""
    if t.tzinfo is None:
        raise ValueError("t: needs a time zone")
    hour = hour_of(t)
    found: list[tuple[float, StationWind, tuple[float, float]]] = []
    for station in readings:
        reading = station.hours.get(hour)
        if reading is None or not all(math.isfinite(x) for x in reading) or reading[0] < 0:
            continue
        km = haversine_m(lat, lon, station.lat, station.lon) / 1000.0
        if km <= radius_km:
            found.append((km, station, reading))
    found.sort(key=lambda item: (item[0], item[1].code))
    used = found[:nearest]
    if not used:
        return None
    if used[0][0] <= exact_km:
        used = used[:1]
        weights = [1.0]
    else:
        raw = [1.0 / (km * km) for km, _, _ in used]
        total = sum(raw)
        weights = [w / total for w in raw]
    u = v = 0.0
    for weight, (_, _, (speed, direction)) in zip(weights, used, strict=True):
        cu, cv = components(speed, direction)
        u += weight * cu
        v += weight * cv
    speed, direction = from_components(u, v)
    if speed < calm:
        return None
    return Wind(
        speed,
        direction,
        tuple(
            (s.code, round(km, 3), round(w, 4)) for w, (km, s, _) in zip(weights, used, strict=True)
        ),
    )


def station_winds(
    stations: Sequence[tuple[str, float, float]],
    rows: Iterable[tuple[str, datetime, str, float]],
) -> list[StationWind]:
    """:class:`StationWind` of each station ``(code, lat, lon)`` from rows ``(code, hour,
    factor, value)`` (hours with both speed and direction only)."""
    speeds: dict[str, dict[datetime, float]] = {}
    directions: dict[str, dict[datetime, float]] = {}
    for code, hour, factor, value in rows:
        if factor == WIND_SPEED:
            speeds.setdefault(code, {})[hour] = value
        elif factor == WIND_DIRECTION:
            directions.setdefault(code, {})[hour] = value
    out = []
    for code, lat, lon in stations:
        speed, direction = speeds.get(code, {}), directions.get(code, {})
        hours = {h: (speed[h], direction[h]) for h in speed.keys() & direction.keys()}
        out.append(StationWind(code, lat, lon, hours))
    return out
