"""Patrols over HTTP (thin): the plans per level, a grid worker's schedule, starting a patrol,
sending its track and ending it. Refusals: 422 naming the field, 409 for a patrol under way or
ended, 403 for the wrong role; a patrol one may not see is 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.patrols import service
from ecoradar.patrols.schemas import (
    EndIn,
    PatrolDetail,
    PatrolRead,
    PlanIn,
    ScheduleRead,
    SlotRead,
    TrackIn,
)
from ecoradar.web.deps import AdminDep, ContainerDep, SessionDep, StaffDep, require_roles

router = APIRouter(prefix="/api/patrols", tags=["patrols"])

WorkerDep = Annotated[Principal, Depends(require_roles("grid_worker"))]
PatrolId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/plans")
def get_plans(session: SessionDep, principal: StaffDep) -> dict[str, int]:
    """How often each level of area is patrolled, in hours."""
    return service.plans(session)


@router.put("/plans/{level}")
def put_plan(
    level: str, body: PlanIn, session: SessionDep, box: ContainerDep, principal: AdminDep
) -> dict[str, int]:
    """Set how often areas of ``level`` are patrolled (1 hour to 90 days)."""
    return service.set_plan(
        session=session,
        principal=principal,
        level=level,
        every_hours=body.every_hours,
        now=box.clock.now(),
    )


@router.get("/schedule")
def schedule(session: SessionDep, box: ContainerDep, principal: WorkerDep) -> ScheduleRead:
    """The worker's patrol schedule: the last periods, done or not, and whether one is due."""
    mine = service.schedule_for(session=session, principal=principal, now=box.clock.now())
    s = mine.schedule
    return ScheduleRead(
        region_code=mine.region.code,
        level=mine.region.level,
        every_hours=mine.every_hours,
        due_now=s.due_now,
        completion=s.completion,
        running_patrol_id=mine.running.id if mine.running else None,
        slots=[
            SlotRead(
                start=x.start.astimezone(CHINA_TZ), end=x.end.astimezone(CHINA_TZ), done=x.done
            )
            for x in s.slots
        ],
    )


@router.post("", status_code=201)
def start(session: SessionDep, box: ContainerDep, principal: WorkerDep) -> PatrolRead:
    """Start a patrol of your grid (409 while another is under way)."""
    return PatrolRead.of(
        service.start_patrol(session=session, principal=principal, now=box.clock.now())
    )


@router.post("/{patrol_id}/track")
def track(
    patrol_id: PatrolId, body: TrackIn, session: SessionDep, box: ContainerDep, principal: WorkerDep
) -> PatrolRead:
    """Append the browser's positions to your patrol under way."""
    patrol = service.add_points(
        session=session,
        principal=principal,
        patrol_id=patrol_id,
        points=[p.point() for p in body.points],
        now=box.clock.now(),
    )
    return PatrolRead.of(patrol)


@router.post("/{patrol_id}/end")
def end(
    patrol_id: PatrolId, body: EndIn, session: SessionDep, box: ContainerDep, principal: WorkerDep
) -> PatrolRead:
    """End your patrol with its last positions and a note."""
    patrol = service.end_patrol(
        session=session,
        principal=principal,
        patrol_id=patrol_id,
        points=[p.point() for p in body.points],
        note=body.note,
        now=box.clock.now(),
    )
    return PatrolRead.of(patrol)


@router.get("/{patrol_id}")
def detail(
    patrol_id: PatrolId,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_roles("grid_worker", "officer", "admin"))],
) -> PatrolDetail:
    """A patrol with its track: its worker, or an officer covering its area."""
    p = service.get_patrol(session=session, principal=principal, patrol_id=patrol_id)
    return PatrolDetail(**PatrolRead.of(p).model_dump(), track=p.track)
