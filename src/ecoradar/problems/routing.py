"""Routing: the place decides the grid and the responsible office.

A problem's region is the smallest area containing its place (usually a grid). The responsible
office is the bureau of the nearest enclosing area at the office level (``county`` by default:
the district or county sub-bureau); escalation goes one level further up. Officers scoped to an
area see every problem whose place lies in that area or below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.regions.index import RegionIndex
from ecoradar.regions.models import LEVELS, Region
from ecoradar.regions.service import smallest_region

DEFAULT_OFFICE_LEVEL = "county"


@dataclass(frozen=True)
class Route:
    region: Region
    office: Region


def office_for(region: Region, *, session: Session, office_level: str) -> Region:
    """The nearest area at or above ``region`` whose level is ``office_level`` or higher."""
    wanted = LEVELS.index(office_level)
    current: Region | None = region
    while current is not None:
        if LEVELS.index(current.level) <= wanted:
            return current
        current = session.get(Region, current.parent_id) if current.parent_id else None
    return region


def route(
    *,
    session: Session,
    index: RegionIndex,
    lat: float,
    lon: float,
    office_level: str = DEFAULT_OFFICE_LEVEL,
    region_id: int | None = None,
) -> Route:
    """Region and responsible office for a place; a place outside every area is refused.

    ``region_id`` overrides the lookup when the caller already knows the area (an enterprise's
    registered area for its monitoring alerts).
    """
    if region_id is not None:
        known = session.get(Region, region_id)
        if known is None:
            raise NotFoundError(f"region_id: no region {region_id}")
        return Route(known, office_for(known, session=session, office_level=office_level))
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
        raise InputError(f"location: ({lat}, {lon}) is not a WGS84 latitude/longitude")
    try:
        region = smallest_region(session=session, index=index, lon=lon, lat=lat)
    except NotFoundError as exc:
        raise InputError(
            f"location: ({lat:.6f}, {lon:.6f}) is outside this bureau's jurisdiction"
        ) from exc
    return Route(
        region=region, office=office_for(region, session=session, office_level=office_level)
    )


def escalation_target(office: Region, *, session: Session) -> Region:
    """The area one level above the responsible office (the office itself at the top)."""
    if office.parent_id is None:
        return office
    parent = session.get(Region, office.parent_id)
    return parent if parent is not None else office
