"""Self-inspection pages: the enterprise's phone-first portal (today's and overdue tasks,
reminders, a task form item by item with photos and the browser's position), the printable QR
sheet of an enterprise's control points, and the officers' statistics page.

Handlers stay thin: they call ``ecoradar.selfcheck.service`` (what the JSON API calls). The
task form posts here (multipart, with ``csrf_token``): photos are stored and the task submitted
in one savepoint, so a refusal leaves nothing behind and shows the form again with its message.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck import service, stats
from ecoradar.selfcheck.checks import FAR_METRES
from ecoradar.selfcheck.qr import point_url, qr_svg
from ecoradar.selfcheck.schedule import china_date
from ecoradar.selfcheck.templates import items_of
from ecoradar.web.deps import ContainerDep, PageReaderDep, SessionDep
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

Day = Annotated[str, Query(max_length=10)]


@router.get("/selfcheck", response_model=None)
def home(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse | RedirectResponse:
    """An enterprise user's portal; staff go to the statistics."""
    if principal.role != "enterprise" or principal.enterprise_id is None:
        return RedirectResponse("/selfcheck/stats", status_code=303)
    now = box.clock.now()
    found = service.list_tasks(
        session=session,
        principal=principal,
        filters=service.TaskFilter(open_only=True),
        today=china_date(now),
        now=now,
        per_page=200,
    )
    enterprise = session.get(Enterprise, principal.enterprise_id)
    return render(
        request,
        "selfcheck/portal.html",
        tasks=found.tasks,
        total=found.total,
        now=now,
        today=china_date(now),
        enterprise=enterprise,
        notifications=service.notifications_for(
            session=session, enterprise_id=principal.enterprise_id, limit=10
        ),
        done=done == "submitted",
        has_points=bool(service.list_points(session=session, principal=principal)),
    )


def _task_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


def _missing(request: Request) -> HTMLResponse:
    return render(request, "404.html", status_code=404, code=None)


def _task_page(
    request: Request,
    session: Session,
    box: Container,
    principal: Principal,
    task_id: int,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    done: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    task = service.get_task(session=session, principal=principal, task_id=task_id)
    now = box.clock.now()
    point = task.point
    return render(
        request,
        "selfcheck/task.html",
        status_code=status_code,
        task=task,
        point=point,
        items=items_of(task.template_version),
        overdue=task.state != "submitted" and task.due_at < now,
        answerable=task.state != "submitted"
        and principal.role == "enterprise"
        and principal.enterprise_id == task.enterprise_id,
        far_metres=int(FAR_METRES),
        error=error,
        values=values or {},
        done=done,
    )


@router.get("/selfcheck/tasks/{task_id}")
def task_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    task_id: str,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    number = _task_id(task_id)
    if number is None:
        return _missing(request)
    try:
        return _task_page(request, session, box, principal, number, done=done == "submitted")
    except NotFoundError:
        return _missing(request)


def _position(form: Any) -> tuple[float, float] | None:
    try:
        lat, lon = float(form.get("lat") or ""), float(form.get("lon") or "")
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


@router.post("/selfcheck/tasks/{task_id}", response_model=None)
async def submit_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    task_id: str,
) -> HTMLResponse | RedirectResponse:
    """The task form: answers ``a.<item>``, photos ``p.<item>``, the browser's ``lat``/``lon``."""
    number = _task_id(task_id)
    if number is None:
        return _missing(request)
    limits = MediaLimits.from_settings(box.settings)
    uploads: list[tuple[str, str, bytes]] = []
    async with request.form() as form:  # closes the uploaded files' temporary storage
        answers = {k[2:]: v for k, v in form.items() if k.startswith("a.") and isinstance(v, str)}
        position = _position(form)
        for key, value in form.multi_items():
            if key.startswith("p.") and isinstance(value, UploadFile) and value.filename:
                data = await value.read(limits.max_image_bytes + 1)
                if data:
                    uploads.append((key[2:], value.filename, data))
    try:
        with session.begin_nested():
            now = box.clock.now()
            for item, filename, data in uploads:
                service.add_photo(
                    session=session,
                    principal=principal,
                    task_id=number,
                    item=item,
                    data=data,
                    filename=filename,
                    home=box.settings.home,
                    limits=limits,
                    now=now,
                )
            service.submit_task(
                session=session,
                principal=principal,
                task_id=number,
                answers=answers,
                position=position,
                now=now,
                index=box.regions.get(session),
                policy=load_policy(session=session, settings=box.settings),
                ip=request.client.host if request.client else None,
            )
    except NotFoundError:
        return _missing(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 409
        status = 422 if isinstance(exc, InputError) else status
        return _task_page(
            request, session, box, principal, number, error=str(exc), values=answers,
            status_code=status,
        )  # fmt: skip
    return RedirectResponse(f"/selfcheck/tasks/{number}?done=submitted", status_code=303)


@router.get("/selfcheck/points/{point_id}/current", response_model=None)
def current(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    point_id: str,
) -> HTMLResponse | RedirectResponse:
    """Where a point's QR code leads: its open task (or the latest one)."""
    number = _task_id(point_id)
    if number is None:
        return _missing(request)
    now = box.clock.now()
    try:
        task = service.current_task(
            session=session, principal=principal, point_id=number, today=china_date(now), now=now
        )
    except NotFoundError:
        return _missing(request)
    if task is None:
        return render(request, "selfcheck/no_task.html", status_code=404)
    return RedirectResponse(f"/selfcheck/tasks/{task.id}", status_code=303)


@router.get("/selfcheck/qr")
def qr_sheet(
    request: Request,
    session: SessionDep,
    principal: PageReaderDep,
    box: ContainerDep,
    enterprise: Annotated[str, Query(max_length=18)] = "",
) -> HTMLResponse:
    """A printable sheet: one QR code per control point of an enterprise."""
    code = enterprise
    if not code and principal.enterprise_id is not None:
        own = session.get(Enterprise, principal.enterprise_id)
        code = own.code if own else ""
    points = service.list_points(session=session, principal=principal, enterprise_code=code)
    if not points and not enterprise and principal.enterprise_id is not None:
        own = session.get(Enterprise, principal.enterprise_id)  # none yet: say so, not 404
        if own is not None:
            return render(request, "selfcheck/qr.html", enterprise=own, sheet=[])
    if not points:
        return _missing(request)
    base = box.settings.public_url or str(request.base_url)
    sheet = [(p, point_url(base, p.id), qr_svg(point_url(base, p.id), scale=5)) for p in points]
    return render(request, "selfcheck/qr.html", enterprise=points[0].enterprise, sheet=sheet)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/selfcheck/stats")
def stats_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    by: Annotated[str, Query(max_length=12)] = "enterprise",
    region: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    group = by if by in stats.GROUPS else "enterprise"
    error = None
    if (date_from and _day(date_from) is None) or (date_to and _day(date_to) is None):
        error = "date"
    query = stats.StatsQuery(
        date_from=_day(date_from),
        date_to=_day(date_to),
        group_by=group,
        region_code=region or None,
    )
    try:
        result = stats.figures(
            session=session, query=query, now=box.clock.now(), scope=service.visible(principal)
        )
    except NotFoundError:
        error, result = "region", {}
    regions = []
    if principal.is_staff:
        regions = list(
            session.scalars(
                select(Region).where(Region.level.in_(("city", "county"))).order_by(Region.code)
            )
        )
    params = {"from": date_from, "to": date_to, "by": group, "region": region}
    return render(
        request,
        "selfcheck/stats.html",
        status_code=422 if error else 200,
        result=result,
        params=params,
        groups=stats.GROUPS,
        regions=regions,
        may_setup=principal.has_role("admin", "officer"),
        error=error,
        csv_link="/api/selfcheck/stats/export" + query_string(**params, format="csv"),
        xlsx_link="/api/selfcheck/stats/export" + query_string(**params, format="xlsx"),
    )
