"""Check the rows of a registry import (pure: lookups are passed in, nothing is written).

Contract (``ecoradar registry import --enterprises E --points P``):
enterprise columns ``code,name,industry,longitude,latitude,address`` (optional ``crs``, and
``permit_no,permit_valid_until``: the discharge permit, a date ``YYYY-MM-DD``; an empty cell
clears it, a file without the columns leaves the stored permit as it is);
point columns, one row per factor of a monitoring point,
``enterprise_code,outlet_code,outlet_name,mn,medium,factor,limit,unit,averaging,o2_reference``
(optional ``standard`` and ``password``). Every refusal is a ``RowError`` naming the file, the line
(header = line 1), the column and the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from ecoradar.core.coords import CRS_NAMES, to_wgs84
from ecoradar.core.errors import RowError
from ecoradar.core.tables import Row, Table
from ecoradar.hj212.codes import FACTORS, to_2017_code
from ecoradar.registry.standards import STANDARDS, LimitSpec
from ecoradar.registry.uscc import UsccError, validate_uscc

ENTERPRISE_COLUMNS = ("code", "name", "industry", "longitude", "latitude", "address")
ENTERPRISE_OPTIONAL = ("crs", "permit_no", "permit_valid_until")
POINT_COLUMNS = (
    "enterprise_code",
    "outlet_code",
    "outlet_name",
    "mn",
    "medium",
    "factor",
    "limit",
    "unit",
    "averaging",
    "o2_reference",
)
POINT_OPTIONAL = ("standard", "password")
MEDIA = ("gas", "water")
MEDIUM_SYSTEM = {"gas": "31", "water": "32"}
"""HJ 212 system code of each medium, to read 2005 factor codes in the right table."""
AVERAGINGS = ("hour", "day")
INDUSTRY_CODE = re.compile(r"^[A-T]?\d{2,4}$")
"""GB/T 4754: a section letter, or a 2- to 4-digit division, group or class code."""
MN_PATTERN = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
PASSWORD_PATTERN = re.compile(r"^[\x21-\x7e]{1,64}$")
PERMIT_PATTERN = re.compile(r"^[0-9A-Za-z\-]{1,64}$")
PERMIT_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T00:00:00)?$")
"""A date; an XLSX date cell reads as midnight of that day."""
NAME_MAX, ADDRESS_MAX, CODE_MAX = 200, 400, 64


@dataclass(frozen=True)
class EnterpriseRecord:
    line: int
    code: str
    name: str
    industry: str
    longitude: float
    latitude: float
    source_crs: str
    address: str
    region_id: int
    permit: tuple[str | None, date | None] | None = None
    """(permit number, last valid day) when the file has the permit columns; None: it has not."""


@dataclass(frozen=True)
class LimitRecord:
    line: int
    enterprise_code: str
    outlet_code: str
    outlet_name: str
    mn: str
    medium: str
    password: str | None
    factor: str
    limit_value: float | None
    unit: str
    averaging: str
    o2_reference: float | None
    standard: str | None
    effective_limit: float


class _Errors:
    def __init__(self, table: Table) -> None:
        self.file = table.name
        self.items: list[RowError] = []

    def add(self, row: Row, column: str, reason: str) -> None:
        self.items.append(RowError(self.file, row.line, column, reason))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_enterprises(
    table: Table, *, locate: Callable[[float, float], int | None]
) -> tuple[list[EnterpriseRecord], list[RowError]]:
    """Valid records and the errors of ``table``; ``locate`` maps WGS84 to a region id."""
    errors = _Errors(table)
    records: list[EnterpriseRecord] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        before = len(errors.items)
        code = row.get("code").upper()
        try:
            code = validate_uscc(code)
        except UsccError as exc:
            errors.add(row, "code", str(exc))
        if code in first_line:
            errors.add(row, "code", f"enterprise {code} already on line {first_line[code]}")
        first_line.setdefault(code, row.line)
        name = row.get("name")
        if not name:
            errors.add(row, "name", "required")
        elif len(name) > NAME_MAX:
            errors.add(row, "name", f"longer than {NAME_MAX} characters")
        industry = row.get("industry").upper()
        if not INDUSTRY_CODE.match(industry):
            errors.add(row, "industry", f"{industry!r} is not a GB/T 4754 industry code")
        address = row.get("address")
        if len(address) > ADDRESS_MAX:
            errors.add(row, "address", f"longer than {ADDRESS_MAX} characters")
        crs = (row.get("crs") or "wgs84").lower()
        if crs not in CRS_NAMES:
            errors.add(row, "crs", f"unknown coordinate system {crs!r}; use wgs84, gcj02 or bd09")
        lon, lat = _number(row.get("longitude")), _number(row.get("latitude"))
        if lon is None or not -180 <= lon <= 180:
            errors.add(row, "longitude", f"{row.get('longitude')!r} is not a longitude")
        if lat is None or not -90 <= lat <= 90:
            errors.add(row, "latitude", f"{row.get('latitude')!r} is not a latitude")
        permit = _check_permit(table, row, errors)
        if len(errors.items) > before or lon is None or lat is None:
            continue
        wlon, wlat = to_wgs84(lon, lat, crs)
        region_id = locate(wlon, wlat)
        if region_id is None:
            errors.add(
                row,
                "longitude",
                f"coordinates ({lon}, {lat}, {crs}) lie outside every region",
            )
            continue
        records.append(
            EnterpriseRecord(
                row.line, code, name, industry, wlon, wlat, crs, address, region_id, permit
            )
        )
    return records, errors.items


def _check_permit(table: Table, row: Row, errors: _Errors) -> tuple[str | None, date | None] | None:
    """The permit columns of a row: None when the file has neither column."""
    if "permit_no" not in table.columns and "permit_valid_until" not in table.columns:
        return None
    number = row.get("permit_no").strip() or None
    if number is not None and not PERMIT_PATTERN.match(number):
        errors.add(row, "permit_no", "1-64 letters, digits and hyphens")
    text = row.get("permit_valid_until").strip()
    until = None
    if text:
        found = PERMIT_DATE.match(text)
        try:
            until = date.fromisoformat(found.group(1)) if found else None
        except ValueError:
            until = None
        if until is None:
            errors.add(row, "permit_valid_until", f"{text!r} is not a date (YYYY-MM-DD)")
    return number, until


@dataclass
class _PointSeen:
    line: int
    enterprise_code: str
    outlet_code: str
    medium: str
    password: str
    outlet_name: str


def check_points(
    table: Table,
    *,
    enterprise_codes: set[str],
    stored_mn_owner: Mapping[str, tuple[str, str]],
    station_mns: Mapping[str, str] | None = None,
) -> tuple[list[LimitRecord], list[RowError]]:
    """Valid limit rows and the errors of ``table``.

    ``enterprise_codes`` are the codes known (stored or in the same import);
    ``stored_mn_owner`` maps each stored MN to its ``(enterprise code, outlet code)``;
    ``station_mns`` the MNs of ambient stations' devices to the station's code.
    """
    station_mns = station_mns or {}
    errors = _Errors(table)
    records: list[LimitRecord] = []
    points: dict[str, _PointSeen] = {}
    outlets: dict[tuple[str, str], tuple[int, str]] = {}
    factor_lines: dict[tuple[str, str], int] = {}
    for row in table.rows:
        before = len(errors.items)
        enterprise = row.get("enterprise_code").upper()
        if enterprise not in enterprise_codes:
            errors.add(row, "enterprise_code", f"unknown enterprise {enterprise!r}")
        outlet = row.get("outlet_code")
        if not outlet or len(outlet) > CODE_MAX:
            errors.add(row, "outlet_code", "required, at most 64 characters")
        outlet_name = row.get("outlet_name")
        if len(outlet_name) > NAME_MAX:
            errors.add(row, "outlet_name", f"longer than {NAME_MAX} characters")
        seen_outlet = outlets.setdefault((enterprise, outlet), (row.line, outlet_name))
        if seen_outlet[1] != outlet_name:
            errors.add(row, "outlet_name", f"differs from line {seen_outlet[0]}")
        medium = row.get("medium").lower()
        if medium not in MEDIA:
            errors.add(row, "medium", f"unknown medium {medium!r}; use gas or water")
        password = row.get("password")
        if password and not PASSWORD_PATTERN.match(password):
            errors.add(row, "password", "must be 1-64 printable ASCII characters")
        mn = row.get("mn")
        if not MN_PATTERN.match(mn):
            errors.add(row, "mn", f"{mn!r} is not an MN (1-64 letters, digits, - or _)")
        elif mn in station_mns:
            errors.add(row, "mn", f"MN {mn} is the device of ambient station {station_mns[mn]}")
        else:
            _check_mn(row, errors, points, stored_mn_owner, enterprise, outlet, medium, password)
        limit = _check_limit(row, errors, medium)
        if limit is None or len(errors.items) > before:
            continue
        factor, spec, standard = limit
        previous = factor_lines.setdefault((mn, factor), row.line)
        if previous != row.line:
            errors.add(row, "factor", f"factor {factor} of MN {mn} already on line {previous}")
            continue
        records.append(
            LimitRecord(
                row.line,
                enterprise,
                outlet,
                outlet_name,
                mn,
                medium,
                password or None,
                factor,
                _number(row.get("limit")) if row.get("limit") else None,
                spec.unit,
                spec.averaging,
                spec.o2_reference,
                standard,
                spec.limit,
            )
        )
    return records, errors.items


def _check_mn(
    row: Row,
    errors: _Errors,
    points: dict[str, _PointSeen],
    stored_mn_owner: Mapping[str, tuple[str, str]],
    enterprise: str,
    outlet: str,
    medium: str,
    password: str,
) -> None:
    mn = row.get("mn")
    owner = stored_mn_owner.get(mn)
    if owner is not None and owner != (enterprise, outlet):
        errors.add(row, "mn", f"MN {mn} is used by another point ({owner[0]} outlet {owner[1]})")
        return
    seen = points.setdefault(mn, _PointSeen(row.line, enterprise, outlet, medium, password, ""))
    if (seen.enterprise_code, seen.outlet_code) != (enterprise, outlet):
        errors.add(
            row,
            "mn",
            f"MN {mn} is used by another point ({seen.enterprise_code} outlet "
            f"{seen.outlet_code}, line {seen.line})",
        )
    elif seen.medium != medium:
        errors.add(row, "medium", f"differs from line {seen.line} for MN {mn}")
    elif seen.password != password:
        errors.add(row, "password", f"differs from line {seen.line} for MN {mn}")


def _check_limit(
    row: Row, errors: _Errors, medium: str
) -> tuple[str, LimitSpec, str | None] | None:
    """(factor, the limit that applies, standard key) or None after recording errors."""
    before = len(errors.items)
    raw_factor = row.get("factor")
    factor = to_2017_code(raw_factor, MEDIUM_SYSTEM.get(medium))
    info = FACTORS.get(factor)
    if info is None:
        errors.add(row, "factor", f"unknown factor code {raw_factor!r}")
    standard_key = row.get("standard") or None
    base: LimitSpec | None = None
    if standard_key is not None:
        limit_set = STANDARDS.get(standard_key)
        if limit_set is None:
            errors.add(row, "standard", f"unknown standard {standard_key!r}")
        elif medium in MEDIA and limit_set.medium != medium:
            errors.add(row, "standard", f"{standard_key} is for {limit_set.medium}, not {medium}")
        else:
            base = limit_set.limits.get(factor)
            if base is None and info is not None:
                errors.add(row, "standard", f"{standard_key} sets no limit for {factor}")
    raw_limit = row.get("limit")
    limit = _number(raw_limit) if raw_limit else (base.limit if base else None)
    if raw_limit and limit is None:
        errors.add(row, "limit", f"{raw_limit!r} is not a number")
    elif raw_limit and limit is not None and limit < 0:
        errors.add(row, "limit", f"negative limit {raw_limit}")
    elif limit is None and standard_key is None:
        errors.add(row, "limit", "required (or name a standard that sets it)")
    unit = row.get("unit") or (base.unit if base else "") or (info.unit if info else "")
    if not unit or len(unit) > 16:
        errors.add(row, "unit", "required, at most 16 characters")
    averaging = row.get("averaging").lower() or (base.averaging if base else "")
    if averaging not in AVERAGINGS:
        errors.add(row, "averaging", f"unknown averaging {averaging!r}; use hour or day")
    o2 = _check_o2(row, errors, medium, base)
    if len(errors.items) > before or limit is None:
        return None
    return factor, LimitSpec(factor, limit, unit, averaging, o2), standard_key  # type: ignore[arg-type]


def _check_o2(row: Row, errors: _Errors, medium: str, base: LimitSpec | None) -> float | None:
    raw = row.get("o2_reference")
    if medium == "water":
        if raw:
            errors.add(row, "o2_reference", "must be empty for water")
        return None
    if not raw:
        return base.o2_reference if base else None
    value = _number(raw)
    if value is None or not 0 <= value < 21:
        errors.add(row, "o2_reference", f"{raw!r} is not an oxygen share in % (0 to below 21)")
        return None
    return value
