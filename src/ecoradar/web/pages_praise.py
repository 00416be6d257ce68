"""Praise pages. Officers and administrators: ``/praise`` (a month's ranking of a region's grid
workers and reporters), the praise form of a row (``/praise/new``), the notices
(``/praise/notices``) and a notice with its certificate; the person praised reads their own
notice and certificate too. Staff: ``/stats/praise`` (figures per region and month, a chart).

Handlers stay thin: they call ``ecoradar.praise``. A refused notice renders the form again with
its message, nothing stored (one savepoint)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import EcoRadarError, InputError, NotFoundError, PermissionDenied
from ecoradar.praise import figures, render, rules, service
from ecoradar.praise.views import bureau_of, month_or_last
from ecoradar.regions.models import LEVELS, Region
from ecoradar.web.deps import ContainerDep, PageStaffDep, PageUserDep, SessionDep, page_roles
from ecoradar.web.pages_inspections import missing_page, status_of
from ecoradar.web.templating import query_string
from ecoradar.web.templating import render as render_page

router = APIRouter(include_in_schema=False)

Short = Annotated[str, Query(max_length=32)]
OfficerPage = Annotated[Principal, Depends(page_roles(*service.OFFICER_ROLES))]
MAX_REGIONS = 400


def _regions(session: Session, principal: Principal) -> list[Region]:
    """The regions an officer may pick (their own and every one below it, grids aside)."""
    query = select(Region).where(Region.level != "grid").order_by(Region.code)
    if not principal.unrestricted:
        query = query.where(Region.id.in_(sorted(principal.region_ids)))
    return list(session.scalars(query.limit(MAX_REGIONS)))


@router.get("/praise")
def rankings_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerPage,
    month: Short = "",
    region: Short = "",
) -> HTMLResponse:
    error = None
    try:
        chosen = month_or_last(month, box)
    except InputError as exc:
        chosen, error = rules.previous_month(box.clock.now()), exc
    try:
        table = service.rankings(
            session=session,
            principal=principal,
            month=chosen,
            region_code=region or None,
            secret=box.settings.secret_key,
        )
    except NotFoundError:
        return missing_page(request)
    params = {"month": str(chosen), "region": table.region.code}
    return render_page(
        request,
        "praise/rankings.html",
        status_code=422 if error else 200,
        error=error,
        table=table,
        params=params,
        regions=_regions(session, principal),
        notices=service.list_notices(session=session, principal=principal, month=chosen),
        csv_link="/api/praise/rankings" + query_string(**params, format="csv"),
        json_link="/api/praise/rankings" + query_string(**params),
    )


def _form(
    request: Request,
    session: Session,
    box: Any,
    principal: Principal,
    month: str,
    region: str,
    person: str,
    *,
    reason: str = "",
    error: EcoRadarError | None = None,
) -> HTMLResponse:
    chosen = rules.parse_month(month)
    table = service.rankings(
        session=session,
        principal=principal,
        month=chosen,
        region_code=region or None,
        secret=box.settings.secret_key,
    )
    row = table.find(person)
    if row is None:
        raise NotFoundError(f"person: {person!r} is not in the ranking")
    return render_page(
        request,
        "praise/new.html",
        status_code=status_of(error) if error is not None else 200,
        table=table,
        row=row,
        of=len(table.rows(row.person.kind)),
        reason=reason,
        error=error,
        reason_max=service.REASON_MAX,
    )


@router.get("/praise/new")
def new_notice(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerPage,
    month: Short = "",
    region: Short = "",
    person: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    try:
        return _form(request, session, box, principal, month, region, person)
    except (NotFoundError, InputError):
        return missing_page(request)


@router.post("/praise/notices", response_model=None)
async def issue_notice(
    request: Request, session: SessionDep, box: ContainerDep, principal: OfficerPage
) -> Response:
    async with request.form() as form:
        values = {
            k: str(form.get(k) or "").strip()[:1200]
            for k in ("month", "region", "person", "reason")
        }
    try:
        with session.begin_nested():
            notice = service.issue_notice(
                session=session,
                principal=principal,
                month=rules.parse_month(values["month"]),
                region_code=values["region"] or None,
                person=values["person"],
                reason=values["reason"],
                secret=box.settings.secret_key,
                bureau=bureau_of(box),
                now=box.clock.now(),
            )
    except (InputError, NotFoundError, PermissionDenied) as exc:
        try:
            return _form(
                request,
                session,
                box,
                principal,
                values["month"],
                values["region"],
                values["person"],
                reason=values["reason"],
                error=exc,
            )
        except (NotFoundError, InputError):
            return missing_page(request)
    return RedirectResponse(f"/praise/notices/{notice.number}?done=issued", status_code=303)


@router.get("/praise/notices")
def notices_page(request: Request, session: SessionDep, principal: PageUserDep) -> HTMLResponse:
    found = service.list_notices(session=session, principal=principal)
    names = dict(session.execute(select(Region.id, Region.name)).all())
    return render_page(
        request,
        "praise/notices.html",
        notices=found,
        region_names=names,
        officer=principal.has_role(*service.OFFICER_ROLES),
    )


@router.get("/praise/notices/{number}")
def notice_page(
    request: Request, session: SessionDep, principal: PageUserDep, number: str, done: Short = ""
) -> HTMLResponse:
    try:
        notice = service.get_notice(session=session, principal=principal, number=number)
    except NotFoundError:
        return missing_page(request)
    region = service.notice_region(session, notice)
    locale = getattr(request.state, "locale", "zh_CN")
    return render_page(
        request,
        "praise/notice.html",
        done=done,
        officer=principal.has_role(*service.OFFICER_ROLES),
        region_code=region.code if region else "",
        **render.context(notice, region.name if region else "", locale),
    )


@router.get("/praise/notices/{number}/pdf", response_model=None)
def notice_pdf(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    number: str,
    lang: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    try:
        notice = service.get_notice(session=session, principal=principal, number=number)
    except NotFoundError:
        return missing_page(request)
    region = service.notice_region(session, notice)
    locale = lang if lang in ("zh_CN", "en") else getattr(request.state, "locale", "zh_CN")
    return Response(
        render.pdf(notice, region.name if region else "", locale),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{render.filename(notice)}"'},
    )


@router.get("/stats/praise")
def stats_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    month_from: Annotated[str, Query(alias="from", max_length=7)] = "",
    month_to: Annotated[str, Query(alias="to", max_length=7)] = "",
    level: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """Praise figures per region and month, with a chart (what ``GET /api/stats/praise``
    answers)."""
    chosen = level if level in LEVELS else ""
    table, error = None, False
    try:
        last = rules.parse_month(month_to, "to") if month_to else rules.month_of(box.clock.now())
        first = rules.parse_month(month_from, "from") if month_from else rules.months_back(last, 5)
        table = figures.praise_figures(
            session=session, principal=principal, first=first, last=last, level=chosen or None
        )
    except InputError:
        error = True
    params = {
        "from": str(table.first) if table else month_from,
        "to": str(table.last) if table else month_to,
        "level": chosen,
    }
    return render_page(
        request,
        "stats/praise.html",
        status_code=422 if error else 200,
        error=error,
        table=table,
        params=params,
        levels=LEVELS,
        csv_link="/api/stats/praise" + query_string(**params, format="csv"),
    )
