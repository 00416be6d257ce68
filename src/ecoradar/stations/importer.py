"""Check the rows of a station import (pure: lookups are passed in, nothing is written).

Contract (``ecoradar stations import FILE``, CSV or XLSX): columns
``code,name,kind,mn,longitude,latitude`` and optional ``password`` (the device's HJ 212 PW;
empty: not checked), ``water_class`` (the GB 3838-2002 class a water station is judged
against, ``I``-``V`` or ``1``-``5``; empty: III; must be empty for air) and ``crs`` (``wgs84``
default, ``gcj02``, ``bd09``). ``kind`` is ``air`` or ``water``. Every refusal is a ``RowError``
naming the file, the line (header = line 1), the column and the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ecoradar.core.coords import CRS_NAMES, to_wgs84
from ecoradar.core.errors import RowError
from ecoradar.core.tables import Row, Table
from ecoradar.registry.importer import MN_PATTERN, PASSWORD_PATTERN
from ecoradar.stations.models import KINDS
from ecoradar.stations.standards import DEFAULT_WATER_CLASS, ROMAN

STATION_COLUMNS = ("code", "name", "kind", "mn", "longitude", "latitude")
STATION_OPTIONAL = ("password", "water_class", "crs")
CODE_PATTERN = re.compile(r"^[0-9A-Za-z_\-]{1,32}$")
NAME_MAX = 200


@dataclass(frozen=True)
class StationRecord:
    line: int
    code: str
    name: str
    kind: str
    mn: str
    password: str | None
    longitude: float
    latitude: float
    region_id: int
    water_class: int | None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _water_class(text: str) -> int | None:
    text = text.strip().upper()
    if text in ROMAN:
        return ROMAN.index(text) + 1
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    return None


def check_stations(
    table: Table,
    *,
    locate: Callable[[float, float], int | None],
    enterprise_mns: Mapping[str, str],
    station_mns: Mapping[str, str],
) -> tuple[list[StationRecord], list[RowError]]:
    """Valid records and the errors of ``table``.

    ``locate`` maps WGS84 to a region id; ``enterprise_mns`` maps the MNs of enterprises'
    points to the enterprise's code; ``station_mns`` the MNs of stored stations to their code.
    """
    errors: list[RowError] = []

    def add(row: Row, column: str, reason: str) -> None:
        errors.append(RowError(table.name, row.line, column, reason))

    records: list[StationRecord] = []
    codes: dict[str, int] = {}
    mns: dict[str, int] = {}
    for row in table.rows:
        before = len(errors)
        code = row.get("code")
        if not CODE_PATTERN.match(code):
            add(row, "code", f"{code!r} is not a station code (1-32 letters, digits, - or _)")
        elif code in codes:
            add(row, "code", f"station {code} already on line {codes[code]}")
        codes.setdefault(code, row.line)
        name = row.get("name")
        if not name:
            add(row, "name", "required")
        elif len(name) > NAME_MAX:
            add(row, "name", f"longer than {NAME_MAX} characters")
        kind = row.get("kind").lower()
        if kind not in KINDS:
            add(row, "kind", f"unknown kind {row.get('kind')!r}; use air or water")
        mn = row.get("mn")
        if not MN_PATTERN.match(mn):
            add(row, "mn", f"{mn!r} is not an MN (1-64 letters, digits, - or _)")
        elif mn in enterprise_mns:
            add(row, "mn", f"MN {mn} is a point of enterprise {enterprise_mns[mn]}")
        elif station_mns.get(mn, code) != code:
            add(row, "mn", f"MN {mn} is used by station {station_mns[mn]}")
        elif mn in mns:
            add(row, "mn", f"MN {mn} already on line {mns[mn]}")
        mns.setdefault(mn, row.line)
        password = row.get("password")
        if password and not PASSWORD_PATTERN.match(password):
            add(row, "password", "must be 1-64 printable ASCII characters")
        water_class = _check_class(row, kind, add)
        crs = (row.get("crs") or "wgs84").lower()
        if crs not in CRS_NAMES:
            add(row, "crs", f"unknown coordinate system {crs!r}; use wgs84, gcj02 or bd09")
        lon, lat = _number(row.get("longitude")), _number(row.get("latitude"))
        if lon is None or not -180 <= lon <= 180:
            add(row, "longitude", f"{row.get('longitude')!r} is not a longitude")
        if lat is None or not -90 <= lat <= 90:
            add(row, "latitude", f"{row.get('latitude')!r} is not a latitude")
        if len(errors) > before or lon is None or lat is None:
            continue
        wlon, wlat = to_wgs84(lon, lat, crs)
        region_id = locate(wlon, wlat)
        if region_id is None:
            add(row, "longitude", f"coordinates ({lon}, {lat}, {crs}) lie outside every region")
            continue
        records.append(
            StationRecord(
                row.line, code, name, kind, mn, password or None, wlon, wlat, region_id, water_class
            )
        )
    return records, errors


def _check_class(row: Row, kind: str, add: Callable[[Row, str, str], None]) -> int | None:
    text = row.get("water_class")
    if kind != "water":
        if text:
            add(row, "water_class", "must be empty for an air station")
        return None
    if not text:
        return DEFAULT_WATER_CLASS
    found = _water_class(text)
    if found is None:
        add(row, "water_class", f"{text!r} is not a GB 3838 class (I-V or 1-5)")
    return found
