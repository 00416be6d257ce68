"""Inspection-draw pages, continued. Staff: ``/inspections/conflicts`` (declare and withdraw
conflicts of interest). Anyone: ``/public/inspections`` and each published draw, without the
inspectors' names (``inspections.public``)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import (
    ConflictError,
    EcoRadarError,
    InputError,
    NotFoundError,
    PermissionDenied,
)
from ecoradar.inspections import conflicts, public, service
from ecoradar.inspections.errors import BadInput
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep
from ecoradar.web.pages_inspections import Text, missing_page, page_number, status_of
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)


def _conflicts_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: EcoRadarError | None = None,
    values: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    rows = conflicts.list_conflicts(session=session, principal=principal)
    return render(
        request,
        "inspections/conflicts.html",
        status_code=status_code,
        conflicts=rows,
        names=service.display_names(session, [c.inspector_id for c in rows]),
        can_declare=principal.has_role("officer", "admin"),
        values=values or {},
        error=str(error) if error is not None else None,
        error_code=getattr(error, "code", ""),
        done=done,
    )


@router.get("/inspections/conflicts")
def conflicts_page(
    request: Request, session: SessionDep, principal: PageStaffDep, done: Text = ""
) -> HTMLResponse:
    return _conflicts_page(request, session, principal, done=done)


@router.post("/inspections/conflicts", response_model=None)
async def declare_page(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageStaffDep
) -> Response:
    async with request.form() as form:
        values = {
            k: str(form.get(k) or "").strip()
            for k in ("enterprise", "reason", "since", "inspector")
        }
    try:
        try:
            since = date.fromisoformat(values["since"]) if values["since"] else None
        except ValueError as exc:
            raise BadInput("since", "since: not a date") from exc
        with session.begin_nested():
            conflicts.declare(
                session=session,
                principal=principal,
                enterprise_code=values["enterprise"],
                reason=values["reason"],
                since=since,
                now=box.clock.now(),
                inspector=values["inspector"] or None,
                ip=request.client.host if request.client else None,
            )
    except (InputError, ConflictError, PermissionDenied, NotFoundError) as exc:
        return _conflicts_page(
            request, session, principal, error=exc, values=values,
            status_code=status_of(exc),
        )  # fmt: skip
    return RedirectResponse("/inspections/conflicts?done=declared", status_code=303)


@router.post("/inspections/conflicts/{conflict_id}/withdraw", response_model=None)
def withdraw_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    conflict_id: str,
) -> Response:
    number = page_number(conflict_id)
    if number is None:
        return missing_page(request)
    try:
        with session.begin_nested():
            conflicts.withdraw(
                session=session,
                principal=principal,
                conflict_id=number,
                now=box.clock.now(),
                ip=request.client.host if request.client else None,
            )
    except (ConflictError, PermissionDenied, NotFoundError) as exc:
        return _conflicts_page(request, session, principal, error=exc, status_code=status_of(exc))
    return RedirectResponse("/inspections/conflicts?done=withdrawn", status_code=303)


# --- public ----------------------------------------------------------------------------------


@router.get("/public/inspections")
def public_list(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "inspections/public_list.html",
        draws=[public.view_of(d) for d in public.public_draws(session=session)],
    )


@router.get("/public/inspections/{number}")
def public_page(request: Request, session: SessionDep, number: str) -> HTMLResponse:
    found = page_number(number)
    view = public.public_draw(session=session, number=found) if found is not None else None
    if view is None:
        return missing_page(request)
    return render(request, "inspections/public.html", view=view)
