"""The registry over HTTP (read-only here; imports go through the command line).

Staff read the enterprises of their region subtree (administrators all of them); an enterprise
user reads its own entry only. Outside that, an enterprise is not found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from ecoradar.registry import service
from ecoradar.registry.models import Enterprise
from ecoradar.registry.schemas import EnterprisePageRead, EnterpriseRead, EnterpriseSummary
from ecoradar.web.deps import ReaderSession, StaffSession

router = APIRouter(prefix="/api/enterprises", tags=["registry"])


@router.get("")
def list_enterprises(
    session: StaffSession,
    q: Annotated[str, Query(max_length=100)] = "",
    industry: Annotated[str | None, Query(max_length=8)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> EnterprisePageRead:
    """Search enterprises by name, code or address; one page."""
    result = service.search_enterprises(
        session=session, query=q, industry=industry, page=page, per_page=per_page
    )
    return EnterprisePageRead(
        items=[EnterpriseSummary.of(e) for e in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.get(".geojson")
def enterprises_geojson(session: StaffSession) -> dict[str, Any]:
    """Every enterprise as a GeoJSON point (WGS84), for the map."""
    rows = session.execute(
        select(
            Enterprise.code,
            Enterprise.name,
            Enterprise.industry,
            Enterprise.longitude,
            Enterprise.latitude,
        ).order_by(Enterprise.code)
    ).all()
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"code": code, "name": name, "industry": industry},
            }
            for code, name, industry, lon, lat in rows
        ],
    }


@router.get("/{code}")
def get_enterprise(session: ReaderSession, code: str) -> EnterpriseRead:
    """One enterprise with its outlets, monitoring points and limits."""
    return EnterpriseRead.detail(service.enterprise_by_code(session=session, code=code))
