"""The enterprise registry: import (all or nothing), search, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ecoradar.core.coords import wgs84_to_bd09, wgs84_to_gcj02
from ecoradar.core.errors import ImportRefused, NotFoundError, RowError
from ecoradar.core.tables import read_table
from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.regions.service import RegionIndexCache
from ecoradar.registry.importer import (
    ENTERPRISE_COLUMNS,
    ENTERPRISE_OPTIONAL,
    POINT_COLUMNS,
    POINT_OPTIONAL,
    EnterpriseRecord,
    LimitRecord,
    check_enterprises,
    check_points,
)
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from ecoradar.stations.models import Station


@dataclass(frozen=True)
class RegistryImportSummary:
    enterprises_created: int = 0
    enterprises_updated: int = 0
    outlets: int = 0
    points: int = 0
    limits: int = 0


def import_registry(
    *,
    session: Session,
    enterprises: Path | None,
    points: Path | None,
    regions: RegionIndexCache,
    now: datetime,
) -> RegistryImportSummary:
    """Check both files completely, then write them in the caller's transaction.

    Raises ``InputError`` for an unreadable file and ``ImportRefused`` with one ``RowError`` per
    bad cell; in either case nothing has been written.
    """
    errors: list[RowError] = []
    enterprise_records: list[EnterpriseRecord] = []
    known_codes = set(session.scalars(select(Enterprise.code)))
    if enterprises is not None:
        table = read_table(enterprises, required=ENTERPRISE_COLUMNS, optional=ENTERPRISE_OPTIONAL)
        index = regions.get(session)

        def locate(lon: float, lat: float) -> int | None:
            hit = index.smallest(lon, lat)
            return hit.id if hit else None

        enterprise_records, found = check_enterprises(table, locate=locate)
        errors.extend(found)
        known_codes |= {r.code for r in enterprise_records}
    limit_records: list[LimitRecord] = []
    if points is not None:
        table = read_table(points, required=POINT_COLUMNS, optional=POINT_OPTIONAL)
        owners = {
            mn: (ecode, ocode)
            for mn, ecode, ocode in session.execute(
                select(MonitoringPoint.mn, Enterprise.code, Outlet.code)
                .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
                .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            )
        }
        stations = dict(
            session.execute(
                select(MonitoringPoint.mn, Station.code).join(
                    Station, MonitoringPoint.station_id == Station.id
                )
            ).all()
        )
        limit_records, found = check_points(
            table, enterprise_codes=known_codes, stored_mn_owner=owners, station_mns=stations
        )
        errors.extend(found)
    if errors:
        raise ImportRefused(errors)
    created, updated = _write_enterprises(session, enterprise_records, now)
    outlets, point_count = _write_points(session, limit_records)
    session.flush()
    return RegistryImportSummary(created, updated, outlets, point_count, len(limit_records))


def _write_enterprises(
    session: Session, records: Sequence[EnterpriseRecord], now: datetime
) -> tuple[int, int]:
    stored = (
        {
            e.code: e
            for e in session.scalars(
                select(Enterprise).where(Enterprise.code.in_([r.code for r in records]))
            )
        }
        if records
        else {}
    )
    created = 0
    permits_changed: list[Enterprise] = []
    for record in records:
        enterprise = stored.get(record.code)
        if enterprise is None:
            enterprise = Enterprise(code=record.code, created_at=now)
            session.add(enterprise)
            created += 1
        enterprise.name = record.name
        enterprise.industry = record.industry
        enterprise.longitude = record.longitude
        enterprise.latitude = record.latitude
        enterprise.source_crs = record.source_crs
        enterprise.address = record.address
        enterprise.region_id = record.region_id
        if record.permit is not None and record.permit != (
            enterprise.permit_no,
            enterprise.permit_valid_until,
        ):
            enterprise.permit_no, enterprise.permit_valid_until = record.permit
            permits_changed.append(enterprise)
        enterprise.updated_at = now
    session.flush()
    # the green code's permit indicator: recomputed by the scheduler's next pass
    mark_stale(
        session=session, enterprise_ids=[e.id for e in permits_changed], reason="permit", at=now
    )
    return created, len(records) - created


def _write_points(session: Session, records: Sequence[LimitRecord]) -> tuple[int, int]:
    if not records:
        return 0, 0
    enterprises = {
        e.code: e
        for e in session.scalars(
            select(Enterprise).where(Enterprise.code.in_({r.enterprise_code for r in records}))
        )
    }
    outlets = {
        (o.enterprise.code, o.code): o
        for o in session.scalars(
            select(Outlet).where(Outlet.enterprise_id.in_([e.id for e in enterprises.values()]))
        )
    }
    points = {
        p.mn: p
        for p in session.scalars(
            select(MonitoringPoint)
            .where(MonitoringPoint.mn.in_({r.mn for r in records}))
            .options(selectinload(MonitoringPoint.limits))
        )
    }
    touched_outlets: set[tuple[str, str]] = set()
    for record in records:
        key = (record.enterprise_code, record.outlet_code)
        outlet = outlets.get(key)
        if outlet is None:
            outlet = Outlet(enterprise=enterprises[record.enterprise_code], code=record.outlet_code)
            session.add(outlet)
            outlets[key] = outlet
        outlet.name = record.outlet_name
        touched_outlets.add(key)
        point = points.get(record.mn)
        if point is None:
            point = MonitoringPoint(outlet=outlet, mn=record.mn, limits=[])
            session.add(point)
            points[record.mn] = point
        point.medium = record.medium
        point.password = record.password
        limit = next((x for x in point.limits if x.factor == record.factor), None)
        if limit is None:
            limit = PointLimit(factor=record.factor)
            point.limits.append(limit)
        limit.limit_value = record.limit_value
        limit.unit = record.unit
        limit.averaging = record.averaging
        limit.o2_reference = record.o2_reference
        limit.standard = record.standard
        limit.effective_limit = record.effective_limit
    return len(touched_outlets), len({r.mn for r in records})


@dataclass(frozen=True)
class EnterprisePage:
    items: list[Enterprise]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_enterprises(
    *,
    session: Session,
    query: str = "",
    region_ids: Sequence[int] | None = None,
    industry: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> EnterprisePage:
    """Enterprises matching ``query`` (name, code or address), newest code order, one page."""
    page = max(1, page)
    per_page = min(max(1, per_page), 200)
    statement = select(Enterprise)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                Enterprise.name.like(pattern, escape="\\"),
                Enterprise.code.like(pattern, escape="\\"),
                Enterprise.address.like(pattern, escape="\\"),
            )
        )
    if region_ids is not None:
        statement = statement.where(Enterprise.region_id.in_(region_ids))
    if industry:
        statement = statement.where(Enterprise.industry == industry)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    items = session.scalars(
        statement.order_by(Enterprise.name, Enterprise.code)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return EnterprisePage(list(items), total, page, per_page)


def enterprise_by_code(*, session: Session, code: str) -> Enterprise:
    enterprise = session.scalar(
        select(Enterprise)
        .where(Enterprise.code == code.upper())
        .options(selectinload(Enterprise.outlets).selectinload(Outlet.points))
    )
    if enterprise is None:
        raise NotFoundError(f"no enterprise with code {code!r}")
    return enterprise


def _source_coordinates(enterprise: Enterprise) -> tuple[float, float]:
    if enterprise.source_crs == "gcj02":
        return wgs84_to_gcj02(enterprise.longitude, enterprise.latitude)
    if enterprise.source_crs == "bd09":
        return wgs84_to_bd09(enterprise.longitude, enterprise.latitude)
    return enterprise.longitude, enterprise.latitude


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def export_rows(*, session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The registry as import-shaped rows: (enterprises, points), re-importable as they are.

    Coordinates are given back in the system they came in, so a round trip changes nothing.
    """
    enterprises = session.scalars(
        select(Enterprise)
        .order_by(Enterprise.code)
        .options(
            selectinload(Enterprise.outlets)
            .selectinload(Outlet.points)
            .selectinload(MonitoringPoint.limits)
        )
    ).all()
    enterprise_rows: list[dict[str, Any]] = []
    point_rows: list[dict[str, Any]] = []
    for e in enterprises:
        lon, lat = _source_coordinates(e)
        enterprise_rows.append(
            {
                "code": e.code,
                "name": e.name,
                "industry": e.industry,
                "longitude": round(lon, 7),
                "latitude": round(lat, 7),
                "address": e.address,
                "crs": e.source_crs,
                "permit_no": e.permit_no or "",
                "permit_valid_until": (
                    e.permit_valid_until.isoformat() if e.permit_valid_until else ""
                ),
            }
        )
        for outlet in e.outlets:
            for point in outlet.points:
                for limit in point.limits:
                    point_rows.append(
                        {
                            "enterprise_code": e.code,
                            "outlet_code": outlet.code,
                            "outlet_name": outlet.name,
                            "mn": point.mn,
                            "medium": point.medium,
                            "factor": limit.factor,
                            "limit": _number_text(limit.limit_value),
                            "unit": limit.unit,
                            "averaging": limit.averaging,
                            "o2_reference": _number_text(limit.o2_reference),
                            "standard": limit.standard or "",
                            "password": point.password or "",
                        }
                    )
    return enterprise_rows, point_rows
