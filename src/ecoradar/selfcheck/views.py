"""Self-inspection over HTTP: point types, checklists, control points, tasks, photo upload,
submission, reminders, figures and their export. Staff and enterprise users; an enterprise
user sees (and answers) only its own enterprise's tasks, anything else answers 404."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems.policy import load_policy
from ecoradar.selfcheck import service, stats, templates
from ecoradar.selfcheck.models import PointType
from ecoradar.selfcheck.qr import point_url, qr_svg
from ecoradar.selfcheck.schedule import china_date
from ecoradar.selfcheck.schemas import (
    NotificationRead,
    PhotoRead,
    PointRead,
    PointTypeIn,
    PointTypeRead,
    SubmitIn,
    TaskDetail,
    TaskPageRead,
    TaskRead,
    VersionIn,
    VersionIssued,
    VersionRead,
)
from ecoradar.web.deps import AdminDep, ContainerDep, ReaderDep, SessionDep

router = APIRouter(prefix="/api/selfcheck", tags=["self-inspection"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
TypeCode = Annotated[str, Path(min_length=2, max_length=32)]


class View(StrEnum):
    open = "open"
    all = "all"


class StatsGroup(StrEnum):
    enterprise = "enterprise"
    industry = "industry"
    region = "region"
    day = "day"
    week = "week"
    month = "month"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def defaults_stored(box: ContainerDep) -> None:
    """The built-in types and checklists, stored (when missing) in a unit of work of their own,
    before a GET's read-only one begins."""
    with box.reading() as session:
        if not templates.missing_defaults(session):
            return
    box.write(lambda session: templates.ensure_defaults(session=session, now=box.clock.now()))


DefaultsStored = Annotated[None, Depends(defaults_stored)]


@router.get("/point-types", response_model=list[PointTypeRead])
def list_point_types(_ready: DefaultsStored, session: SessionDep, _: ReaderDep) -> list[PointType]:
    return list(session.scalars(select(PointType).order_by(PointType.id)))


@router.post("/point-types", response_model=PointTypeRead, status_code=201)
def add_point_type(
    body: PointTypeIn, session: SessionDep, box: ContainerDep, principal: AdminDep
) -> PointType:
    """Administrators add a control point type (with its checklist's version 1)."""
    return templates.add_point_type(
        session=session,
        code=body.code,
        name=body.name,
        name_en=body.name_en,
        category=body.category,
        items=body.items,
        now=box.clock.now(),
        actor=principal.actor,
    )


@router.get("/templates", response_model=list[VersionRead])
def current_templates(
    _ready: DefaultsStored, session: SessionDep, _: ReaderDep
) -> list[VersionRead]:
    """The current checklist version of every point type."""
    return [
        VersionRead.of(templates.current_version(session=session, point_type_id=t.id))
        for t in session.scalars(select(PointType).order_by(PointType.id))
    ]


@router.post("/templates/{type_code}/versions", response_model=VersionIssued)
def issue_version(
    type_code: TypeCode,
    body: VersionIn,
    session: SessionDep,
    box: ContainerDep,
    principal: AdminDep,
) -> VersionIssued:
    """A new checklist version (unless the items equal the current one); issued tasks keep
    theirs."""
    issued = templates.issue_version(
        session=session,
        point_type_code=type_code,
        items=body.items,
        name=body.name,
        now=box.clock.now(),
        actor=principal.actor,
    )
    return VersionIssued(created=issued.created, version=VersionRead.of(issued.version))


@router.get("/points", response_model=list[PointRead])
def list_points(
    session: SessionDep,
    principal: ReaderDep,
    enterprise: Annotated[str | None, Query(max_length=18, description="Credit code")] = None,
) -> list[PointRead]:
    points = service.list_points(session=session, principal=principal, enterprise_code=enterprise)
    return [PointRead.of(p) for p in points]


@router.get("/points/{point_id}", response_model=PointRead)
def get_point(point_id: Id, session: SessionDep, principal: ReaderDep) -> PointRead:
    return PointRead.of(service.get_point(session=session, principal=principal, point_id=point_id))


@router.get("/points/{point_id}/qr.svg", response_class=Response)
def point_qr(point_id: Id, request: Request, session: SessionDep, principal: ReaderDep) -> Response:
    """A QR code (SVG) that opens the point's current task."""
    point = service.get_point(session=session, principal=principal, point_id=point_id)
    svg = qr_svg(point_url(str(request.base_url), point.id))
    return Response(svg, media_type="image/svg+xml")


@router.get("/tasks", response_model=TaskPageRead)
def list_tasks(
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
    view: View | None = None,
    state: Annotated[str | None, Query(pattern="^(pending|submitted|overdue)$")] = None,
    enterprise: Annotated[str | None, Query(max_length=18)] = None,
    point: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    due_from: Annotated[date | None, Query(alias="from")] = None,
    due_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TaskPageRead:
    """Tasks you may see, overdue first. ``view=open`` (an enterprise user's default): due
    today or overdue, not submitted."""
    now = box.clock.now()
    chosen = view or (View.open if principal.role == "enterprise" else View.all)
    filters = service.TaskFilter(
        open_only=chosen is View.open,
        state=state,
        enterprise_code=enterprise,
        point_id=point,
        due_from=due_from,
        due_to=due_to,
    )
    found = service.list_tasks(
        session=session,
        principal=principal,
        filters=filters,
        today=china_date(now),
        now=now,
        page=page,
        per_page=per_page,
    )
    return TaskPageRead(
        items=[TaskRead.of(t, now) for t in found.tasks],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/tasks/{task_id}", response_model=TaskDetail)
def get_task(task_id: Id, session: SessionDep, box: ContainerDep, principal: ReaderDep) -> Any:
    task = service.get_task(session=session, principal=principal, task_id=task_id)
    return TaskDetail.detail(task, box.clock.now())


@router.post("/tasks/{task_id}/photos", response_model=PhotoRead, status_code=201)
async def add_photo(
    task_id: Id,
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
    file: Annotated[UploadFile, File()],
    item: Annotated[str, Form(max_length=40)],
) -> Any:
    """A photo for a photo item of an open task (multipart ``file``, ``item``); its EXIF
    position and time are kept, and a position far from the point is flagged."""
    limits = MediaLimits.from_settings(box.settings)
    data = await file.read(limits.max_image_bytes + 1)
    return service.add_photo(
        session=session,
        principal=principal,
        task_id=task_id,
        item=item,
        data=data,
        filename=file.filename or "photo.jpg",
        home=box.settings.home,
        limits=limits,
        now=box.clock.now(),
    )


@router.post("/tasks/{task_id}/submit", response_model=TaskDetail)
def submit(
    task_id: Id,
    body: SubmitIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
) -> Any:
    """Answer and lock a task: ``{"answers": {code: value}, "lat", "lon"}`` (photo items are
    answered by the uploaded photos). 422 names what is missing; 409 once submitted."""
    if (body.lat is None) != (body.lon is None):
        raise InputError("lat, lon: give both or neither")
    now = box.clock.now()
    task = service.submit_task(
        session=session,
        principal=principal,
        task_id=task_id,
        answers=body.answers,
        position=(body.lat, body.lon) if body.lat is not None and body.lon is not None else None,
        now=now,
        index=box.regions.get(session),
        policy=load_policy(session=session, settings=box.settings),
        ip=request.client.host if request.client else None,
    )
    return TaskDetail.detail(task, now)


@router.get("/notifications", response_model=list[NotificationRead])
def notifications(session: SessionDep, principal: ReaderDep) -> list[NotificationRead]:
    """An enterprise user's reminders (due soon, overdue), newest first."""
    if principal.enterprise_id is None:
        return []
    rows = service.notifications_for(session=session, enterprise_id=principal.enterprise_id)
    return [
        NotificationRead(
            id=n.id,
            kind=n.kind,
            created_at=n.created_at,
            task_id=t.id,
            due_date=t.due_date,
            point_name=p.name,
        )
        for n, t, p in rows
    ]


def _stats_query(
    session: SessionDep,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    by: StatsGroup | None = None,
    region: Annotated[str | None, Query(max_length=32)] = None,
    industry: Annotated[str | None, Query(max_length=8)] = None,
    enterprise: Annotated[str | None, Query(max_length=18)] = None,
    level: Annotated[str, Query(pattern="^(province|city|county|township|grid)$")] = "county",
) -> stats.StatsQuery:
    if date_from and date_to and date_from > date_to:
        raise InputError("from: after to")
    return stats.StatsQuery(
        date_from=date_from,
        date_to=date_to,
        group_by=by.value if by else None,
        region_code=region or None,
        industry=industry or None,
        enterprise_code=enterprise or None,
        region_level=level,
    )


StatsQueryDep = Annotated[stats.StatsQuery, Depends(_stats_query)]


def scoped_figures(
    session: SessionDep, principal: Principal, query: stats.StatsQuery, now: Any
) -> dict[str, Any]:
    return stats.figures(session=session, query=query, now=now, scope=service.visible(principal))


@router.get("/stats")
def figures(
    session: SessionDep, box: ContainerDep, principal: ReaderDep, query: StatsQueryDep
) -> dict[str, Any]:
    """Enterprises and control points under management; tasks sent, completed, on time,
    late, overdue, open, failed; ``by`` adds ``groups``."""
    return scoped_figures(session, principal, query, box.clock.now())


@router.get("/stats/export", response_class=Response)
def export(
    session: SessionDep,
    box: ContainerDep,
    principal: ReaderDep,
    query: StatsQueryDep,
    format: ExportFormat = ExportFormat.csv,
) -> Response:
    """The figures as CSV (UTF-8 with BOM, for spreadsheet programs) or XLSX."""
    result = scoped_figures(session, principal, query, box.clock.now())
    name = f"selfcheck-stats-{china_date(box.clock.now()).isoformat()}"
    if format is ExportFormat.xlsx:
        return Response(
            stats.to_xlsx(result),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        "\ufeff" + stats.to_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
