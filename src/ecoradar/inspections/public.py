"""What the public sees of a draw ("one public"): the period, the region, the seed, the
algorithm, the rates, every candidate with its colour (to re-run the draw), and each drawn
enterprise with its colour at draw time and its result — inspected with or without findings,
refused, pending, or not staffed. Never the inspectors' names (staff only), user ids, the
inspections' or problems' ids, or the findings' texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.inspections.models import Draw, Inspection

PUBLIC_STATUSES = ("pending", "no_findings", "findings", "refused", "unstaffed")


def public_status(inspection: Inspection) -> str:
    if inspection.state == "unstaffed":
        return "unstaffed"
    if inspection.state != "done":
        return "pending"
    return {"clean": "no_findings", "findings": "findings"}.get(inspection.outcome or "", "refused")


@dataclass(frozen=True)
class PublicItem:
    enterprise_code: str
    enterprise_name: str
    colour: str
    coded: bool
    status: str
    inspected_on: date | None


@dataclass(frozen=True)
class PublicDraw:
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
    published_at: datetime
    candidates: list[tuple[str, str | None]]
    items: list[PublicItem]

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(PUBLIC_STATUSES, 0)
        for item in self.items:
            out[item.status] += 1
        return out


def view_of(row: Draw) -> PublicDraw:
    return PublicDraw(
        number=row.id,
        period=row.period,
        period_start=row.period_start,
        period_end=row.period_end,
        region_code=row.region.code,
        region_name=row.region.name,
        seed=row.seed,
        algorithm=row.algorithm,
        rates=dict(row.rates),
        uncoded_colour=row.uncoded_colour,
        inspectors_per_inspection=row.inspectors_per_inspection,
        model_version=row.model_version,
        published_at=row.created_at.astimezone(CHINA_TZ),
        candidates=[(str(code), colour) for code, colour in row.candidates],
        items=sorted(
            (
                PublicItem(
                    enterprise_code=i.enterprise.code,
                    enterprise_name=i.enterprise.name,
                    colour=i.colour,
                    coded=i.coded,
                    status=public_status(i),
                    inspected_on=i.done_at.astimezone(CHINA_TZ).date() if i.done_at else None,
                )
                for i in row.inspections
            ),
            key=lambda item: item.enterprise_code,
        ),
    )


def public_draw(*, session: Session, number: int) -> PublicDraw | None:
    row = session.get(Draw, number)
    return view_of(row) if row is not None else None


def public_draws(*, session: Session, limit: int = 100) -> list[Draw]:
    return list(session.scalars(select(Draw).order_by(Draw.id.desc()).limit(limit)))
