"""What the inspection-draw API reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ecoradar.core.clock import CHINA_TZ
from ecoradar.inspections.draw import DEFAULT_INSPECTORS
from ecoradar.inspections.models import Conflict, Draw, Inspection
from ecoradar.inspections.public import PublicDraw
from ecoradar.inspections.service import MAX_INSPECTORS, Plan
from ecoradar.problems.models import CATEGORIES, SEVERITIES

Outcome = Literal["clean", "findings", "refused"]


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(min_length=4, max_length=32, examples=["2026-12", "2026-Q4"])
    region: str | None = Field(default=None, max_length=32, description="default: your region")
    seed: str | None = Field(default=None, max_length=128, description="default: generated")
    inspectors_per_inspection: int = Field(default=DEFAULT_INSPECTORS, ge=1, le=MAX_INSPECTORS)
    dry_run: bool = False


class InspectionRead(BaseModel):
    id: int
    draw_id: int
    period: str
    enterprise_code: str
    enterprise_name: str
    colour: str
    coded: bool
    state: str
    inspectors: list[str]
    outcome: str | None
    result_text: str | None
    problem_ids: list[int]
    done_at: datetime | None

    @classmethod
    def of(cls, row: Inspection) -> InspectionRead:
        return cls(
            id=row.id,
            draw_id=row.draw_id,
            period=row.draw.period,
            enterprise_code=row.enterprise.code,
            enterprise_name=row.enterprise.name,
            colour=row.colour,
            coded=row.coded,
            state=row.state,
            inspectors=[i.username for i in row.inspectors],
            outcome=row.outcome,
            result_text=row.result_text,
            problem_ids=list(row.problem_ids or []),
            done_at=row.done_at,
        )


class PlannedRead(BaseModel):
    enterprise_code: str
    enterprise_name: str
    colour: str
    coded: bool
    staffed: bool
    inspectors: list[str]


class DrawRead(BaseModel):
    id: int | None = Field(description="None for a dry run")
    period: str
    period_start: date
    period_end: date
    region: str
    seed: str
    algorithm: str
    rates: dict[str, float]
    uncoded_colour: str
    inspectors_per_inspection: int
    model_version: str
    candidates: int
    created_at: datetime | None
    created_by: str | None
    inspections: list[InspectionRead] = []
    planned: list[PlannedRead] = Field(default=[], description="a dry run's draw")

    @classmethod
    def of(cls, row: Draw) -> DrawRead:
        return cls(
            id=row.id,
            period=row.period,
            period_start=row.period_start,
            period_end=row.period_end,
            region=row.region.code,
            seed=row.seed,
            algorithm=row.algorithm,
            rates=row.rates,
            uncoded_colour=row.uncoded_colour,
            inspectors_per_inspection=row.inspectors_per_inspection,
            model_version=row.model_version,
            candidates=len(row.candidates),
            created_at=row.created_at,
            created_by=row.created_by,
            inspections=[InspectionRead.of(i) for i in row.inspections],
        )

    @classmethod
    def planned_from(cls, plan: Plan) -> DrawRead:
        from ecoradar.inspections.draw import ALGORITHM

        names = plan.by_code
        return cls(
            id=None,
            period=plan.period.label,
            period_start=plan.period.start,
            period_end=plan.period.end,
            region=plan.region.code,
            seed=plan.seed,
            algorithm=ALGORITHM,
            rates=plan.rates,
            uncoded_colour=plan.uncoded_colour,
            inspectors_per_inspection=plan.inspectors_per_inspection,
            model_version=plan.model_version,
            candidates=len(plan.candidates),
            created_at=None,
            created_by=None,
            planned=[
                PlannedRead(
                    enterprise_code=d.code,
                    enterprise_name=names[d.code].name,
                    colour=d.colour,
                    coded=d.coded,
                    staffed=d.staffed,
                    inspectors=list(d.inspectors),
                )
                for d in plan.drawn
            ],
        )


class ExpectedRead(BaseModel):
    region: str
    candidates: int
    by_colour: dict[str, int]
    expected: dict[str, float]
    expected_total: float
    rates: dict[str, float]
    uncoded_colour: str


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=24, description=", ".join(CATEGORIES))
    severity: str = Field(default="medium", max_length=8, description=", ".join(SEVERITIES))
    description: str = Field(min_length=1, max_length=5000)


class ResultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    text: str = Field(default="", max_length=5000)
    findings: list[FindingIn] = Field(default=[], max_length=20)
    photo_ids: list[int] = Field(default=[], max_length=20, description="your own uploads")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class PhotoRead(BaseModel):
    media_id: int


class ConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(min_length=1, max_length=18)
    reason: str = Field(min_length=1, max_length=2000)
    since: date | None = None
    inspector: str | None = Field(default=None, max_length=64, description="admins only")


class ConflictRead(BaseModel):
    id: int
    inspector: str
    enterprise_code: str
    enterprise_name: str
    reason: str
    since: date
    declared_at: datetime
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, row: Conflict, inspector: str) -> ConflictRead:
        return cls(
            id=row.id,
            inspector=inspector,
            enterprise_code=row.enterprise.code,
            enterprise_name=row.enterprise.name,
            reason=row.reason,
            since=row.since,
            declared_at=row.declared_at,
            withdrawn_at=row.withdrawn_at,
        )


class PublicItemRead(BaseModel):
    enterprise_code: str
    enterprise_name: str
    colour: str
    coded: bool
    status: str
    inspected_on: date | None


class PublicDrawRead(BaseModel):
    number: int
    period: str
    period_start: date
    period_end: date
    region_code: str
    region_name: str
    seed: str
    algorithm: str
    rates: dict[str, float]
    uncoded_colour: str
    inspectors_per_inspection: int
    model_version: str
    published_at: datetime = Field(description="China time, with its offset")
    candidates: list[tuple[str, str | None]] = Field(
        description="[enterprise code, colour or null], by code: the draw's input"
    )
    drawn: list[PublicItemRead]

    @classmethod
    def of(cls, view: PublicDraw) -> PublicDrawRead:
        return cls(
            number=view.number,
            period=view.period,
            period_start=view.period_start,
            period_end=view.period_end,
            region_code=view.region_code,
            region_name=view.region_name,
            seed=view.seed,
            algorithm=view.algorithm,
            rates=view.rates,
            uncoded_colour=view.uncoded_colour,
            inspectors_per_inspection=view.inspectors_per_inspection,
            model_version=view.model_version,
            published_at=view.published_at.astimezone(CHINA_TZ),
            candidates=view.candidates,
            drawn=[PublicItemRead(**item.__dict__) for item in view.items],
        )


class PublicDrawSummary(BaseModel):
    number: int
    period: str
    region_code: str
    region_name: str
    seed: str
    drawn: int
    published_at: datetime

    @classmethod
    def of(cls, row: Draw) -> PublicDrawSummary:
        return cls(
            number=row.id,
            period=row.period,
            region_code=row.region.code,
            region_name=row.region.name,
            seed=row.seed,
            drawn=len(row.inspections),
            published_at=row.created_at.astimezone(CHINA_TZ),
        )
