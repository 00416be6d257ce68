"""Coordinate systems used by Chinese map services: WGS84, GCJ-02 and BD-09.

* **WGS84** — GPS, OpenStreetMap, Tianditu; what EcoRadar stores.
* **GCJ-02** — the "Mars" offset required for maps published in China (AutoNavi/Amap, Tencent,
  Google's China tiles). Its forward transform is the publicly reconstructed formula (the same
  constants as `googollee/eviltransform` and `wandergis/coordtransform`). Points outside China
  are not offset.
* **BD-09** — Baidu's further rotation/scaling of GCJ-02.

Both inverses (GCJ-02 -> WGS84 and BD-09 -> GCJ-02) have no closed form; they are solved by
fixed-point iteration of the forward transform until the residual is below ``_TOLERANCE``
degrees, which is orders of magnitude better than the usual one-step approximation (~1-2 m).

All functions take and return ``(longitude, latitude)`` in degrees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal

__all__ = [
    "CRS_NAMES",
    "Crs",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: Final[tuple[Crs, ...]] = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid as used by GCJ-02.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
# BD-09 constant: pi * 3000 / 180.
_X_PI: Final = math.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006

_TOLERANCE: Final = 1e-9  # degrees; the brief asks for < 1e-7, we go further at no cost
_MAX_ITERATIONS: Final = 50


def out_of_china(lon: float, lat: float) -> bool:
    """Whether a point lies outside the rough bounding box in which GCJ-02 applies.

    The box is the one used by the public implementations (e.g. eviltransform's ``outOfChina``).
    """
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlon, dlat) in degrees at a WGS84 point."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 -> GCJ-02. Identity outside China."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


_Transform = Callable[[float, float], tuple[float, float]]


def _invert(
    forward: _Transform, target: tuple[float, float], start: tuple[float, float]
) -> tuple[float, float]:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from ``start``.

    Both forward transforms are a small, slowly varying offset, so the Jacobian is close to the
    identity and ``x <- x - (forward(x) - target)`` converges in a handful of steps.
    """
    target_lon, target_lat = target
    lon, lat = start
    for _ in range(_MAX_ITERATIONS):
        got_lon, got_lat = forward(lon, lat)
        err_lon, err_lat = got_lon - target_lon, got_lat - target_lat
        if abs(err_lon) < _TOLERANCE and abs(err_lat) < _TOLERANCE:
            break
        lon -= err_lon
        lat -= err_lat
    return lon, lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> WGS84, precise to about 1e-9 degrees. Identity outside China."""
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, (lon, lat), (lon, lat))


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> BD-09 (Baidu's public formula)."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + _BD_DLON, z * math.sin(theta) + _BD_DLAT


def _bd09_to_gcj02_approx(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - _BD_DLON, lat - _BD_DLAT
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 -> GCJ-02: the usual closed-form approximation, refined by iteration."""
    return _invert(gcj02_to_bd09, (lon, lat), _bd09_to_gcj02_approx(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 -> BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 -> WGS84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a point given in ``crs`` (``wgs84``, ``gcj02`` or ``bd09``, any case) to WGS84.

    Raises ``ValueError`` naming the coordinate system when it is not one of those.
    """
    name = crs.strip().lower()
    if name == "wgs84":
        return lon, lat
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    known = ", ".join(CRS_NAMES)
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {known}")
