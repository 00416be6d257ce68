"""Regions over HTTP: the boundaries as GeoJSON, and point lookup (staff only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ecoradar.regions import service
from ecoradar.regions.models import LEVELS
from ecoradar.regions.schemas import RegionRead
from ecoradar.web.deps import ContainerDep, StaffSession

router = APIRouter(prefix="/api/regions", tags=["regions"])


@router.get("")
def regions_geojson(
    session: StaffSession,
    level: Annotated[str | None, Query(pattern="^(" + "|".join(LEVELS) + ")$")] = None,
) -> dict[str, Any]:
    """Every area (or one level) as a GeoJSON FeatureCollection."""
    features = [
        {
            "type": "Feature",
            "geometry": region.geometry,
            "properties": {
                "code": region.code,
                "name": region.name,
                "level": region.level,
                "parent": region.parent.code if region.parent else "",
            },
        }
        for region in service.list_regions(session=session, level=level)
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/locate")
def locate(
    session: StaffSession,
    box: ContainerDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> list[RegionRead]:
    """The areas containing a WGS84 point, smallest first (404 outside every area)."""
    index = box.regions.get(session)
    hits = index.containing(lon, lat)
    if not hits:
        service.smallest_region(session=session, index=index, lon=lon, lat=lat)  # raises 404
    return [RegionRead.of(service.region_by_code(session=session, code=hit.code)) for hit in hits]
