"""Pages a person uses (Jinja2 + htmx): overview, registry, map, language.

Handlers stay thin: read through the services, hand the values to a template. Pages only read.
Every page but the language switch needs a login (``PageStaffSession`` and friends send an
anonymous visitor to ``/login``); what a page lists is limited to the visitor's scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import apply_scope
from ecoradar.bootstrap import Container
from ecoradar.core.errors import PermissionDenied
from ecoradar.regions.models import LEVELS, Region
from ecoradar.registry import service as registry
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.stats import attention
from ecoradar.web.deps import (
    ContainerDep,
    PageStaffDep,
    PageStaffSession,
    PageUserDep,
    SessionDep,
)
from ecoradar.web.i18n import LOCALE_COOKIE, LOCALES
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600
SearchText = Annotated[str, Query(max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/", response_model=None)
def overview(
    request: Request, session: SessionDep, principal: PageUserDep, box: ContainerDep
) -> HTMLResponse | RedirectResponse:
    """Officers and administrators get what needs their attention now, then the figures of
    their jurisdiction (grid workers: the figures); an enterprise user goes to its own page, a
    registered member of the public to the problems they reported."""
    if principal.role == "enterprise" and principal.enterprise_id is not None:
        code = session.scalar(
            select(Enterprise.code).where(Enterprise.id == principal.enterprise_id)
        )
        if code is not None:
            return RedirectResponse(f"/registry/{code}", status_code=303)
    if principal.role == "public":
        return RedirectResponse("/problems", status_code=303)
    if principal.role == "supervisor":
        return RedirectResponse("/supervision", status_code=303)
    if not principal.is_staff:
        raise PermissionDenied("the overview is for the bureau's staff")
    apply_scope(session, principal)
    panel = None
    if attention.may_see(principal):
        panel = attention.attention(session=session, principal=principal, now=box.clock.now())
    return render(
        request,
        "overview.html",
        counts=_overview_counts(session, principal),
        attention=panel,
    )


@router.get("/registry")
def registry_page(
    request: Request, session: PageStaffSession, q: SearchText = "", page: PageNumber = 1
) -> HTMLResponse:
    return render(request, "registry.html", **_registry_results(session, q, page))


@router.get("/registry/rows")
def registry_rows(
    request: Request, session: PageStaffSession, q: SearchText = "", page: PageNumber = 1
) -> HTMLResponse:
    """The results part of ``/registry`` (table and pager), for htmx to swap in."""
    context = _registry_results(session, q, page)
    headers = {}
    if request.headers.get("hx-request") == "true":
        shown = context["result"].page
        headers["HX-Push-Url"] = "/registry" + query_string(
            q=context["q"], page=shown if shown > 1 else None
        )
    return render(request, "_registry_results.html", headers=headers, **context)


# /registry/{code}, the enterprise page: ecoradar.web.pages_enterprise (issue 18).


@router.get("/map")
def map_page(request: Request, box: ContainerDep, principal: PageStaffDep) -> HTMLResponse:
    return render(request, "map.html", tiles=_tiles(box))


@router.get("/lang/{locale}", response_model=None)
def set_language(
    request: Request,
    locale: str,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
) -> HTMLResponse | RedirectResponse:
    """Remember the chosen language in a cookie and go back to ``next`` (a local path only)."""
    if locale not in LOCALES:
        return render(request, "404.html", status_code=404, code=None)
    response = RedirectResponse(local_path(next_path), status_code=303)
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=LOCALE_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
    )
    return response


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/``: never an open redirect.

    Refuses anything that is not a single leading slash (``//host``, ``https://host``), and
    backslashes and control characters, which browsers turn into ``//host``.
    """
    if not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target


def _tiles(box: Container) -> dict[str, str]:
    return {"url": box.settings.tile_url or "", "attribution": box.settings.tile_attribution}


def _overview_counts(session: Session, principal: Principal) -> dict[str, Any]:
    """What the principal's jurisdiction holds: its areas (all of them for an administrator),
    and the enterprises, outlets and points the session is scoped to."""
    areas = select(Region.level, func.count(Region.id)).group_by(Region.level)
    if not principal.unrestricted:
        areas = areas.where(Region.id.in_(sorted(principal.region_ids)))
    by_level: dict[str, int] = dict(session.execute(areas).all())
    enterprise_point = MonitoringPoint.outlet_id.is_not(None)  # not ambient stations' points
    points = session.scalar(select(func.count(MonitoringPoint.id)).where(enterprise_point)) or 0
    protected = (
        session.scalar(
            select(func.count(MonitoringPoint.id)).where(
                enterprise_point,
                MonitoringPoint.password.is_not(None),
                MonitoringPoint.password != "",
            )
        )
        or 0
    )
    return {
        "levels": [(level, by_level.get(level, 0)) for level in LEVELS if by_level.get(level)],
        "regions": sum(by_level.values()),
        "enterprises": session.scalar(select(func.count(Enterprise.id))) or 0,
        "outlets": session.scalar(select(func.count(Outlet.id))) or 0,
        "points": points,
        "protected": protected,
        "unprotected": points - protected,
    }


def _registry_results(session: Session, q: str, page: int) -> dict[str, Any]:
    q = q.strip()
    result = registry.search_enterprises(session=session, query=q, page=page, per_page=PER_PAGE)
    if result.page > result.pages:  # past the end (e.g. an old link): show the last page
        result = registry.search_enterprises(
            session=session, query=q, page=result.pages, per_page=PER_PAGE
        )
    return {"q": q, "result": result, "points": _point_counts(session, result.items)}


def _point_counts(session: Session, enterprises: Sequence[Enterprise]) -> dict[int, int]:
    """Monitoring points per enterprise id, for one page of enterprises."""
    if not enterprises:
        return {}
    rows = session.execute(
        select(Outlet.enterprise_id, func.count(MonitoringPoint.id))
        .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
        .where(Outlet.enterprise_id.in_([e.id for e in enterprises]))
        .group_by(Outlet.enterprise_id)
    )
    return dict(rows.all())
