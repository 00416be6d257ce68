"""The officers' clue desk pages: ``/clues`` (every clue of the problems an officer handles,
across channels, with filters, paging, a map of the filtered clues and bulk actions),
``/clues/rows`` (the results part, for htmx), ``/clues/targets`` (problems to attach to, found
by number or words), ``/clues/{id}`` (one clue with the deduplication's suggestions and their
reasons) and ``POST /clues/actions`` (a bulk action on the selected clues).

Handlers stay thin: they call ``ecoradar.clues.desk`` and ``ecoradar.clues.desk_actions``. A
refused action changes nothing (its savepoint is rolled back) and shows the desk again with a
sentence naming the clue, the selection kept; a done one redirects back (303) with ``?done=``.
The reporter's identity is never read here.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import desk
from ecoradar.clues import desk_actions as actions
from ecoradar.clues.models import CLUE_CHANNELS
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.problems import service as problems
from ecoradar.problems.models import CATEGORIES, STATES, Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.regions.models import Region
from ecoradar.web import problem_queue
from ecoradar.web.deps import ContainerDep, SessionDep, page_roles
from ecoradar.web.templating import query_string, render

router = APIRouter(include_in_schema=False)

DeskUser = Annotated[Principal, Depends(page_roles(*desk.DESK_ROLES))]
Short = Annotated[str, Query(max_length=32)]
DONE = frozenset(actions.ACTIONS)
TARGETS_SHOWN = 8

REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"same category"), "same_category"),
    (re.compile(r"(?P<m>\d+) m away"), "away"),
    (re.compile(r"(?P<m>\d+) m apart"), "away"),
    (re.compile(r"text (?P<value>\d+(?:\.\d+)?)"), "text"),
    (re.compile(r"photo (?P<bits>\d+) bits?"), "photo"),
    (re.compile(r"active now"), "active_now"),
    (re.compile(r"active (?P<n>\d+) h ago"), "active_hours"),
    (re.compile(r"active (?P<n>\d+) d ago"), "active_days"),
    (re.compile(r"(?P<n>\d+) minutes? apart"), "minutes_apart"),
    (re.compile(r"another problem scores (?P<value>\d+(?:\.\d+)?)"), "runner_up"),
    (re.compile(r"same concept: (?P<what>.+)"), "same_concept"),
    (re.compile(r"different (?P<what>[a-z ]+)"), "different"),
)
"""The deduplication's reasons (``clues.dedupe``: plain English for logs and the API) read back
into a sentence key and its numbers, which the page words in its language; an unknown reason
is shown as it is."""


def reason_parts(text: str) -> tuple[str, dict[str, str]]:
    for pattern, key in REASONS:
        found = pattern.fullmatch(text.strip())
        if found:
            return key, found.groupdict()
    return "", {"text": text}


def _desk_query(
    channel: Short = "",
    category: Short = "",
    region: Short = "",
    state: Short = "",
    dedupe: Short = "",
    since: Short = "",
    until: Short = "",
    q: Annotated[str, Query(max_length=desk.SEARCH_MAX)] = "",
    page: problem_queue.PageNumber = 1,
) -> tuple[desk.DeskQuery, str | None]:
    """The filters, or no filter and the message of the value that was not understood."""
    try:
        query = desk.desk_query(
            channel=channel,
            category=category,
            region=region,
            state=state,
            dedupe=dedupe,
            since=since,
            until=until,
            q=q,
            page=page,
        )
    except InputError as exc:
        return desk.DeskQuery(), str(exc)
    return query, None


Asked = Annotated[tuple[desk.DeskQuery, str | None], Depends(_desk_query)]


def _regions(session: Session, principal: Principal) -> list[Region]:
    return problem_queue.covered_regions(session, principal)


def _tiles(box: Container) -> dict[str, str]:
    return {"url": box.settings.tile_url or "", "attribution": box.settings.tile_attribution}


def _results(
    session: Session,
    principal: Principal,
    box: Container,
    query: desk.DeskQuery,
    error: str | None,
) -> dict[str, Any]:
    try:
        result = desk.list_desk(session=session, principal=principal, query=query)
        points = desk.map_points(session=session, principal=principal, query=query)
    except InputError as exc:  # an unknown area
        error, query = str(exc), desk.DeskQuery()
        result = desk.list_desk(session=session, principal=principal, query=query)
        points = desk.map_points(session=session, principal=principal, query=query)
    names = {
        r.id: r
        for r in session.scalars(
            select(Region).where(
                Region.id.in_(sorted({row.problem.region_id for row in result.items}))
            )
        )
    }
    return {
        "query": query,
        "result": result,
        "points": points,
        "map_limit": desk.MAP_LIMIT,
        "names": names,
        "filter_error": error,
        "reason_parts": reason_parts,
        "tiles": _tiles(box),
    }


def _desk(
    request: Request,
    session: Session,
    principal: Principal,
    box: Container,
    query: desk.DeskQuery,
    error: str | None,
    *,
    done: str = "",
    count: int = 0,
    target: int | None = None,
    refusal: actions.DeskRefused | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "clues/desk.html",
        status_code=status_code if not error else 422,
        regions=_regions(session, principal),
        channels=CLUE_CHANNELS,
        categories=CATEGORIES,
        states=STATES,
        dedupe_filters=desk.DEDUPE_FILTERS,
        done=done if done in DONE else "",
        done_count=count,
        done_target=target,
        refusal=refusal,
        form=form or {},
        selected=set((form or {}).get("clue_ids", ())),
        **_results(session, principal, box, query, error),
    )


@router.get("/clues")
def desk_page(
    request: Request,
    session: SessionDep,
    principal: DeskUser,
    box: ContainerDep,
    asked: Asked,
    done: Short = "",
    n: Annotated[int, Query(ge=0, le=actions.MAX_SELECTED)] = 0,
    target: Annotated[int | None, Query(ge=1, le=2**31)] = None,
) -> HTMLResponse:
    query, error = asked
    return _desk(request, session, principal, box, query, error, done=done, count=n, target=target)


@router.get("/clues/rows")
def desk_rows(
    request: Request, session: SessionDep, principal: DeskUser, box: ContainerDep, asked: Asked
) -> HTMLResponse:
    """The results part of ``/clues`` (table, pager and map), for htmx to swap in."""
    query, error = asked
    context = _results(session, principal, box, query, error)
    headers = {}
    if request.headers.get("hx-request") == "true" and not context["filter_error"]:
        shown = context["result"].page
        headers["HX-Push-Url"] = "/clues" + query_string(
            **query.params(page=shown if shown > 1 else None)
        )
    return render(
        request, "clues/_results.html", headers=headers, selected=set(), form={}, **context
    )


@router.get("/clues/targets")
def targets(
    request: Request,
    session: SessionDep,
    principal: DeskUser,
    find: Annotated[str, Query(max_length=desk.SEARCH_MAX)] = "",
) -> HTMLResponse:
    """Open problems to attach to or mark as the original: by number (``#12`` or ``12``) or
    by words of the title and description."""
    text = find.strip().lstrip("#")
    found: list[Problem] = []
    if text.isdigit() and len(text) < 10:
        try:
            one = problems.get_problem(session=session, principal=principal, problem_id=int(text))
        except NotFoundError:
            one = None
        if one is not None and one.state in OPEN_STATES and problems.handles(principal, one):
            found = [one]
    elif text:
        page = problems.list_problems(
            session=session,
            principal=principal,
            filters=problems.ProblemFilter(state=tuple(sorted(OPEN_STATES)), q=text),
            page=1,
            per_page=TARGETS_SHOWN,
        )
        found = [p for p in page.items if problems.handles(principal, p)]
    return render(request, "clues/_targets.html", found=found, q=find.strip())


@router.get("/clues/{clue_id}")
def clue_page(
    request: Request, session: SessionDep, principal: DeskUser, box: ContainerDep, clue_id: str
) -> HTMLResponse:
    number = int(clue_id) if clue_id.isdigit() and 0 < len(clue_id) < 10 else None
    try:
        if number is None:
            raise NotFoundError(clue_id)
        row = desk.desk_clue(session=session, principal=principal, clue_id=number)
    except NotFoundError:
        return render(request, "404.html", status_code=404, code=None)
    fresh = desk.fresh_suggestions(
        session=session, principal=principal, row=row, settings=box.settings
    )
    stored_ids = {int(s["problem_id"]) for s in row.suggestions if "problem_id" in s}
    titles = {
        p.id: p
        for p in session.scalars(select(Problem).where(Problem.id.in_(sorted(stored_ids))))
        if problems.handles(principal, p)
    }
    return render(
        request,
        "clues/detail.html",
        row=row,
        fresh=fresh,
        stored=titles,
        region=session.get(Region, row.problem.region_id),
        reason_parts=reason_parts,
        tiles=_tiles(box),
    )


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 10]


@router.post("/clues/actions", response_model=None)
def bulk_action(
    request: Request,
    session: SessionDep,
    principal: DeskUser,
    box: ContainerDep,
    asked: Asked,
    action: Annotated[str, Form(max_length=16)] = "",
    clue_ids: Annotated[list[str], Form(max_length=actions.MAX_SELECTED + 1)] = [],  # noqa: B006
    target: Annotated[str, Form(max_length=12)] = "",
    target_kind: Annotated[str, Form(max_length=8)] = "problem",
    reason: Annotated[str, Form(max_length=actions.REASON_MAX + 100)] = "",
) -> HTMLResponse | RedirectResponse:
    """One bulk action on the selected clues; the filters ride in the query string, so the
    desk comes back as it was."""
    query, error = asked
    chosen = _ints(clue_ids)
    number = target.strip().lstrip("#")
    wanted = int(number) if number.isdigit() and len(number) < 10 else None
    now = box.clock.now()
    try:
        if action == "reject":
            policy = load_policy(session=session, settings=box.settings)
            result = actions.reject(
                session=session,
                principal=principal,
                clue_ids=chosen,
                reason=reason,
                now=now,
                policy=policy,
            )
        elif action in ("attach", "duplicate"):
            if target_kind == "clue" and wanted is not None:
                wanted = actions.target_of_clue(session, principal, wanted)
            if action == "attach":
                result = actions.attach(
                    session=session,
                    principal=principal,
                    clue_ids=chosen,
                    problem_id=wanted,
                    now=now,
                    policy=load_policy(session=session, settings=box.settings),
                    reason=reason,
                )
            else:
                result = actions.mark_duplicate(
                    session=session,
                    principal=principal,
                    clue_ids=chosen,
                    problem_id=wanted,
                    now=now,
                )
        else:
            raise actions.DeskRefused("no_action", 422)
    except actions.DeskRefused as refused:
        form = {
            "action": action,
            "clue_ids": chosen,
            "target": target,
            "target_kind": target_kind,
            "reason": reason,
        }
        return _desk(
            request,
            session,
            principal,
            box,
            query,
            error,
            refusal=refused,
            form=form,
            status_code=refused.status,
        )
    back = query_string(
        **query.params(
            page=query.page if query.page > 1 else None,
            done=result.action,
            n=len(result.clue_ids),
            target=result.problem_ids[0] if action != "reject" else None,
        )
    )
    return RedirectResponse(f"/clues{back}", status_code=303)
