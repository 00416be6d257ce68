"""Check the rows of a power registry import (pure: lookups are passed in, nothing written).

Contract (``ecoradar power import --units U --meters M``, CSV or XLSX, all or nothing):

- units: ``enterprise_code,unit_code,name,kind`` (``production`` or ``treatment``), optional
  ``treats`` (a treatment facility's medium: ``gas``, ``water`` or ``other``; required for
  one) and ``serves`` (the production unit codes a facility serves, ``;``-separated; empty:
  all of the enterprise's).
- meters: ``meter_id,enterprise_code,unit_code,rated_kw,running_above,idle_below``, optional
  ``interval_s`` (seconds between readings, 1-3600, default 60) and ``points`` (MNs of the
  enterprise's monitoring points it relates to, ``;``-separated). A threshold is kW
  (``12.5``) or a share of the rated power (``30%``); idle_below <= running_above <= rated.

Rows update by natural key (enterprise and unit code; meter id). Every refusal is a
``RowError`` naming the file, the line (header = line 1), the column and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ecoradar.core.errors import RowError
from ecoradar.core.tables import Row, Table
from ecoradar.power.models import TREATS, UNIT_KINDS
from ecoradar.power.payload import METER_ID

UNIT_COLUMNS = ("enterprise_code", "unit_code", "name", "kind")
UNIT_OPTIONAL = ("treats", "serves")
METER_COLUMNS = (
    "meter_id",
    "enterprise_code",
    "unit_code",
    "rated_kw",
    "running_above",
    "idle_below",
)
METER_OPTIONAL = ("interval_s", "points")
MAX_KW = 1_000_000.0
NAME_MAX = 200


@dataclass(frozen=True)
class UnitRecord:
    line: int
    enterprise_code: str
    code: str
    name: str
    kind: str
    treats: str | None
    serves: tuple[str, ...]


@dataclass(frozen=True)
class MeterRecord:
    line: int
    code: str
    enterprise_code: str
    unit_code: str
    rated_kw: float
    running_kw: float
    idle_kw: float
    interval_s: int
    points: tuple[str, ...]


def _list(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in text.split(";") if p.strip()))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _Errors:
    def __init__(self, table: Table) -> None:
        self.file = table.name
        self.items: list[RowError] = []

    def add(self, row: Row, column: str, reason: str) -> None:
        self.items.append(RowError(self.file, row.line, column, reason))


def check_units(
    table: Table,
    *,
    enterprise_codes: set[str],
    stored_units: Mapping[tuple[str, str], str],
) -> tuple[list[UnitRecord], list[RowError]]:
    """Valid unit rows and the errors; ``stored_units`` maps (enterprise, unit) to its kind."""
    errors = _Errors(table)
    kinds = dict(stored_units)
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        key = (row.get("enterprise_code").upper(), row.get("unit_code"))
        if row.get("kind").lower() in UNIT_KINDS:
            kinds[key] = row.get("kind").lower()
    records: list[UnitRecord] = []
    for row in table.rows:
        before = len(errors.items)
        enterprise = row.get("enterprise_code").upper()
        if enterprise not in enterprise_codes:
            errors.add(row, "enterprise_code", f"unknown enterprise {enterprise!r}")
        code = row.get("unit_code")
        if not METER_ID.match(code):
            errors.add(row, "unit_code", f"{code!r}: 1-64 letters, digits, '.', '_' or '-'")
        if (enterprise, code) in seen:
            errors.add(row, "unit_code", f"unit {code} already on line {seen[(enterprise, code)]}")
        seen.setdefault((enterprise, code), row.line)
        name = row.get("name")
        if not name or len(name) > NAME_MAX:
            errors.add(row, "name", f"required, at most {NAME_MAX} characters")
        kind = row.get("kind").lower()
        if kind not in UNIT_KINDS:
            errors.add(row, "kind", f"{kind!r}: use production or treatment")
        treats = row.get("treats").lower() or None
        serves = _list(row.get("serves"))
        if kind == "treatment" and treats not in TREATS:
            errors.add(row, "treats", f"{treats or ''!r}: a treatment facility treats gas, "
                       "water or other")  # fmt: skip
        if kind == "production" and (treats or serves):
            errors.add(row, "treats" if treats else "serves", "only for a treatment facility")
        for served in serves:
            if kinds.get((enterprise, served)) != "production":
                errors.add(row, "serves", f"{served!r} is not a production unit of {enterprise}")
        if len(errors.items) == before:
            records.append(UnitRecord(row.line, enterprise, code, name, kind, treats, serves))
    return records, errors.items


def _threshold(row: Row, errors: _Errors, column: str, rated: float | None) -> float | None:
    text = row.get(column).replace(" ", "")
    share = text.endswith("%")
    value = _number(text[:-1] if share else text)
    if value is None or value <= 0 or (share and value > 100):
        errors.add(row, column, f"{text!r}: kW above 0, or a share like 30%")
        return None
    if share:
        return None if rated is None else rated * value / 100
    return value


def check_meters(
    table: Table,
    *,
    units: Mapping[tuple[str, str], str],
    meter_owner: Mapping[str, str],
    enterprise_points: Mapping[str, set[str]],
) -> tuple[list[MeterRecord], list[RowError]]:
    """Valid meter rows and the errors. ``units``: (enterprise, unit code) -> kind, stored and
    imported; ``meter_owner``: stored meter id -> enterprise code; ``enterprise_points``:
    enterprise code -> its monitoring points' MNs."""
    errors = _Errors(table)
    records: list[MeterRecord] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        before = len(errors.items)
        code = row.get("meter_id")
        enterprise = row.get("enterprise_code").upper()
        if not METER_ID.match(code):
            errors.add(row, "meter_id", f"{code!r}: 1-64 letters, digits, '.', '_' or '-'")
        elif code in seen:
            errors.add(row, "meter_id", f"meter {code} already on line {seen[code]}")
        elif meter_owner.get(code, enterprise) != enterprise:
            errors.add(row, "meter_id", f"meter {code} belongs to enterprise {meter_owner[code]}")
        seen.setdefault(code, row.line)
        unit = row.get("unit_code")
        if (enterprise, unit) not in units:
            errors.add(row, "unit_code", f"no unit {unit!r} of enterprise {enterprise!r}")
        rated = _number(row.get("rated_kw"))
        if rated is None or not 0 < rated <= MAX_KW:
            errors.add(row, "rated_kw", f"{row.get('rated_kw')!r}: kW above 0, at most {MAX_KW:g}")
            rated = None
        running = _threshold(row, errors, "running_above", rated)
        idle = _threshold(row, errors, "idle_below", rated)
        if rated is not None and running is not None and running > rated:
            errors.add(row, "running_above", f"{running:g} kW is above the rated {rated:g} kW")
        if running is not None and idle is not None and idle > running:
            errors.add(row, "idle_below", f"{idle:g} kW is above running_above ({running:g} kW)")
        interval_text = row.get("interval_s") or "60"
        interval = int(interval_text) if interval_text.isdigit() else 0
        if not 1 <= interval <= 3600:
            errors.add(row, "interval_s", f"{interval_text!r}: whole seconds, 1 to 3600")
        points = _list(row.get("points"))
        known = enterprise_points.get(enterprise, set())
        for mn in points:
            if mn not in known:
                errors.add(row, "points", f"{mn!r} is not a monitoring point of {enterprise}")
        if len(errors.items) > before or rated is None or running is None or idle is None:
            continue
        records.append(
            MeterRecord(row.line, code, enterprise, unit, rated, running, idle, interval, points)
        )
    return records, errors.items
