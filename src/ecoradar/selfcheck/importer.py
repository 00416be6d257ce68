"""``ecoradar selfcheck import-points FILE``: control points from CSV or XLSX.

Contract: columns ``enterprise_code,point_code,type,name,longitude,latitude,schedule``, where
``schedule`` is ``daily``, ``weekly``, ``monthly`` or a five-field cron expression (China time);
optional ``crs`` (``wgs84`` default, ``gcj02``, ``bd09``; stored as WGS84) and
``working_days_only`` (``yes``/``no``, default no). Points are created or updated by
(enterprise code, point code). The import is all or nothing: every bad cell is a ``RowError``
naming the file, the line (header = line 1), the column and the reason, and nothing is written.

``check_rows`` is pure (lookups are passed in); ``import_points`` writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.core.coords import to_wgs84
from ecoradar.core.errors import ImportRefused, RowError
from ecoradar.core.tables import Row, Table, read_table
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck import fields
from ecoradar.selfcheck.fields import YES
from ecoradar.selfcheck.models import ControlPoint, PointType
from ecoradar.selfcheck.schedule import Schedule
from ecoradar.selfcheck.templates import ensure_defaults

COLUMNS = ("enterprise_code", "point_code", "type", "name", "longitude", "latitude", "schedule")
OPTIONAL = ("crs", "working_days_only")


@dataclass(frozen=True)
class PointRecord:
    line: int
    enterprise_code: str
    point_code: str
    type_code: str
    name: str
    longitude: float
    latitude: float
    source_crs: str
    schedule: Schedule


def check_rows(
    table: Table, *, enterprise_codes: set[str], type_codes: set[str]
) -> tuple[list[PointRecord], list[RowError]]:
    """Valid records and the errors of ``table``."""
    errors: list[RowError] = []
    records: list[PointRecord] = []
    first_line: dict[tuple[str, str], int] = {}

    def refuse(row: Row, column: str, reason: str) -> None:
        errors.append(RowError(table.name, row.line, column, reason))

    for row in table.rows:
        before = len(errors)

        def check(column: str, problem: str | None, row: Row = row) -> None:
            if problem is not None:
                refuse(row, column, problem)

        enterprise = row.get("enterprise_code").upper()
        if enterprise not in enterprise_codes:
            refuse(row, "enterprise_code", f"unknown enterprise {enterprise!r}")
        code = row.get("point_code")
        code_problem = fields.point_code_problem(code)
        if code_problem is not None:
            refuse(row, "point_code", code_problem)
        elif (enterprise, code) in first_line:
            line = first_line[(enterprise, code)]
            refuse(row, "point_code", f"point {code} of {enterprise} already on line {line}")
        first_line.setdefault((enterprise, code), row.line)
        type_code = row.get("type").lower()
        check("type", fields.type_problem(type_code, type_codes))
        name = row.get("name")
        check("name", fields.name_problem(name))
        crs = (row.get("crs") or "wgs84").lower()
        check("crs", fields.crs_problem(crs))
        lon, lon_problem = fields.longitude_of(row.get("longitude"))
        check("longitude", lon_problem)
        lat, lat_problem = fields.latitude_of(row.get("latitude"))
        check("latitude", lat_problem)
        flag = row.get("working_days_only").lower()
        check("working_days_only", fields.flag_problem(flag))
        schedule, schedule_problem = fields.schedule_of(
            row.get("schedule"), working_days_only=flag in YES
        )
        check("schedule", schedule_problem)
        if len(errors) > before or lon is None or lat is None or schedule is None:
            continue
        wlon, wlat = to_wgs84(lon, lat, crs)
        records.append(
            PointRecord(row.line, enterprise, code, type_code, name, wlon, wlat, crs, schedule)
        )
    return records, errors


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int


def import_points(*, session: Session, path: Path, now: datetime, actor: str) -> ImportSummary:
    """Check the whole file, then create or update its points in the caller's transaction.
    ``InputError`` (unreadable) or ``ImportRefused`` (every bad cell): nothing written."""
    ensure_defaults(session=session, now=now)
    table = read_table(path, required=COLUMNS, optional=OPTIONAL)
    wanted = {r.get("enterprise_code").upper() for r in table.rows}
    found = session.execute(
        select(Enterprise.code, Enterprise.id).where(Enterprise.code.in_(sorted(wanted)))
    )
    enterprises: Mapping[str, int] = {code: eid for code, eid in found}  # noqa: C416
    types = {code: tid for code, tid in session.execute(select(PointType.code, PointType.id))}  # noqa: C416
    records, errors = check_rows(table, enterprise_codes=set(enterprises), type_codes=set(types))
    if errors:
        raise ImportRefused(errors)
    stored = {
        (p.enterprise_id, p.code): p
        for p in session.scalars(
            select(ControlPoint).where(ControlPoint.enterprise_id.in_(list(enterprises.values())))
        )
    }
    created = 0
    for record in records:
        enterprise_id = enterprises[record.enterprise_code]
        point = stored.get((enterprise_id, record.point_code))
        if point is None:
            point = ControlPoint(
                enterprise_id=enterprise_id, code=record.point_code, created_at=now, active=True
            )
            session.add(point)
            created += 1
        point.type_id = types[record.type_code]
        point.name = record.name
        point.longitude, point.latitude = record.longitude, record.latitude
        point.source_crs = record.source_crs
        point.schedule_kind = record.schedule.kind
        point.schedule_expression = record.schedule.expression
        point.working_days_only = record.schedule.working_days_only
        point.updated_at = now
    session.flush()
    audit(
        session=session,
        at=now,
        actor=actor,
        action="selfcheck_points.import",
        entity_type="selfcheck_points",
        entity_id=path.name[:100] or "points",
        after={"created": created, "updated": len(records) - created},
    )
    return ImportSummary(created, len(records) - created)
