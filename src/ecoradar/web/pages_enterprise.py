"""One page per enterprise (issue 18): ``/registry/{code}``.

- ``GET /registry/{code}``: the header (name, code, green-code card, what needs attention),
  tabs, and the registry section (area, position, permit, outlets, points and limits); the
  other sections load when their tab opens.
- ``GET /registry/{code}/sections/{name}``: one section as an htmx fragment: ``code``,
  ``monitoring`` (``?mn=&factor=``: the point and factor charted), ``selfcheck``,
  ``problems``, ``reminders``, ``inspections``, ``power``, ``timeline``.
- ``GET /registry/{code}/timeline?cursor=&kind=``: the next (older) entries of the timeline.

Who: staff within their region (grid workers their grid) and administrators; an enterprise's
own users see their own page only. Anyone else's enterprise is 404, as if it did not exist
(the scoped session does not find it); the public and supervisors are refused (403).
Handlers stay thin: the data comes from ``ecoradar.registry.profile`` and ``.timeline``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.greencode.service import current, model_for
from ecoradar.registry import profile
from ecoradar.registry import timeline as events
from ecoradar.registry.models import Enterprise
from ecoradar.web.deps import ContainerDep, PageReaderDep, PageReaderSession
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

Cursor = Annotated[str, Query(max_length=120)]
Kind = Annotated[str, Query(max_length=16)]
Short = Annotated[str, Query(max_length=64)]
FLAGS = ("N", "F", "M", "S", "D", "C", "T", "B", "P")
"""HJ 212 data flags the series chart names (as on the monitoring point page)."""


def _missing(request: Request, code: str) -> HTMLResponse:
    return render(request, "404.html", status_code=404, code=code[:40])


def _tiles(box: Container) -> dict[str, str]:
    return {"url": box.settings.tile_url or "", "attribution": box.settings.tile_attribution}


@router.get("/registry/{code}")
def enterprise_page(
    request: Request,
    session: PageReaderSession,
    principal: PageReaderDep,
    box: ContainerDep,
    code: str,
    mn: Short = "",
    factor: Short = "",
) -> HTMLResponse:
    try:
        enterprise = profile.enterprise_in_reach(session=session, code=code)
    except NotFoundError:
        return _missing(request, code)
    now = box.clock.now()
    return render(
        request,
        "enterprise.html",
        enterprise=enterprise,
        chain=profile.region_chain(enterprise.region),
        tiles=_tiles(box),
        summary=profile.summary(
            session=session, principal=principal, enterprise=enterprise, now=now
        ),
        ent_sections=profile.SECTIONS,
        is_staff=principal.is_staff,
        chart_query={"mn": mn, "factor": factor} if mn or factor else {},
    )


@router.get("/registry/{code}/sections/{name}")
def section(
    request: Request,
    session: PageReaderSession,
    principal: PageReaderDep,
    box: ContainerDep,
    code: str,
    name: str,
    mn: Short = "",
    factor: Short = "",
    kind: Kind = "",
) -> HTMLResponse:
    """One section of the page, for htmx to swap into its tab."""
    try:
        enterprise = profile.enterprise_in_reach(session=session, code=code)
    except NotFoundError:
        return _missing(request, code)
    if name not in profile.SECTIONS or name == "registry":
        return _missing(request, name)
    context = _section(session, principal, box, enterprise, name, mn=mn, factor=factor)
    if name == "timeline":
        try:
            context.update(_timeline(session, principal, box, enterprise, None, kind))
        except InputError as exc:
            return render(request, "enterprise/_error.html", status_code=422, error=str(exc))
    return render(
        request,
        f"enterprise/_{name}.html",
        enterprise=enterprise,
        now=box.clock.now(),
        is_staff=principal.is_staff,
        **context,
    )


@router.get("/registry/{code}/timeline")
def timeline_more(
    request: Request,
    session: PageReaderSession,
    principal: PageReaderDep,
    box: ContainerDep,
    code: str,
    cursor: Cursor = "",
    kind: Kind = "",
) -> HTMLResponse:
    """The entries after ``cursor`` (older) and the next "more" button, as list items."""
    try:
        enterprise = profile.enterprise_in_reach(session=session, code=code)
    except NotFoundError:
        return _missing(request, code)
    try:
        context = _timeline(session, principal, box, enterprise, cursor or None, kind)
    except InputError as exc:
        return render(request, "enterprise/_error.html", status_code=422, error=str(exc))
    return render(request, "enterprise/_timeline_items.html", enterprise=enterprise, **context)


def _timeline(
    session: Session,
    principal: Principal,
    box: Container,
    enterprise: Enterprise,
    cursor: str | None,
    kind: str,
) -> dict[str, Any]:
    page = events.timeline(
        session=session,
        principal=principal,
        enterprise_id=enterprise.id,
        enterprise_code=enterprise.code,
        now=box.clock.now(),
        cursor=cursor,
        kinds=[kind] if kind else None,
    )
    return {"page": page, "kind": kind, "kinds": events.KINDS}


def _section(
    session: Session,
    principal: Principal,
    box: Container,
    enterprise: Enterprise,
    name: str,
    *,
    mn: str,
    factor: str,
) -> dict[str, Any]:
    now = box.clock.now()
    if name == "code":
        changes = profile.code_changes(session=session, enterprise=enterprise)
        found = current(session=session, enterprise_id=enterprise.id)
        return {"code": found, "changes": changes, "model": model_for(box.settings)}
    if name == "monitoring":
        data = profile.monitoring_section(
            session=session, enterprise=enterprise, now=now, mn=mn, factor=factor
        )
        return {"data": data, "flags": FLAGS}
    if name == "selfcheck":
        tasks = profile.selfcheck_section(session=session, enterprise=enterprise, now=now)
        return {"data": tasks, "outcome_of": profile.task_outcome}
    if name == "problems":
        return {
            "data": profile.problems_section(
                session=session, principal=principal, enterprise=enterprise
            )
        }
    if name == "reminders":
        return {
            "reminders": profile.reminders_section(
                session=session, principal=principal, enterprise=enterprise
            )
        }
    if name == "inspections":
        return {
            "rows": profile.inspections_section(
                session=session, principal=principal, enterprise=enterprise
            )
        }
    if name == "power":
        return {"data": profile.power_section(session=session, enterprise=enterprise, now=now)}
    return {}
