"""The daily brief of a region for staff (``/brief``) and its PDF (``/brief.pdf``), in the
reader's language (``ecoradar.linkage.brief``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.linkage import brief_document
from ecoradar.linkage.brief import Brief, daily_brief, region_for
from ecoradar.linkage.suspects import wind_from
from ecoradar.regions.models import Region
from ecoradar.regions.service import list_regions
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

BRIEF_LEVELS = ("province", "city", "county", "township")
"""The areas a brief is made for (a grid's day is too small to brief)."""

Code = Annotated[str, Query(max_length=32)]
Day = Annotated[str, Query(max_length=10)]


def _brief(
    session: SessionDep, box: Container, principal: Principal, region: str, day: str
) -> tuple[Brief, bool]:
    today = box.clock.now().astimezone(CHINA_TZ).date()
    try:
        chosen = date.fromisoformat(day) if day else today
        error = chosen > today
    except ValueError:
        chosen, error = today, True
    if error:
        chosen = today
    area = region_for(session, principal, region or None)
    made = daily_brief(
        session=session,
        region=area,
        day=chosen,
        index=box.regions.get(session),
        now=box.clock.now(),
        wind=wind_from(session),
    )
    return made, error


def _regions(session: SessionDep, principal: Principal) -> list[Region]:
    return [
        r
        for r in list_regions(session=session)
        if r.level in BRIEF_LEVELS and principal.covers_region(r.id)
    ]


@router.get("/brief")
def brief_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    region: Code = "",
    day: Day = "",
) -> HTMLResponse:
    brief, error = _brief(session, box, principal, region, day)
    return render(
        request,
        "linkage/brief.html",
        status_code=422 if error else 200,
        brief=brief,
        error=error,
        regions=_regions(session, principal),
        pdf_link="/brief.pdf" + query_string(region=brief.region.code, day=brief.day.isoformat()),
    )


@router.get("/brief.pdf")
def brief_pdf(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    region: Code = "",
    day: Day = "",
) -> Response:
    brief, _ = _brief(session, box, principal, region, day)
    locale = getattr(request.state, "locale", "zh_CN")
    data = brief_document.pdf(brief, box.clock.now(), locale)
    name = brief_document.filename(brief)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
