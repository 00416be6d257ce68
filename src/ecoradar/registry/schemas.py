"""Registry shapes for the API. Device passwords never leave the server."""

from __future__ import annotations

from pydantic import BaseModel

from ecoradar.registry.models import Enterprise, MonitoringPoint, PointLimit


class LimitRead(BaseModel):
    factor: str
    limit: float
    unit: str
    averaging: str
    o2_reference: float | None
    standard: str | None

    @classmethod
    def of(cls, limit: PointLimit) -> LimitRead:
        return cls(
            factor=limit.factor,
            limit=limit.effective_limit,
            unit=limit.unit,
            averaging=limit.averaging,
            o2_reference=limit.o2_reference,
            standard=limit.standard,
        )


class PointRead(BaseModel):
    mn: str
    medium: str
    protected: bool
    limits: list[LimitRead]

    @classmethod
    def of(cls, point: MonitoringPoint) -> PointRead:
        return cls(
            mn=point.mn,
            medium=point.medium,
            protected=point.protected,
            limits=[LimitRead.of(x) for x in point.limits],
        )


class OutletRead(BaseModel):
    code: str
    name: str
    points: list[PointRead]


class EnterpriseSummary(BaseModel):
    code: str
    name: str
    industry: str
    longitude: float
    latitude: float
    address: str
    region_code: str | None
    region_name: str | None

    @classmethod
    def of(cls, e: Enterprise) -> EnterpriseSummary:
        return cls(
            code=e.code,
            name=e.name,
            industry=e.industry,
            longitude=e.longitude,
            latitude=e.latitude,
            address=e.address,
            region_code=e.region.code if e.region else None,
            region_name=e.region.name if e.region else None,
        )


class EnterpriseRead(EnterpriseSummary):
    outlets: list[OutletRead]

    @classmethod
    def detail(cls, e: Enterprise) -> EnterpriseRead:
        summary = EnterpriseSummary.of(e)
        outlets = [
            OutletRead(code=o.code, name=o.name, points=[PointRead.of(p) for p in o.points])
            for o in e.outlets
        ]
        return cls(**summary.model_dump(), outlets=outlets)


class EnterprisePageRead(BaseModel):
    items: list[EnterpriseSummary]
    total: int
    page: int
    per_page: int
    pages: int
