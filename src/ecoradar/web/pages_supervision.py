"""Supervisors' pages ("问政"): my questions to the government (``/supervision``: the problems
I raised or follow, their state and deadline, my questions and the bureau's answers), raising a
problem (``/supervision/raise``), the ask and follow forms on the problem page; the officers'
list of open and overdue questions (``/supervision/questions``) and their answer form on the
problem page; the figures for staff (``/stats/supervision``) and for everyone
(``/public/supervision``: aggregates only, no names, no problems).

Handlers stay thin: they call ``ecoradar.supervision``. The problem page's forms run in a
savepoint through ``pages_problems`` (a refusal shows the page again with its message).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import catalog
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import EcoRadarError, InputError, NotFoundError
from ecoradar.media.inspect import MediaLimits
from ecoradar.privacy.mask import mask
from ecoradar.problems import service as problems
from ecoradar.regions.models import LEVELS
from ecoradar.supervision import rules, service, stats
from ecoradar.supervision.models import ANSWER_MAX, SUPERVISOR_KINDS, SupervisionQuestion
from ecoradar.supervision.schemas import due_of
from ecoradar.web import public_forms as forms
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep, page_roles
from ecoradar.web.pages_problems import change_problem, missing_problem, problem_number
from ecoradar.web.pages_public import map_bounds
from ecoradar.web.public_deps import FormDep
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

SupervisorPage = Annotated[Principal, Depends(page_roles("supervisor"))]
QuestionsPage = Annotated[Principal, Depends(page_roles("supervisor", "officer", "admin"))]
Short = Annotated[str, Query(max_length=16)]
Day = Annotated[str, Query(max_length=10)]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


# --- a supervisor's pages ---------------------------------------------------------------------


@router.get("/supervision")
def home(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: QuestionsPage,
    raised: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """My questions to the government: what I raised and follow, and my questions."""
    if principal.role != "supervisor":
        return RedirectResponse("/supervision/questions", status_code=303)
    now = box.clock.now()
    supervisor = service.supervisor_of(session=session, principal=principal)
    items = [
        (
            item,
            service.views_of(session, principal, [(q, item.problem) for q in item.questions], now),
        )
        for item in service.followed(session=session, principal=principal)
    ]
    views = [v for _, vs in items for v in vs]
    return render(
        request,
        "supervision/home.html",
        supervisor=supervisor,
        items=items,
        counts={
            "raised": sum(1 for item, _ in items if item.link.raised_at is not None),
            "followed": len(items),
            "waiting": sum(1 for v in views if v.state in ("open", "overdue")),
            "overdue": sum(1 for v in views if v.state == "overdue"),
            "answered": sum(1 for v in views if v.state in ("answered", "answered_late")),
        },
        raised=int(raised) if raised.isdigit() and len(raised) < 10 else None,
        titles={item.problem.id: mask(item.problem.title) for item, _ in items},
        due_of=due_of,
    )


def _raise_page(
    request: Request,
    box: Container,
    *,
    values: forms.ReportValues | None = None,
    error: forms.Refusal | None = None,
) -> HTMLResponse:
    settings = box.settings
    now = box.clock.now().astimezone(CHINA_TZ)
    return render(
        request,
        "supervision/raise.html",
        status_code=error.status if error is not None else 200,
        services=catalog.SERVICES,
        values=values or forms.ReportValues(observed_at=now.strftime("%Y-%m-%dT%H:%M")),
        error=error,
        description_max=settings.clue_description_max_chars,
        max_photos=settings.clue_max_photos,
        max_photo_bytes=MediaLimits.from_settings(settings).max_image_bytes,
        image_types=forms.IMAGE_TYPES,
        limits={"string": catalog.STRING_MAX, "text": catalog.TEXT_MAX},
        tiles={"url": settings.tile_url or "", "attribution": settings.tile_attribution},
        bounds=map_bounds(box),
    )


@router.get("/supervision/raise")
def raise_form(
    request: Request, session: SessionDep, box: ContainerDep, principal: SupervisorPage
) -> HTMLResponse:
    service.supervisor_of(session=session, principal=principal)
    return _raise_page(request, box)


@router.post("/supervision/raise", response_model=None)
def raise_problem(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: SupervisorPage,
    form: FormDep,
) -> HTMLResponse | RedirectResponse:
    """The raise form (the public report form's fields, without the identity: a supervisor
    raises with their account); a refusal shows the form again with its message."""
    values = forms.read_report(form)
    try:
        with session.begin_nested():
            item = forms.clue_from_form(
                values,
                forms.sent_photos(form, box.settings),
                principal=None,
                client=f"user:{principal.user_id}",
            )
            raised = service.raise_problem(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                principal=principal,
                item=item,
                now=box.clock.now(),
            )
    except (InputError, NotFoundError) as exc:
        return _raise_page(request, box, values=values, error=forms.refusal(exc))
    except EcoRadarError as exc:  # a permission or a conflict: the page says so
        return _raise_page(request, box, values=values, error=forms.refusal(exc))
    return RedirectResponse(f"/supervision?raised={raised.problem_id}", status_code=303)


# --- forms on the problem page ----------------------------------------------------------------


@router.post("/problems/{problem_id}/questions", response_model=None)
def ask(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: SupervisorPage,
    problem_id: str,
    question: Annotated[str, Form(max_length=10_000)] = "",
) -> HTMLResponse | RedirectResponse:
    number = problem_number(problem_id)
    if number is None:
        return missing_problem(request, problem_id)

    def change() -> None:
        service.ask(
            session=session,
            settings=box.settings,
            principal=principal,
            problem_id=number,
            question=question,
            now=box.clock.now(),
        )

    values = {"question": question}
    return change_problem(request, session, principal, box, number, "question", change, values)


@router.post("/problems/{problem_id}/follow", response_model=None)
def follow(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: SupervisorPage,
    problem_id: str,
    follow: Annotated[str, Form(max_length=5)] = "yes",
) -> HTMLResponse | RedirectResponse:
    number = problem_number(problem_id)
    if number is None:
        return missing_problem(request, problem_id)
    stop = follow == "no"

    def change() -> None:
        act = service.unfollow if stop else service.follow
        act(session=session, principal=principal, problem_id=number, now=box.clock.now())

    what = "unfollow" if stop else "follow"
    return change_problem(request, session, principal, box, number, what, change, {})


@router.post("/supervision/questions/{question_id}/answer", response_model=None)
def answer(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: QuestionsPage,
    question_id: str,
    answer: Annotated[str, Form(max_length=10_000)] = "",
) -> HTMLResponse | RedirectResponse:
    number = problem_number(question_id)
    row = session.get(SupervisionQuestion, number) if number is not None else None
    if row is None:
        return missing_problem(request, question_id)

    def change() -> None:
        service.answer(
            session=session,
            principal=principal,
            question_id=row.id,
            text=answer,
            now=box.clock.now(),
        )

    values = {"answer": answer, "question_id": str(row.id)}
    return change_problem(
        request, session, principal, box, row.problem_id, "answer", change, values
    )


# --- the officers' list -----------------------------------------------------------------------


@router.get("/supervision/questions")
def questions(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: QuestionsPage,
    state: Short = "open",
) -> HTMLResponse:
    """Supervisors' questions by due date: an officer's region's (open, overdue, answered,
    all), a supervisor's own."""
    chosen = state if state in service.FILTERS else "open"
    now = box.clock.now()
    found = service.question_list(session=session, principal=principal, now=now, state=chosen)
    return render(
        request,
        "supervision/questions.html",
        rows=found,
        titles={
            p.id: p.title if problems.handles(principal, p) else mask(p.title) for _, p in found
        },
        state=chosen,
        filters=service.FILTERS,
        overdue=len(
            service.question_list(session=session, principal=principal, now=now, state="overdue")
        ),
        answer_max=ANSWER_MAX,
    )


# --- figures ----------------------------------------------------------------------------------


def _range(box: Container, date_from: str, date_to: str) -> tuple[date | None, date | None]:
    today = box.clock.now().astimezone(CHINA_TZ).date()
    first, last = stats.default_range(today)
    return (_day(date_from) if date_from else first), (_day(date_to) if date_to else last)


@router.get("/stats/supervision")
def stats_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    period: Short = "quarter",
    by: Short = "kind",
    level: Short = "",
) -> HTMLResponse:
    """The supervision figures of the staff member's scope, per kind, region or both, per
    period (what ``GET /api/stats/supervision`` answers)."""
    first, last = _range(box, date_from, date_to)
    chosen = period if period in rules.PERIODS else "quarter"
    group = by if by in stats.GROUPS else "kind"
    picked = level if level in LEVELS else ""
    error = first is None or last is None
    table = None
    if first is not None and last is not None:
        try:
            table = stats.supervision_figures(
                session=session, principal=principal, first=first, last=last,
                now=box.clock.now(), period=chosen, group_by=group, level=picked or None,
            )  # fmt: skip
        except InputError:
            error = True
    params = {
        "from": first.isoformat() if first else date_from,
        "to": last.isoformat() if last else date_to,
        "period": chosen,
        "level": picked,
    }
    return render(
        request,
        "stats/supervision.html",
        status_code=422 if error else 200,
        error=error,
        table=table,
        params={**params, "by": group},
        periods=rules.PERIODS,
        groups=stats.GROUPS,
        levels=LEVELS,
        kinds=SUPERVISOR_KINDS,
        csv_link="/api/stats/supervision" + query_string(**params, group_by=group, format="csv"),
    )


@router.get("/public/supervision")
def public_page(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    year: Annotated[str, Query(max_length=4)] = "",
) -> HTMLResponse:
    """The published figures: per supervisor kind and per county over a year (the last twelve
    months by default), and per quarter. Aggregates only."""
    today = box.clock.now().astimezone(CHINA_TZ).date()
    first, last = stats.default_range(today)
    chosen = int(year) if year.isdigit() and 2000 <= int(year) <= today.year else None
    if chosen is not None:
        first, last = date(chosen, 1, 1), min(date(chosen, 12, 31), today)
    now = box.clock.now()

    def table(period: str, group_by: str) -> stats.SupervisionTable:
        return stats.supervision_figures(
            session=session, principal=None, first=first, last=last, now=now,
            period=period, group_by=group_by, level="county",
        )  # fmt: skip

    return render(
        request,
        "supervision/public.html",
        headers={"Cache-Control": "no-cache"},
        by_kind=table("all", "kind"),
        by_region=table("all", "region"),
        by_quarter=table("quarter", "kind"),
        first=first,
        last=last,
        year=chosen,
        years=list(range(today.year, today.year - 5, -1)),
        kinds=SUPERVISOR_KINDS,
    )
