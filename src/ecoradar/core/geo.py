"""Distances and directions on the Earth's surface (WGS84 coordinates, a sphere: error < 0.5 %),
shared by every package that asks "how far" or "which way": deduplication, self-inspection
check-ins, patrol tracks, stations and suspects."""

from __future__ import annotations

import math
from typing import Final

EARTH_RADIUS_M: Final = 6_371_008.8
"""The mean Earth radius (IUGG), metres."""


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The initial bearing from the first point to the second: degrees clockwise from north,
    in ``[0, 360)``."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def angle_between(a: float, b: float) -> float:
    """The smaller angle between two bearings, degrees in ``[0, 180]`` (350° and 10°: 20°)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """``(min_lat, max_lat, min_lon, max_lon)`` enclosing every point within ``radius_m``, with
    a little to spare (the exact test is ``haversine_m``)."""
    spare = radius_m * 1.01 + 1.0
    dlat = math.degrees(spare / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(min(89.0, abs(lat) + dlat))), 1e-6)
    dlon = min(180.0, math.degrees(spare / (EARTH_RADIUS_M * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


COMPASS_POINTS: Final = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def compass(bearing: float) -> str:
    """The nearest of the eight compass points of a bearing."""
    return COMPASS_POINTS[round((bearing % 360.0) / 45.0) % 8]
