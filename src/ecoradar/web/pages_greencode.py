"""The green code's pages.

- ``GET /greencode``: the staff list (colour filter, area, by score, paged); an enterprise
  user goes to its own code.
- ``GET /greencode/{code}``: an enterprise's code (staff in scope, or the enterprise itself):
  colour, score, each indicator with its weight and the events behind it (linked where the
  reader may open them), vetoes, model version, times, the history chart and the QR code of
  the public page. Officers see the repair applications and decide them here
  (``POST /greencode/repairs/{id}``); the enterprise sees what to do to improve and files a
  repair application when it may (``POST /greencode/{code}/repairs``).
- ``GET /greencode/{code}/card``: the summary card the registry's enterprise page loads.
- ``GET /greencode/{code}/qr.svg|qr.png``: the QR code of the public page, for printing.
- ``GET /greencode/map.json``: every visible code, for the map's colours and filter.
- ``GET /public/greencode/{code}``: the public page (``pages_greencode_public``).

Handlers stay thin: they read through ``ecoradar.greencode.service`` and ``.repair`` (what the
JSON API calls); ``ecoradar.web.greencode_view`` turns the scorer's events (their ``what`` and
``params``) into texts the templates translate.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.detection.models import Alert
from ecoradar.greencode import repair, service
from ecoradar.greencode.models import COLOURS, GreenCode, RepairApplication
from ecoradar.problems.models import Problem
from ecoradar.problems.service import visibility as problem_visibility
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.qr import qr_svg
from ecoradar.web import greencode_view as view
from ecoradar.web import pages_greencode_public
from ecoradar.web.deps import ContainerDep, PageReaderDep, SessionDep, StaffDep
from ecoradar.web.pages_greencode_public import CODE, base_url, public_url, qr_file
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)
router.include_router(pages_greencode_public.router)

PER_PAGE = 25
HISTORY_DAYS = 365
"""How far back the history chart reaches."""
DONE = ("filed", "approved", "rejected")
AREA_LEVELS = ("city", "county", "township")
Text = Annotated[str, Form(max_length=repair.STATEMENT_MAX + 100)]


def _missing(request: Request, code: str | None = None) -> HTMLResponse:
    return render(request, "greencode/404.html", status_code=404, code=code)


def _enterprise(session: Session, principal: Principal, code: str) -> Enterprise | None:
    """The enterprise of ``code`` when ``principal`` may see its code."""
    if not CODE.match(code):
        return None
    return session.scalar(
        select(Enterprise).where(Enterprise.code == code.upper(), service.visible(principal))
    )


# --- the list and the map ----------------------------------------------------------------------


def _areas(session: Session, principal: Principal) -> list[Region]:
    query = select(Region).where(Region.level.in_(AREA_LEVELS)).order_by(Region.code)
    if not principal.unrestricted:
        query = query.where(Region.id.in_(sorted(principal.region_ids)))
    return list(session.scalars(query.limit(500)))


@router.get("/greencode", response_model=None)
def list_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    colour: Annotated[str, Query(max_length=8)] = "",
    region: Annotated[str, Query(max_length=64)] = "",
    order: Annotated[str, Query(max_length=8)] = "score",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    within: Annotated[str, Query(max_length=3)] = "",
) -> HTMLResponse | RedirectResponse:
    if principal.enterprise_id is not None:
        own = session.get(Enterprise, principal.enterprise_id)
        if own is None:
            return _missing(request)
        return RedirectResponse(f"/greencode/{own.code}", status_code=303)
    if not principal.is_staff:
        raise PermissionDenied("the green-code list is for the bureau's staff")
    chosen = colour if colour in COLOURS else ""
    by = "-score" if order == "-score" else "score"
    days = int(within) if within.isdigit() and 1 <= int(within) <= 366 else None
    error = None
    try:
        found = service.list_codes(
            session=session,
            principal=principal,
            colour=chosen or None,
            region_code=region or None,
            order="-score" if by == "-score" else "score",
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            colour_since=box.clock.now() - timedelta(days=days) if days else None,
        )
    except NotFoundError:
        error, found = "region", service.CodePage([], 0)
    pages = max(1, -(-found.total // PER_PAGE))
    ids = {r.region_id for r in found.items if r.region_id is not None}
    names = dict(session.execute(select(Region.id, Region.name).where(Region.id.in_(ids))).all())
    counts = service.colour_counts(session=session, principal=principal)
    model = service.model_for(box.settings)
    colours = [c for c in COLOURS if c in model.scheme.colours or counts.get(c)]
    params = {
        "colour": chosen,
        "region": region,
        "order": by if by != "score" else "",
        "within": str(days) if days else "",
    }
    return render(
        request,
        "greencode/list.html",
        status_code=404 if error else 200,
        rows=found.items,
        total=found.total,
        page=min(page, pages),
        pages=pages,
        names=names,
        counts=counts,
        colours=colours,
        areas=_areas(session, principal),
        params=params,
        error=error,
        link=lambda **changes: "/greencode" + query_string(**{**params, **changes}),
    )


@router.get("/greencode/map.json")
def map_codes(session: SessionDep, box: ContainerDep, principal: StaffDep) -> JSONResponse:
    """Every code the staff member may see, for the map: ``codes`` is ``[[enterprise code,
    colour, score], ...]``; ``colours`` the scheme's, best first."""
    rows = session.execute(
        select(Enterprise.code, GreenCode.colour, GreenCode.score)
        .join(GreenCode, GreenCode.enterprise_id == Enterprise.id)
        .where(service.visible(principal))
        .order_by(Enterprise.code)
    )
    model = service.model_for(box.settings)
    return JSONResponse(
        {
            "colours": list(model.scheme.colours),
            "codes": [[code, colour, round(score, 1)] for code, colour, score in rows],
        },
        headers={"Cache-Control": "private, max-age=60"},
    )


# --- an enterprise's code ----------------------------------------------------------------------


def _visible_problems(session: Session, principal: Principal, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    query = select(Problem.id).where(Problem.id.in_(sorted(ids)), problem_visibility(principal))
    return set(session.scalars(query))


def _records(session: Session, alerts: set[int], problems: set[int], box: Container) -> view.Alerts:
    """The alerts' ends and the problems' states behind a code, and the windows."""
    model = service.model_for(box.settings)
    ends: dict[int, Any] = {}
    states: dict[int, str] = {}
    if alerts:
        query = select(Alert.id, Alert.end).where(Alert.id.in_(sorted(alerts)))
        ends = {row[0]: row[1] for row in session.execute(query)}
    if problems:
        found = select(Problem.id, Problem.state).where(Problem.id.in_(sorted(problems)))
        states = {row[0]: row[1] for row in session.execute(found)}
    windows = {
        "monitoring_compliance": model.compliance_window_days,
        "data_quality": model.quality_window_days,
        "problems": model.problems_window_days,
    }
    return view.Alerts(ends, windows, states)


def _actor_name(actor: str | None) -> str:
    """``alice`` of ``user:7:alice``."""
    return (actor or "").split(":", 2)[-1]


def _code_page(
    request: Request,
    session: Session,
    box: Container,
    principal: Principal,
    enterprise: Enterprise,
    *,
    done: str = "",
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = box.clock.now()
    model = service.model_for(box.settings)
    code = service.current(session=session, enterprise_id=enterprise.id)
    own = principal.role == "enterprise" and principal.enterprise_id == enterprise.id
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "code": code,
        "own": own,
        "model": model,
        "can_decide": principal.has_role(*repair.DECIDER_ROLES),
        "done": done if done in DONE else "",
        "error": error,
        "values": values or {},
        "actor_name": _actor_name,
        "public_link": public_url(base_url(request, box), enterprise.code),
        "view_factor": view.factor_code,
        "why": [],
    }
    if code is not None:
        events = view.all_events(code)
        problem_ids = view.ids_of(events, "problem", "outcome")
        problems = _visible_problems(session, principal, problem_ids)
        alerts = _records(session, view.ids_of(events, "alert"), problem_ids, box)
        indicators = view.indicator_views(code, problems, alerts)
        rows = service.history(
            session=session,
            principal=principal,
            enterprise_code=enterprise.code,
            since=now - timedelta(days=HISTORY_DAYS),
        )
        context.update(
            indicators=indicators,
            vetoes=view.veto_facts(code, problems),
            reasons=view.reason_facts(code, problems),
            advice=view.advice(indicators) if own else [],
            series=view.chart_series(rows),
            changes=[r for r in rows if r.kind in ("colour", "first")][::-1],
            bands=view.chart_bands(model.scheme.cutoffs),
            qr=qr_svg(context["public_link"], scale=4),
        )
    context["repairs"] = list(
        session.scalars(
            select(RepairApplication)
            .where(RepairApplication.enterprise_id == enterprise.id)
            .order_by(RepairApplication.id.desc())
        )
    )
    context["eligibility"] = None
    if own:
        found = repair.eligibility(
            session=session, enterprise_id=enterprise.id, now=now, model=model
        )
        context["eligibility"] = found
        context["why"] = view.read_why(found.why)
    return render(request, "greencode/code.html", status_code=status_code, **context)


@router.get("/greencode/{code}")
def code_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    code: str,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    enterprise = _enterprise(session, principal, code)
    if enterprise is None:
        return _missing(request, code[:40])
    return _code_page(request, session, box, principal, enterprise, done=done)


@router.get("/greencode/{code}/card")
def code_card(
    request: Request, session: SessionDep, principal: PageReaderDep, code: str
) -> HTMLResponse:
    """The summary the registry's enterprise page shows (loaded by htmx)."""
    enterprise = _enterprise(session, principal, code)
    if enterprise is None:
        return render(request, "greencode/_card.html", status_code=404, enterprise=None, code=None)
    found = service.current(session=session, enterprise_id=enterprise.id)
    return render(request, "greencode/_card.html", enterprise=enterprise, code=found)


def _qr(
    request: Request, session: Session, box: Container, principal: Principal, code: str, kind: str
) -> Response:
    enterprise = _enterprise(session, principal, code)
    if enterprise is None:
        return _missing(request, code[:40])
    return qr_file(public_url(base_url(request, box), enterprise.code), enterprise.code, kind)


@router.get("/greencode/{code}/qr.svg")
def qr_svg_file(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageReaderDep, code: str
) -> Response:
    return _qr(request, session, box, principal, code, "svg")


@router.get("/greencode/{code}/qr.png")
def qr_png_file(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageReaderDep, code: str
) -> Response:
    return _qr(request, session, box, principal, code, "png")


# --- repair applications -----------------------------------------------------------------------


@router.post("/greencode/{code}/repairs", response_model=None)
def file_repair(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    code: str,
    statement: Text = "",
) -> HTMLResponse | RedirectResponse:
    """The enterprise files a repair application for its own red code."""
    enterprise = _enterprise(session, principal, code)
    if enterprise is None:
        return _missing(request, code[:40])
    if principal.role != "enterprise" or principal.enterprise_id != enterprise.id:
        raise PermissionDenied("only the enterprise itself files a repair application")
    try:
        with session.begin_nested():
            repair.file_repair(
                session=session,
                principal=principal,
                statement=statement,
                now=box.clock.now(),
                model=service.model_for(box.settings),
            )
    except (ConflictError, InputError) as exc:
        kind, status = ("statement", 422) if isinstance(exc, InputError) else ("refused", 409)
        return _code_page(
            request,
            session,
            box,
            principal,
            enterprise,
            error=kind,
            values={"statement": statement},
            status_code=status,
        )
    return RedirectResponse(f"/greencode/{enterprise.code}?done=filed", status_code=303)


@router.post("/greencode/repairs/{repair_id}", response_model=None)
def decide_repair(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    repair_id: str,
    decision: Annotated[str, Form(max_length=8)] = "",
    reason: Annotated[str, Form(max_length=repair.REASON_MAX + 100)] = "",
) -> HTMLResponse | RedirectResponse:
    """An officer in scope approves or rejects (with a reason) a pending application."""
    number = int(repair_id) if repair_id.isdigit() and len(repair_id) < 10 else None
    row = session.get(RepairApplication, number) if number else None
    enterprise = session.get(Enterprise, row.enterprise_id) if row is not None else None
    if (
        row is None
        or enterprise is None
        or _enterprise(session, principal, enterprise.code) is None
    ):
        return _missing(request)
    if decision not in ("approve", "reject"):
        return _code_page(
            request, session, box, principal, enterprise, error="decision", status_code=422
        )
    try:
        with session.begin_nested():
            repair.decide_repair(
                session=session,
                principal=principal,
                repair_id=row.id,
                approve=decision == "approve",
                reason=reason,
                now=box.clock.now(),
                model=service.model_for(box.settings),
            )
    except (ConflictError, InputError) as exc:
        kind, status = ("reason", 422) if isinstance(exc, InputError) else ("decided", 409)
        session.refresh(row)
        return _code_page(
            request,
            session,
            box,
            principal,
            enterprise,
            error=kind,
            values={"reason": reason, "repair": str(row.id)},
            status_code=status,
        )
    done = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(f"/greencode/{enterprise.code}?done={done}", status_code=303)
