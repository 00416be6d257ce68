"""Inspection-draw pages. Staff: ``/inspections`` (one's own inspections to do, the draws in
scope, and — officers and administrators — a new draw with the expected numbers per colour
before drawing), a draw with its inspections, and an inspection with its result form. The
conflicts of interest and the public pages are in ``pages_inspection_conflicts``.

Handlers stay thin: they call ``ecoradar.inspections`` (what the JSON API calls). A refused
change renders the form again with its message, nothing stored (one savepoint).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import (
    ConflictError,
    EcoRadarError,
    InputError,
    NotFoundError,
    PermissionDenied,
)
from ecoradar.greencode.service import model_for
from ecoradar.inspections import public, results, service
from ecoradar.media.inspect import MediaLimits
from ecoradar.media.service import store_upload
from ecoradar.problems.models import CATEGORIES, SEVERITIES
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

FINDING_ROWS = 3
"""Finding rows the result form offers."""
Text = Annotated[str, Query(max_length=32)]


def page_number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


def missing_page(request: Request) -> HTMLResponse:
    return render(request, "404.html", status_code=404, code=None)


def status_of(exc: EcoRadarError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    return 409 if isinstance(exc, ConflictError) else 422


def next_month(today: date) -> str:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m")


def drawable_regions(session: Session, principal: Principal) -> list[Region]:
    """The regions (above grids) a principal may draw for."""
    if not principal.has_role(*service.DRAW_ROLES):
        return []
    query = select(Region).where(Region.level != "grid").order_by(Region.code)
    if not principal.unrestricted:
        query = query.where(Region.id.in_(sorted(principal.region_ids)))
    return list(session.scalars(query))


def _home(
    request: Request,
    session: Session,
    box: Container,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    error: EcoRadarError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    regions = drawable_regions(session, principal)
    today = box.clock.now().astimezone(CHINA_TZ).date()
    values = values or {}
    region = values.get("region") or (regions[0].code if regions else "")
    expected = None
    if regions:
        try:
            expected = service.expectation(
                session=session,
                principal=principal,
                region_code=region,
                model=model_for(box.settings),
            )
        except EcoRadarError:
            expected = None
    mine = (
        service.assigned_to(session=session, user_id=principal.user_id, open_only=True)
        if principal.user_id is not None
        else []
    )
    return render(
        request,
        "inspections/home.html",
        status_code=status_code,
        draws=service.list_draws(session=session, principal=principal),
        mine=mine,
        regions=regions,
        expected=expected,
        values={
            "region": region,
            "period": values.get("period") or next_month(today),
            "seed": values.get("seed", ""),
            "k": values.get("k", "2"),
        },
        error=str(error) if error is not None else None,
        error_code=getattr(error, "code", ""),
    )


@router.get("/inspections")
def home(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageStaffDep
) -> HTMLResponse:
    return _home(request, session, box, principal)


@router.get("/inspections/expected")
def expected_fragment(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    region: Text = "",
) -> HTMLResponse:
    """The expected numbers per colour for a region (htmx swaps it in as the region changes)."""
    try:
        found = service.expectation(
            session=session,
            principal=principal,
            region_code=region or None,
            model=model_for(box.settings),
        )
    except (NotFoundError, PermissionDenied, InputError):
        return render(request, "inspections/_expected.html", expected=None, status_code=404)
    return render(request, "inspections/_expected.html", expected=found)


@router.post("/inspections/draws", response_model=None)
async def make_draw(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageStaffDep
) -> Response:
    async with request.form() as form:
        values = {k: str(form.get(k) or "").strip() for k in ("region", "period", "seed", "k")}
    k = int(values["k"]) if values["k"].isdigit() and len(values["k"]) < 3 else 0
    try:
        with session.begin_nested():
            row = service.make_draw(
                session=session,
                principal=principal,
                period=values["period"],
                region_code=values["region"] or None,
                model=model_for(box.settings),
                now=box.clock.now(),
                seed=values["seed"] or None,
                inspectors_per_inspection=k,
            )
    except (InputError, ConflictError, PermissionDenied, NotFoundError) as exc:
        return _home(
            request, session, box, principal, values=values, error=exc,
            status_code=status_of(exc),
        )  # fmt: skip
    return RedirectResponse(f"/inspections/draws/{row.id}?done=drawn", status_code=303)


@router.get("/inspections/draws/{draw_id}")
def draw_page(
    request: Request,
    session: SessionDep,
    principal: PageStaffDep,
    draw_id: str,
    done: Text = "",
) -> HTMLResponse:
    number = page_number(draw_id)
    if number is None:
        return missing_page(request)
    try:
        row = service.get_draw(session=session, principal=principal, draw_id=number)
    except NotFoundError:
        return missing_page(request)
    states = [i.state for i in row.inspections]
    return render(
        request,
        "inspections/draw.html",
        draw=row,
        people=service.display_names(
            session, [p.user_id for i in row.inspections for p in i.inspectors]
        ),
        counts={s: states.count(s) for s in ("assigned", "done", "unstaffed")},
        statuses={i.id: public.public_status(i) for i in row.inspections},
        done=done == "drawn",
    )


def _task_page(
    request: Request,
    session: Session,
    principal: Principal,
    inspection_id: int,
    *,
    error: EcoRadarError | None = None,
    values: dict[str, Any] | None = None,
    done: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    row = service.get_inspection(session=session, principal=principal, inspection_id=inspection_id)
    return render(
        request,
        "inspections/task.html",
        status_code=status_code,
        inspection=row,
        people=service.display_names(session, [p.user_id for p in row.inspectors]),
        status=public.public_status(row),
        recordable=row.state == "assigned"
        and principal.has_role("officer", "admin")
        and results.may_record(principal, row),
        categories=CATEGORIES,
        severities=SEVERITIES,
        rows=range(1, FINDING_ROWS + 1),
        values=values or {},
        error=str(error) if error is not None else None,
        error_code=getattr(error, "code", ""),
        done=done,
    )


@router.get("/inspections/tasks/{inspection_id}")
def task_page(
    request: Request,
    session: SessionDep,
    principal: PageStaffDep,
    inspection_id: str,
    done: Text = "",
) -> HTMLResponse:
    number = page_number(inspection_id)
    if number is None:
        return missing_page(request)
    try:
        return _task_page(request, session, principal, number, done=done == "recorded")
    except NotFoundError:
        return missing_page(request)


def _findings(form: dict[str, str]) -> tuple[results.FindingItem, ...]:
    found = []
    for n in range(1, FINDING_ROWS + 1):
        description = form.get(f"f{n}.description", "").strip()
        if description:
            found.append(
                results.FindingItem(
                    category=form.get(f"f{n}.category", "other"),
                    description=description,
                    severity=form.get(f"f{n}.severity", "medium"),
                )
            )
    return tuple(found)


@router.post("/inspections/tasks/{inspection_id}", response_model=None)
async def record_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    inspection_id: str,
) -> Response:
    """The result form: ``outcome``, ``text``, finding rows ``f<n>.category|severity|
    description``, ``photos`` (files, for a refusal)."""
    number = page_number(inspection_id)
    if number is None:
        return missing_page(request)
    limits = MediaLimits.from_settings(box.settings)
    photos: list[tuple[str, bytes]] = []
    async with request.form() as form:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        for key, value in form.multi_items():
            if key == "photos" and isinstance(value, UploadFile) and value.filename:
                data = await value.read(limits.max_image_bytes + 1)
                if data:
                    photos.append((value.filename, data))
    try:
        with session.begin_nested():
            now = box.clock.now()
            row = service.get_inspection(session=session, principal=principal, inspection_id=number)
            if not results.may_record(principal, row):
                raise PermissionDenied("only its inspectors or an officer in scope")
            ids = tuple(
                store_upload(
                    session=session,
                    home=box.settings.home,
                    data=data,
                    filename=name,
                    now=now,
                    uploaded_by=principal.actor,
                    limits=limits,
                ).id
                for name, data in photos
            )
            results.record_result(
                session=session,
                principal=principal,
                inspection_id=number,
                result=results.ResultIn(
                    outcome=values.get("outcome", ""),
                    text=values.get("text", ""),
                    findings=_findings(values),
                    photo_ids=ids,
                ),
                now=now,
                index=box.regions.get(session),
                policy=load_policy(session=session, settings=box.settings),
                ip=request.client.host if request.client else None,
            )
    except NotFoundError:
        return missing_page(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        return _task_page(
            request, session, principal, number, error=exc, values=values,
            status_code=status_of(exc),
        )  # fmt: skip
    return RedirectResponse(f"/inspections/tasks/{number}?done=recorded", status_code=303)
