"""The suspects on a problem's page (a fragment the page loads), and an officer attaching one
(``ecoradar.linkage.problem_suspects``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ecoradar.core.errors import EcoRadarError, NotFoundError
from ecoradar.core.geo import compass
from ecoradar.linkage import problem_suspects
from ecoradar.linkage.suspects import wind_from
from ecoradar.problems.service import handles
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep
from ecoradar.web.pages_inspections import missing_page, page_number
from ecoradar.web.templating import render, tiles

router = APIRouter(include_in_schema=False)

SHOWN = 10
"""Suspects listed on the page (the API gives them all)."""


@router.get("/problems/{problem_id}/suspects")
def suspects_panel(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    problem_id: str,
) -> HTMLResponse:
    number = page_number(problem_id)
    if number is None:
        return missing_page(request)
    wind = wind_from(session)
    try:
        problem, clue, found = problem_suspects.for_problem(
            session=session, principal=principal, problem_id=number, wind=wind
        )
    except NotFoundError:
        return missing_page(request)
    now_wind = wind(clue.lat, clue.lon, clue.at)
    total, found = len(found), found[:SHOWN]
    markers = [
        [s.candidate.lat, s.candidate.lon, s.candidate.name, round(s.score, 2)] for s in found
    ]
    return render(
        request,
        "linkage/suspects_panel.html",
        problem=problem,
        clue=clue,
        found=found,
        total=total,
        wind=now_wind,
        wind_compass=compass(now_wind.direction) if now_wind else "",
        markers=markers,
        radius=clue.radius_m,
        can_attach=principal.role in ("officer", "admin") and handles(principal, problem),
        tiles=tiles(box.settings),
    )


@router.post("/problems/{problem_id}/suspects/attach", response_model=None)
async def attach(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    problem_id: str,
) -> Response:
    number = page_number(problem_id)
    if number is None:
        return missing_page(request)
    async with request.form() as form:
        code = str(form.get("enterprise_code") or "")
    try:
        with session.begin_nested():
            problem_suspects.attach(
                session=session,
                principal=principal,
                problem_id=number,
                enterprise_code=code,
                now=box.clock.now(),
                wind=wind_from(session),
            )
    except NotFoundError:
        return missing_page(request)
    except EcoRadarError:
        return RedirectResponse(f"/problems/{number}#suspects", 303)  # no longer a suspect
    return RedirectResponse(f"/problems/{number}?done=suspect_attached#suspects", 303)
