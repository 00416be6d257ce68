"""Inspection draws over HTTP. Staff: draws (officers in their scope, administrators), the
expected numbers before a draw, inspections and their results, one's own list, conflicts of
interest. Anyone: the published draws (``/api/public/inspections``), without inspectors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import NotFoundError
from ecoradar.greencode.service import model_for
from ecoradar.inspections import conflicts, public, results, service
from ecoradar.inspections.schemas import (
    ConflictIn,
    ConflictRead,
    DrawIn,
    DrawRead,
    ExpectedRead,
    InspectionRead,
    PhotoRead,
    PublicDrawRead,
    PublicDrawSummary,
    ResultBody,
)
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems.policy import load_policy
from ecoradar.web.deps import ContainerDep, SessionDep, StaffDep, require_roles

router = APIRouter(prefix="/api/inspections", tags=["inspections"])
public_router = APIRouter(prefix="/api/public/inspections", tags=["inspections"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
DrawerDep = Annotated[Principal, Depends(require_roles(*service.DRAW_ROLES))]


def _ip(request: Request) -> str | None:
    return request.client.host[:64] if request.client else None


@router.get("/draws", response_model=list[DrawRead])
def list_draws(session: SessionDep, principal: StaffDep) -> list[DrawRead]:
    """The draws of regions within your scope, newest first."""
    return [DrawRead.of(d) for d in service.list_draws(session=session, principal=principal)]


@router.post("/draws", response_model=DrawRead, status_code=201)
def make_draw(
    body: DrawIn, session: SessionDep, box: ContainerDep, principal: DrawerDep
) -> DrawRead:
    """Draw (and store, unless ``dry_run``) the inspections of a period in a region within your
    scope. 409 when another draw covers the region in an overlapping period."""
    plan = service.plan_draw(
        session=session,
        principal=principal,
        period=body.period,
        region_code=body.region,
        model=model_for(box.settings),
        seed=body.seed,
        inspectors_per_inspection=body.inspectors_per_inspection,
    )
    if body.dry_run:
        return DrawRead.planned_from(plan)
    row = service.store_plan(session=session, principal=principal, plan=plan, now=box.clock.now())
    return DrawRead.of(row)


@router.get("/draws/{draw_id}", response_model=DrawRead)
def get_draw(draw_id: Id, session: SessionDep, principal: StaffDep) -> DrawRead:
    return DrawRead.of(service.get_draw(session=session, principal=principal, draw_id=draw_id))


@router.get("/expected", response_model=ExpectedRead)
def expected(
    session: SessionDep,
    box: ContainerDep,
    principal: DrawerDep,
    region: Annotated[str | None, Query(max_length=32)] = None,
) -> ExpectedRead:
    """Before a draw: the candidates per colour and the number expected to be drawn."""
    found = service.expectation(
        session=session, principal=principal, region_code=region, model=model_for(box.settings)
    )
    return ExpectedRead(**found.__dict__)


@router.get("/mine", response_model=list[InspectionRead])
def mine(
    session: SessionDep, principal: StaffDep, open_only: Annotated[bool, Query()] = True
) -> list[InspectionRead]:
    """The inspections you were drawn for (open ones by default)."""
    if principal.user_id is None:
        return []
    rows = service.assigned_to(session=session, user_id=principal.user_id, open_only=open_only)
    return [InspectionRead.of(r) for r in rows]


@router.get("/conflicts", response_model=list[ConflictRead])
def list_conflicts(
    session: SessionDep, principal: StaffDep, all: Annotated[bool, Query()] = False
) -> list[ConflictRead]:
    """Declared conflicts of interest (in force; ``all`` also the withdrawn)."""
    rows = conflicts.list_conflicts(session=session, principal=principal, active_only=not all)
    names = conflicts.usernames(session, rows)
    return [ConflictRead.of(r, names.get(r.inspector_id, "")) for r in rows]


@router.post("/conflicts", response_model=ConflictRead, status_code=201)
def declare_conflict(
    body: ConflictIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: DrawerDep,
) -> ConflictRead:
    """Declare your conflict of interest with an enterprise (an administrator: anyone's)."""
    row = conflicts.declare(
        session=session,
        principal=principal,
        enterprise_code=body.enterprise,
        reason=body.reason,
        since=body.since,
        now=box.clock.now(),
        inspector=body.inspector,
        ip=_ip(request),
    )
    return ConflictRead.of(row, conflicts.usernames(session, [row])[row.inspector_id])


@router.post("/conflicts/{conflict_id}/withdraw", response_model=ConflictRead)
def withdraw_conflict(
    conflict_id: Id,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: DrawerDep,
) -> ConflictRead:
    row = conflicts.withdraw(
        session=session,
        principal=principal,
        conflict_id=conflict_id,
        now=box.clock.now(),
        ip=_ip(request),
    )
    return ConflictRead.of(row, conflicts.usernames(session, [row])[row.inspector_id])


@router.get("/{inspection_id}", response_model=InspectionRead)
def get_inspection(inspection_id: Id, session: SessionDep, principal: StaffDep) -> InspectionRead:
    row = service.get_inspection(session=session, principal=principal, inspection_id=inspection_id)
    return InspectionRead.of(row)


@router.post("/{inspection_id}/photos", response_model=PhotoRead, status_code=201)
async def upload_photo(
    inspection_id: Id,
    session: SessionDep,
    box: ContainerDep,
    principal: DrawerDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
) -> PhotoRead:
    """A photo for the on-site record of an inspection you may record; its id goes into the
    result's ``photo_ids``."""
    row = service.get_inspection(session=session, principal=principal, inspection_id=inspection_id)
    if not results.may_record(principal, row):
        raise NotFoundError(f"no inspection {inspection_id}")
    limits = MediaLimits.from_settings(box.settings)
    stored = media.store_upload(
        session=session,
        home=box.settings.home,
        data=await file.read(limits.max_image_bytes + 1),
        filename=file.filename or "photo",
        now=box.clock.now(),
        uploaded_by=principal.actor,
        limits=limits,
    )
    return PhotoRead(media_id=stored.id)


@router.post("/{inspection_id}/result", response_model=InspectionRead)
def record_result(
    inspection_id: Id,
    body: ResultBody,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: DrawerDep,
) -> InspectionRead:
    """Record the result once: ``clean``; ``findings`` (each into the problem register);
    ``refused`` (text and photos: a confirmed ``refused_inspection`` violation)."""
    row = results.record_result(
        session=session,
        principal=principal,
        inspection_id=inspection_id,
        result=results.ResultIn(
            outcome=body.outcome,
            text=body.text,
            findings=tuple(
                results.FindingItem(f.category, f.description, f.severity) for f in body.findings
            ),
            photo_ids=tuple(body.photo_ids),
            lat=body.lat,
            lon=body.lon,
        ),
        now=box.clock.now(),
        index=box.regions.get(session),
        policy=load_policy(session=session, settings=box.settings),
        ip=_ip(request),
    )
    return InspectionRead.of(row)


@public_router.get("", response_model=list[PublicDrawSummary])
def public_list(session: SessionDep) -> list[PublicDrawSummary]:
    """The published draws, newest first (no login)."""
    return [PublicDrawSummary.of(d) for d in public.public_draws(session=session)]


@public_router.get("/{number}", response_model=PublicDrawRead)
def public_one(number: Id, session: SessionDep) -> PublicDrawRead:
    """A published draw: its inputs (to re-run it) and its drawn enterprises with their
    results; never the inspectors (no login)."""
    view = public.public_draw(session=session, number=number)
    if view is None:
        raise NotFoundError(f"no inspection draw {number}")
    return PublicDrawRead.of(view)
