"""Supervision over HTTP (thin): supervisors raise problems, follow them and ask questions;
officers answer; the figures for staff (``GET /api/stats/supervision``, JSON or CSV)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from ecoradar.auth.principal import Principal
from ecoradar.clues.intake import ClueIn
from ecoradar.clues.views import aware_time, parse_attributes, uploads_of
from ecoradar.problems import service as problems
from ecoradar.problems.schemas import Category
from ecoradar.supervision import service, stats
from ecoradar.supervision.schemas import (
    AnswerIn,
    QuestionIn,
    QuestionItemRead,
    QuestionRead,
    RaisedRead,
    SupervisedRead,
    question_item,
    supervised,
)
from ecoradar.web.deps import ContainerDep, PrincipalDep, SessionDep, StaffDep, require_roles

router = APIRouter(prefix="/api", tags=["supervision"])

SupervisorDep = Annotated[Principal, Depends(require_roles("supervisor"))]
ProblemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
QuestionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}


@router.post("/supervision/problems", response_model=RaisedRead, status_code=201)
def raise_problem(
    session: SessionDep,
    box: ContainerDep,
    principal: SupervisorDep,
    category: Annotated[Category, Form()],
    lat: Annotated[float, Form(ge=-90, le=90)],
    long: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    photos: Annotated[list[UploadFile] | None, File(description="Optional photos")] = None,
    observed_at: Annotated[datetime | None, Form()] = None,
    attributes: Annotated[str | None, Form(max_length=20_000)] = None,
    address_string: Annotated[str | None, Form(max_length=400)] = None,
    source_ref: Annotated[str | None, Form(max_length=120)] = None,
) -> RaisedRead:
    """A supervisor raises a problem ("问政"): category (and its questions), place in your
    region, description, address, photos. It enters the register as channel ``supervisor``,
    is deduplicated and routed like any report, and you follow it. Send ``source_ref`` (made
    once per report) to have a report sent twice recorded once."""
    item = ClueIn(
        channel="supervisor",
        category=category,
        lat=lat,
        lon=long,
        description=description,
        observed_at=aware_time(observed_at),
        attributes=parse_attributes(attributes),
        photos=uploads_of(photos, box),
        anonymous=False,
        address_string=address_string,
        source_ref=source_ref,
    )
    raised = service.raise_problem(
        session=session,
        settings=box.settings,
        index=box.regions.get(session),
        principal=principal,
        item=item,
        now=box.clock.now(),
    )
    return RaisedRead.of(raised)


@router.get("/supervision/problems", response_model=list[SupervisedRead])
def my_problems(
    session: SessionDep, box: ContainerDep, principal: SupervisorDep
) -> list[SupervisedRead]:
    """The problems you follow (those you raised too), newest first, with their state, the
    deadline that runs now and your questions with the bureau's answers."""
    now = box.clock.now()
    out = []
    for item in service.followed(session=session, principal=principal):
        views = service.views_of(
            session, principal, [(q, item.problem) for q in item.questions], now
        )
        out.append(supervised(item, views))
    return out


@router.put("/supervision/problems/{problem_id}", status_code=204)
def follow(
    problem_id: ProblemId, session: SessionDep, box: ContainerDep, principal: SupervisorDep
) -> Response:
    """Follow a problem of your region."""
    service.follow(session=session, principal=principal, problem_id=problem_id, now=box.clock.now())
    return Response(status_code=204)


@router.delete("/supervision/problems/{problem_id}", status_code=204)
def unfollow(
    problem_id: ProblemId, session: SessionDep, box: ContainerDep, principal: SupervisorDep
) -> Response:
    """Stop following a problem (one you raised stays followed: 409)."""
    service.unfollow(
        session=session, principal=principal, problem_id=problem_id, now=box.clock.now()
    )
    return Response(status_code=204)


@router.get("/problems/{problem_id}/questions", response_model=list[QuestionRead])
def questions_on(
    problem_id: ProblemId, session: SessionDep, box: ContainerDep, principal: PrincipalDep
) -> list[QuestionRead]:
    """Supervisors' questions on a problem and the bureau's answers: for supervisors who may
    see the problem and the officers handling it (others get an empty list)."""
    problem = problems.get_problem(session=session, principal=principal, problem_id=problem_id)
    views = service.questions_on(
        session=session, principal=principal, problem=problem, now=box.clock.now()
    )
    return [QuestionRead.of(v) for v in views]


@router.post("/problems/{problem_id}/questions", response_model=QuestionRead, status_code=201)
def ask(
    problem_id: ProblemId,
    body: QuestionIn,
    session: SessionDep,
    box: ContainerDep,
    principal: SupervisorDep,
) -> QuestionRead:
    """Ask the bureau a question on a problem you may see; it must be answered within
    ``ECORADAR_SUPERVISION_ANSWER_WITHIN`` (default five working days)."""
    now = box.clock.now()
    row = service.ask(
        session=session,
        settings=box.settings,
        principal=principal,
        problem_id=problem_id,
        question=body.question,
        now=now,
    )
    problem = problems.get_problem(session=session, principal=principal, problem_id=problem_id)
    view = service.views_of(session, principal, [(row, problem)], now)[0]
    return QuestionRead.of(view)


@router.post("/supervision/questions/{question_id}/answer", response_model=QuestionRead)
def answer(
    question_id: QuestionId,
    body: AnswerIn,
    session: SessionDep,
    box: ContainerDep,
    principal: PrincipalDep,
) -> QuestionRead:
    """The bureau's answer: an officer of the problem's region (or an administrator); once."""
    now = box.clock.now()
    row = service.answer(
        session=session, principal=principal, question_id=question_id, text=body.answer, now=now
    )
    problem = problems.get_problem(session=session, principal=principal, problem_id=row.problem_id)
    return QuestionRead.of(service.views_of(session, principal, [(row, problem)], now)[0])


@router.get("/supervision/questions", response_model=list[QuestionItemRead])
def question_list(
    session: SessionDep,
    box: ContainerDep,
    principal: PrincipalDep,
    state: Literal["open", "overdue", "answered", "all"] = "open",
) -> list[QuestionItemRead]:
    """Questions by due date: an officer's are those on the problems of their region, a
    supervisor's their own; ``open`` includes the overdue ones."""
    found = service.question_list(
        session=session, principal=principal, now=box.clock.now(), state=state
    )
    return [
        question_item(view, problem, handles=problems.handles(principal, problem))
        for view, problem in found
    ]


GroupBy = Literal["kind", "region", "kind_region"]
Period = Literal["month", "quarter", "year", "all"]
Level = Literal["province", "city", "county", "township", "grid"]


@router.get("/stats/supervision", responses=CSV, tags=["statistics"])
def supervision_stats(
    session: SessionDep,
    box: ContainerDep,
    principal: StaffDep,
    date_from: Annotated[date, Query(alias="from", description="First China day")],
    date_to: Annotated[date, Query(alias="to", description="Last China day")],
    period: Period = "quarter",
    group_by: GroupBy = "kind",
    level: Annotated[
        Level | None, Query(description="Region rows at this level (default: yours)")
    ] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Supervision figures from ``from`` to ``to`` (China days, both included) per supervisor
    kind, region or both and per period, in your scope: problems raised by supervisors,
    questions asked, answered, answered on time and late, open, overdue, the on-time share and
    the median days to answer."""
    table = stats.supervision_figures(
        session=session,
        principal=principal,
        first=date_from,
        last=date_to,
        now=box.clock.now(),
        period=period,
        group_by=group_by,
        level=level,
    )
    if format == "csv":
        return Response(
            stats.to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="supervision-stats.csv"'},
        )
    return stats.as_json(table)
