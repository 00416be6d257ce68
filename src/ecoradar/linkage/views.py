"""Suspects over HTTP (staff): for any place, time and category, for a problem, and attaching
one to a problem (officers handling it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, Field

from ecoradar.linkage import hotspots as hotspot_service
from ecoradar.linkage import problem_suspects
from ecoradar.linkage.suspects import as_record, suspects, wind_from
from ecoradar.linkage.suspects_rules import DEFAULT_RADIUS_M, MAX_RADIUS_M, Clue, Suspect
from ecoradar.problems.models import CATEGORIES
from ecoradar.web.deps import ContainerDep, SessionDep, StaffDep

router = APIRouter(prefix="/api", tags=["linkage"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Radius = Annotated[float, Query(gt=0, le=MAX_RADIUS_M)]


class SuspectRead(BaseModel):
    enterprise_code: str
    enterprise_name: str
    industry: str
    score: float
    distance_m: float
    bearing_degrees: float
    reasons: list[str]
    """The reasons in English (pages word the structured ones in the reader's language)."""
    reason_facts: list[dict[str, Any]]
    parts: dict[str, float]
    latitude: float
    longitude: float

    @classmethod
    def of(cls, suspect: Suspect) -> SuspectRead:
        record = as_record(suspect)
        facts = [{"what": r.what, "params": dict(r.params)} for r in suspect.reasons]
        return cls.model_validate(
            {
                **record,
                "reason_facts": facts,
                "latitude": suspect.candidate.lat,
                "longitude": suspect.candidate.lon,
            }
        )


class AttachIn(BaseModel):
    enterprise_code: str = Field(min_length=1, max_length=18)


@router.get("/linkage/suspects", response_model=list[SuspectRead])
def suspects_at(
    session: SessionDep,
    principal: StaffDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    at: Annotated[AwareDatetime, Query()],
    category: Annotated[str, Query(pattern="^(" + "|".join(CATEGORIES) + ")$")],
    radius_m: Radius = DEFAULT_RADIUS_M,
) -> list[SuspectRead]:
    """The enterprises that could have caused a clue at ``lat``/``lon`` and time ``at``, best
    first (what ``ecoradar linkage suspects`` prints)."""
    clue = Clue(lat, lon, at, category, radius_m)
    found = suspects(session=session, clue=clue, wind=wind_from(session))
    return [SuspectRead.of(s) for s in found]


@router.get("/problems/{problem_id}/suspects", response_model=list[SuspectRead])
def problem_suspects_list(
    problem_id: Id,
    session: SessionDep,
    principal: StaffDep,
    radius_m: Radius = DEFAULT_RADIUS_M,
) -> list[SuspectRead]:
    """The suspects of a problem: its place, category and first report's time."""
    _, _, found = problem_suspects.for_problem(
        session=session,
        principal=principal,
        problem_id=problem_id,
        wind=wind_from(session),
        radius_m=radius_m,
    )
    return [SuspectRead.of(s) for s in found]


@router.post("/problems/{problem_id}/suspects/attach", status_code=200)
def attach_suspect(
    problem_id: Id, body: AttachIn, session: SessionDep, box: ContainerDep, principal: StaffDep
) -> dict[str, object]:
    """Make a suspect the problem's enterprise (officers handling the problem)."""
    problem = problem_suspects.attach(
        session=session,
        principal=principal,
        problem_id=problem_id,
        enterprise_code=body.enterprise_code,
        now=box.clock.now(),
        wind=wind_from(session),
    )
    return {"problem_id": problem.id, "enterprise_id": problem.enterprise_id}


@router.get("/linkage/hotspots.geojson")
def hotspot_layer(
    session: SessionDep,
    box: ContainerDep,
    principal: StaffDep,
    at: Annotated[AwareDatetime | None, Query()] = None,
) -> dict[str, object]:
    """The hotspots of the 7 days up to ``at`` (default: now) in your regions, as hexagons
    for the map."""
    found = hotspot_service.hotspots(session, at or box.clock.now())
    index = box.regions.get(session)
    mine = []
    for spot in found:
        hit = index.smallest(spot.lon, spot.lat)
        if principal.is_admin or (hit is not None and principal.covers_region(hit.id)):
            mine.append(spot)
    return hotspot_service.geojson(mine)
