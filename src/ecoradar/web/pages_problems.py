"""Problem register pages: the queue (filters, paging, htmx refresh) and one problem's page with
its findings, timeline, notes, attachments, map and a small form per action the user may take.

Handlers stay thin: parse, call ``ecoradar.problems.service`` (the functions the JSON API calls),
render or redirect. The forms post here (form-encoded with ``csrf_token``; multipart where they
carry files); a change runs in a savepoint, so a refusal (403, 409, 422) leaves nothing behind
and re-renders the page with its message, while a success redirects back (303) with ``?done=``,
which the page shows as a message. The queue's filters live in ``ecoradar.web.problem_queue``;
form fields become workflow payloads in ``ecoradar.web.problem_forms``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.problems import service
from ecoradar.problems.models import CATEGORIES, CHANNELS, STATES
from ecoradar.problems.policy import load_policy
from ecoradar.problems.views import problem_detail
from ecoradar.problems.violations import set_violation
from ecoradar.problems.workflow import Action, Payload
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint
from ecoradar.web import problem_forms as forms
from ecoradar.web import problem_queue as queue
from ecoradar.web.deps import ContainerDep, PageUserDep, SessionDep
from ecoradar.web.supervision_panel import SUPERVISION_DONE, supervision_panel
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=10_000)]
Files = Annotated[list[UploadFile], File()]
DONE = frozenset(
    {*(a.value for a in Action), "note", "attachment", "suspect_attached", *SUPERVISION_DONE}
)
"""What ``?done=`` may name: the change the page confirms."""


@router.get("/problems")
def queue_page(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    asked: queue.QueueDep,
    box: ContainerDep,
) -> HTMLResponse:
    query, unknown = asked
    context = queue.queue_results(session, principal, query, unknown, box.clock.now())
    return render(
        request,
        "problems/queue.html",
        status_code=422 if context["error"] else 200,
        regions=queue.covered_regions(session, principal),
        categories=CATEGORIES,
        channels=CHANNELS,
        states=STATES,
        **context,
    )


@router.get("/problems/rows")
def queue_rows(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    asked: queue.QueueDep,
    box: ContainerDep,
) -> HTMLResponse:
    """The results part of ``/problems`` (table and pager), for htmx to swap in."""
    query, unknown = asked
    context = queue.queue_results(session, principal, query, unknown, box.clock.now())
    headers = {}
    if request.headers.get("hx-request") == "true" and not context["error"]:
        shown = context["result"].page
        headers["HX-Push-Url"] = "/problems" + query_string(
            **query.params(page=shown if shown > 1 else None)
        )
    return render(request, "problems/_results.html", headers=headers, **context)


@router.get("/problems/{problem_id}")
def problem_page(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    box: ContainerDep,
    problem_id: str,
    done: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    return _page(request, session, principal, box, problem_id, done=done)


@router.post("/problems/{problem_id}/actions/{action}", response_model=None)
def take_action(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    box: ContainerDep,
    problem_id: str,
    action: str,
    form: Annotated[forms.ActionForm, Form()],
    files: Files = [],  # noqa: B006 (FastAPI copies the default)
) -> HTMLResponse | RedirectResponse:
    """One workflow action from its form; photos and rectification files are stored first and
    go into the payload (the workflow attaches them)."""
    number = problem_number(problem_id)
    known = next((a for a in Action if a.value == action), None)
    if number is None or known is None:
        return missing_problem(request, problem_id)

    def change() -> None:
        now = box.clock.now()
        policy = load_policy(session=session, settings=box.settings)
        problem = service.get_problem(session=session, principal=principal, problem_id=number)
        allowed = service.actions_for(
            session=session, principal=principal, problem=problem, now=now, policy=policy
        )
        # Who and the state first, as the API answers: not the form's content.
        stored = forms.store_files(session, box, principal.actor, files) if known in allowed else []
        payload = forms.payload(known, form, stored) if known in allowed else Payload()
        service.take_action(
            session=session,
            principal=principal,
            problem_id=number,
            action=known,
            payload=payload,
            now=now,
            policy=policy,
            ip=request.client.host if request.client else None,
        )
        if known is Action.CONFIRM and form.violation:  # named with the confirmation
            set_violation(
                session=session,
                principal=principal,
                problem_id=number,
                violation=form.violation,
                now=now,
                ip=request.client.host if request.client else None,
            )

    return change_problem(
        request, session, principal, box, number, known.value, change, form.values()
    )


@router.post("/problems/{problem_id}/notes", response_model=None)
def add_note(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    box: ContainerDep,
    problem_id: str,
    text: Text = "",
    visibility: Annotated[str, Form(max_length=8)] = "internal",
) -> HTMLResponse | RedirectResponse:
    number = problem_number(problem_id)
    if number is None:
        return missing_problem(request, problem_id)

    def change() -> None:
        service.add_note(
            session=session,
            principal=principal,
            problem_id=number,
            text=text,
            visibility_=visibility,
            now=box.clock.now(),
        )

    values = {"text": text, "visibility": visibility}
    return change_problem(request, session, principal, box, number, "note", change, values)


@router.post("/problems/{problem_id}/attachments", response_model=None)
def upload_attachment(
    request: Request,
    session: SessionDep,
    principal: PageUserDep,
    box: ContainerDep,
    problem_id: str,
    files: Files = [],  # noqa: B006 (FastAPI copies the default)
    purpose: Annotated[str, Form(max_length=16)] = "evidence",
    public: Annotated[bool, Form()] = False,
) -> HTMLResponse | RedirectResponse:
    number = problem_number(problem_id)
    if number is None:
        return missing_problem(request, problem_id)

    def change() -> None:
        problem = service.get_problem(session=session, principal=principal, problem_id=number)
        service.check_attach(
            principal=principal, problem=problem, purpose=purpose
        )  # before storing
        stored = forms.store_files(session, box, principal.actor, files)
        if not stored:
            raise forms.FormProblem("file", "choose_file", "choose a file to upload")
        for item in stored:
            service.attach(
                session=session,
                principal=principal,
                problem_id=number,
                media_id=item.id,
                purpose=purpose,
                public=public,
                now=box.clock.now(),
            )

    values = {"purpose": purpose}
    return change_problem(request, session, principal, box, number, "attachment", change, values)


# --- one problem ----------------------------------------------------------------------------


def problem_number(problem_id: str) -> int | None:
    return int(problem_id) if problem_id.isdigit() and 0 < len(problem_id) < 10 else None


def missing_problem(request: Request, problem_id: str) -> HTMLResponse:
    return render(request, "problems/404.html", status_code=404, problem_id=problem_id)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    box: Container,
    problem_id: str,
    *,
    done: str = "",
    error: forms.Refusal | None = None,
    failed: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    number = problem_number(problem_id)
    try:
        if number is None:
            raise NotFoundError(problem_id)
        problem = service.get_problem(session=session, principal=principal, problem_id=number)
    except NotFoundError:
        return missing_problem(request, problem_id)
    policy = load_policy(session=session, settings=box.settings)
    detail = problem_detail(
        session=session, principal=principal, problem=problem, policy=policy, box=box
    )
    now = box.clock.now().astimezone(CHINA_TZ)
    readers = principal.role in ("admin", "officer", "grid_worker", "enterprise")
    enterprise = None
    if problem.enterprise_id is not None and (
        principal.role not in ("public", "supervisor")
        or (principal.role == "supervisor" and problem.state in service.ENTERPRISE_VISIBLE)
    ):  # a supervisor, like the enterprise itself, once rectification was ordered
        enterprise = session.get(Enterprise, problem.enterprise_id)
    point = session.get(MonitoringPoint, problem.point_id) if problem.point_id else None
    own_events, own_notes = forms.own(session, principal, problem)
    since = problem.state_times.get(problem.state)
    return render(
        request,
        "problems/detail.html",
        status_code=status_code,
        problem=problem,
        detail=detail,
        chain=forms.region_chain(session, problem.region_id),
        escalation_region=session.get(Region, problem.escalation_region_id)
        if problem.escalation_region_id
        else None,
        enterprise=enterprise,
        point_mn=point.mn if point is not None and readers else None,
        readers=readers,
        people=forms.people(session, detail) if detail.handles else {},
        own_events=own_events,
        own_notes=own_notes,
        state_since=datetime.fromisoformat(since) if isinstance(since, str) else None,
        finding_points=[[f.lat, f.lon] for f in detail.finding_list],
        iso_local=forms.iso_local,
        assignees=forms.assignees(session, problem)
        if {"assign", "reassign"} & set(detail.actions)
        else [],
        can_upload=detail.handles
        or (principal.role == "enterprise" and principal.enterprise_id == problem.enterprise_id),
        tiles={"url": box.settings.tile_url or "", "attribution": box.settings.tile_attribution},
        now_local=now.strftime("%Y-%m-%dT%H:%M"),
        reported_local=problem.reported_at.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M"),
        tomorrow=(now + timedelta(days=1)).date().isoformat(),
        done=done if done in DONE else "",
        error=error,
        failed=failed,
        values=values or {},
        supervision=supervision_panel(session, principal, problem, box),
    )


def change_problem(
    request: Request,
    session: Session,
    principal: Principal,
    box: Container,
    number: int,
    what: str,
    change: Callable[[], None],
    values: dict[str, str],
) -> HTMLResponse | RedirectResponse:
    """Run ``change`` in a savepoint: on success back to the page (303) with ``?done=what``;
    refused, the savepoint is rolled back and the page shows why, with the form as it was."""
    try:
        with session.begin_nested():
            change()
    except NotFoundError:
        return missing_problem(request, str(number))
    except (PermissionDenied, ConflictError, InputError) as exc:
        refusal = forms.refusal(exc)
        return _page(
            request,
            session,
            principal,
            box,
            str(number),
            error=refusal,
            failed=what,
            values=values,
            status_code=refusal.status,
        )
    return RedirectResponse(f"/problems/{number}?done={what}", status_code=303)
