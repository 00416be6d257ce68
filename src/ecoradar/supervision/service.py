"""Supervisors' use cases: raising a problem, following problems, asking the bureau a question
and the bureau answering it, and the lists each side sees.

A supervisor is a user of the role ``supervisor`` with a ``Supervisor`` row (kind, organisation)
and a region. What a supervisor may see of the register is ``problems.service.visibility``: the
problems of their region and those they follow; always read-only, with the free text masked,
only the public timeline, notes and files, and never a reporter's identity (``handles`` is false
for them). Their raised problems come in through the clue intake (``clues.intake.submit_clue``,
channel ``supervisor``), deduplicated and routed like every other channel's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.config import Settings
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.problems import service as problems
from ecoradar.problems.deadlines import Span, parse_span
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.policy import stored_calendar
from ecoradar.regions.index import RegionIndex
from ecoradar.regions.service import smallest_region
from ecoradar.supervision import rules
from ecoradar.supervision.models import (
    ANSWER_MAX,
    CHANNEL,
    QUESTION_MAX,
    SupervisedProblem,
    SupervisionQuestion,
    Supervisor,
)

MAX_OPEN_PER_PROBLEM = 3
"""Unanswered questions one supervisor may have on one problem at a time."""
QuestionFilter = Literal["open", "overdue", "answered", "all"]
FILTERS: tuple[QuestionFilter, ...] = ("open", "overdue", "answered", "all")


def answer_within(settings: Settings) -> Span:
    return parse_span(settings.supervision_answer_within, "supervision_answer_within")


def supervisor_of(*, session: Session, principal: Principal) -> Supervisor:
    """The ``Supervisor`` row of ``principal``; ``PermissionDenied`` for anyone else."""
    if principal.role != "supervisor" or principal.user_id is None:
        raise PermissionDenied(
            "this is for supervisors: deputies, CPPCC members, media, discipline"
        )
    found = session.get(Supervisor, principal.user_id)
    if found is None:
        raise PermissionDenied(f"user {principal.username}: no supervisor kind recorded")
    return found


def _follow_row(
    session: Session, supervisor: Supervisor, problem: Problem, now: datetime
) -> SupervisedProblem:
    row = session.scalar(
        select(SupervisedProblem).where(
            SupervisedProblem.user_id == supervisor.user_id,
            SupervisedProblem.problem_id == problem.id,
        )
    )
    if row is None:
        row = SupervisedProblem(
            user_id=supervisor.user_id,
            problem_id=problem.id,
            kind=supervisor.kind,
            region_id=problem.region_id,
            followed_at=now,
        )
        session.add(row)
        session.flush()
    return row


# --- raising ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    problem_id: int
    clue_id: int
    duplicate: bool
    """The report joined a problem already in the register: the supervisor follows that one."""
    already_known: bool


def raise_problem(
    *,
    session: Session,
    settings: Settings,
    index: RegionIndex,
    principal: Principal,
    item: ClueIn,
    now: datetime,
) -> Raised:
    """Put a supervisor's problem into the register through the clue intake (channel
    ``supervisor``, the supervisor's account as the protected reporter, the kind in the
    finding's data) and follow it. The place must lie in the supervisor's region."""
    supervisor = supervisor_of(session=session, principal=principal)
    assert principal.user_id is not None
    try:
        place = smallest_region(session=session, index=index, lon=item.lon, lat=item.lat)
    except NotFoundError:
        place = None
    if place is not None and not principal.covers_region(place.id):
        raise InputError("location: the place lies outside your region")
    item = replace(
        item,
        channel=CHANNEL,
        anonymous=False,
        reporter_user_id=principal.user_id,
        reporter_name=None,
        reporter_contact=None,
        client=f"user:{principal.user_id}",
        token_id=principal.token_id,
        data={"supervisor_kind": supervisor.kind},
    )
    receipt = submit_clue(
        session=session, settings=settings, index=index, item=item, now=now, actor=principal.actor
    )
    problem = session.get(Problem, receipt.problem_id)
    assert problem is not None
    row = _follow_row(session, supervisor, problem, now)
    if row.raised_at is None:
        finding_id = session.scalar(
            select(Finding.id).where(
                Finding.problem_id == problem.id,
                Finding.channel == CHANNEL,
                Finding.reporter_user_id == principal.user_id,
            )
        )
        row.raised_at = now
        row.finding_id = finding_id
        record_by(
            principal,
            session=session,
            at=now,
            action="supervision.raise",
            entity_type="problem",
            entity_id=problem.id,
            after={"kind": supervisor.kind, "clue_id": receipt.clue_id, "finding_id": finding_id},
        )
    return Raised(problem.id, receipt.clue_id, receipt.duplicate, receipt.already_known)


# --- following --------------------------------------------------------------------------------


def follow(
    *, session: Session, principal: Principal, problem_id: int, now: datetime
) -> SupervisedProblem:
    """Follow a problem the supervisor may see (their region's); following twice is one."""
    supervisor = supervisor_of(session=session, principal=principal)
    problem = problems.get_problem(session=session, principal=principal, problem_id=problem_id)
    known = session.scalar(
        select(SupervisedProblem.id).where(
            SupervisedProblem.user_id == supervisor.user_id,
            SupervisedProblem.problem_id == problem.id,
        )
    )
    row = _follow_row(session, supervisor, problem, now)
    if known is None:
        record_by(
            principal,
            session=session,
            at=now,
            action="supervision.follow",
            entity_type="problem",
            entity_id=problem.id,
        )
    return row


def unfollow(*, session: Session, principal: Principal, problem_id: int, now: datetime) -> None:
    """Stop following a problem; one the supervisor raised stays followed."""
    supervisor = supervisor_of(session=session, principal=principal)
    row = session.scalar(
        select(SupervisedProblem).where(
            SupervisedProblem.user_id == supervisor.user_id,
            SupervisedProblem.problem_id == problem_id,
        )
    )
    if row is None:
        raise NotFoundError(f"problem {problem_id}: you do not follow it")
    if row.raised_at is not None:
        raise ConflictError(f"problem {problem_id}: you raised it, so you keep following it")
    session.delete(row)
    record_by(
        principal,
        session=session,
        at=now,
        action="supervision.unfollow",
        entity_type="problem",
        entity_id=problem_id,
    )


@dataclass(frozen=True)
class Followed:
    problem: Problem
    link: SupervisedProblem
    questions: list[SupervisionQuestion]


def followed(*, session: Session, principal: Principal) -> list[Followed]:
    """The problems the supervisor follows (raised ones too), newest first, each with the
    supervisor's own questions on it."""
    supervisor_of(session=session, principal=principal)
    rows = session.execute(
        select(SupervisedProblem, Problem)
        .join(Problem, SupervisedProblem.problem_id == Problem.id)
        .where(SupervisedProblem.user_id == principal.user_id)
        .order_by(SupervisedProblem.followed_at.desc(), SupervisedProblem.id.desc())
    ).all()
    asked: dict[int, list[SupervisionQuestion]] = {}
    for q in session.scalars(
        select(SupervisionQuestion)
        .where(SupervisionQuestion.asker_user_id == principal.user_id)
        .order_by(SupervisionQuestion.asked_at, SupervisionQuestion.id)
    ):
        asked.setdefault(q.problem_id, []).append(q)
    return [Followed(problem, link, asked.get(problem.id, [])) for link, problem in rows]


# --- questions --------------------------------------------------------------------------------


def may_answer(principal: Principal, problem: Problem) -> bool:
    """The bureau answers: an officer covering the problem's region, or an administrator."""
    return principal.is_admin or (
        principal.role == "officer" and principal.covers_region(problem.region_id)
    )


def sees_questions(principal: Principal, problem: Problem) -> bool:
    """Supervisors who may see the problem, and the officers handling it, see its questions."""
    return principal.role == "supervisor" or problems.handles(principal, problem)


def ask(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    problem_id: int,
    question: str,
    now: datetime,
) -> SupervisionQuestion:
    """A supervisor's question on a problem they may see, due within
    ``settings.supervision_answer_within`` on the working calendar; the supervisor then
    follows the problem."""
    supervisor = supervisor_of(session=session, principal=principal)
    problem = problems.get_problem(session=session, principal=principal, problem_id=problem_id)
    text = question.strip()
    if not text:
        raise InputError("question: empty")
    if len(text) > QUESTION_MAX:
        raise InputError(f"question: longer than {QUESTION_MAX} characters")
    waiting = session.scalars(
        select(SupervisionQuestion.id).where(
            SupervisionQuestion.problem_id == problem.id,
            SupervisionQuestion.asker_user_id == supervisor.user_id,
            SupervisionQuestion.answered_at.is_(None),
        )
    ).all()
    if len(waiting) >= MAX_OPEN_PER_PROBLEM:
        raise ConflictError(
            f"question: you already wait for {len(waiting)} answers on problem {problem.id}"
        )
    row = SupervisionQuestion(
        problem_id=problem.id,
        asker_user_id=supervisor.user_id,
        kind=supervisor.kind,
        region_id=problem.region_id,
        question=text,
        asked_at=now,
        due_at=rules.answer_due(now, answer_within(settings), stored_calendar(session)),
    )
    session.add(row)
    _follow_row(session, supervisor, problem, now)
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="supervision.ask",
        entity_type="supervision_question",
        entity_id=row.id,
        after={"problem_id": problem.id, "kind": row.kind, "due_at": row.due_at.isoformat()},
    )
    return row


def answer(
    *, session: Session, principal: Principal, question_id: int, text: str, now: datetime
) -> SupervisionQuestion:
    """The bureau's answer (an officer of the problem's region, or an administrator); a
    question is answered once."""
    row = session.get(SupervisionQuestion, question_id)
    if row is None:
        raise NotFoundError(f"no question {question_id}")
    try:
        problem = problems.get_problem(
            session=session, principal=principal, problem_id=row.problem_id
        )
    except NotFoundError:
        raise NotFoundError(f"no question {question_id}") from None
    if not may_answer(principal, problem):
        raise PermissionDenied("only the officers of the problem's region answer its questions")
    if row.answered_at is not None:
        raise ConflictError(f"question {question_id}: already answered")
    clean = text.strip()
    if not clean:
        raise InputError("answer: empty")
    if len(clean) > ANSWER_MAX:
        raise InputError(f"answer: longer than {ANSWER_MAX} characters")
    row.answer = clean
    row.answered_at = now
    row.answered_by = principal.actor
    row.answerer_user_id = principal.user_id
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="supervision.answer",
        entity_type="supervision_question",
        entity_id=row.id,
        after={
            "problem_id": problem.id,
            "on_time": now <= row.due_at,
        },
    )
    return row


@dataclass(frozen=True)
class QuestionView:
    """A question as a reader sees it: who asked is the kind and organisation (a handler also
    sees the name); who answered is "the bureau"."""

    question: SupervisionQuestion
    state: rules.QuestionState
    kind: str
    organisation: str
    asker_name: str | None
    mine: bool
    can_answer: bool


def views_of(
    session: Session,
    principal: Principal,
    rows: Sequence[tuple[SupervisionQuestion, Problem]],
    now: datetime,
) -> list[QuestionView]:
    askers = {q.asker_user_id for q, _ in rows}
    found = (
        session.execute(
            select(User.id, User.display_name, Supervisor.organisation)
            .outerjoin(Supervisor, Supervisor.user_id == User.id)
            .where(User.id.in_(sorted(askers)))
        ).all()
        if askers
        else []
    )
    people = {int(i): (str(name), str(org or "")) for i, name, org in found}
    out = []
    for q, problem in rows:
        name, organisation = people.get(q.asker_user_id, ("", ""))
        handles = problems.handles(principal, problem)
        out.append(
            QuestionView(
                question=q,
                state=rules.question_state(q.due_at, q.answered_at, now),
                kind=q.kind,
                organisation=organisation,
                asker_name=name if handles else None,
                mine=q.asker_user_id == principal.user_id,
                can_answer=q.answered_at is None and may_answer(principal, problem),
            )
        )
    return out


def questions_on(
    *, session: Session, principal: Principal, problem: Problem, now: datetime
) -> list[QuestionView]:
    """The questions on ``problem`` (a problem ``principal`` may see), oldest first; none for a
    reader who is neither a supervisor nor handling the problem."""
    if not sees_questions(principal, problem):
        return []
    rows = session.scalars(
        select(SupervisionQuestion)
        .where(SupervisionQuestion.problem_id == problem.id)
        .order_by(SupervisionQuestion.asked_at, SupervisionQuestion.id)
    ).all()
    return views_of(session, principal, [(q, problem) for q in rows], now)


def question_list(
    *,
    session: Session,
    principal: Principal,
    now: datetime,
    state: QuestionFilter = "open",
    limit: int = 500,
) -> list[tuple[QuestionView, Problem]]:
    """Questions by due date: for officers and administrators those on the problems of their
    regions, for a supervisor their own; ``state`` ``open`` (overdue ones included),
    ``overdue``, ``answered`` or ``all``."""
    if state not in FILTERS:
        raise InputError(f"state: {state!r} is not one of {', '.join(FILTERS)}")
    where: list[ColumnElement[bool]] = []
    if principal.role == "supervisor":
        supervisor_of(session=session, principal=principal)
        where.append(SupervisionQuestion.asker_user_id == principal.user_id)
    elif principal.is_admin:
        where.append(true())
    elif principal.role == "officer":
        where.append(Problem.region_id.in_(sorted(principal.region_ids)))
    else:
        raise PermissionDenied("supervisors' questions are for officers and supervisors")
    if state == "open":
        where.append(SupervisionQuestion.answered_at.is_(None))
    elif state == "overdue":
        where.append(
            and_(SupervisionQuestion.answered_at.is_(None), SupervisionQuestion.due_at < now)
        )
    elif state == "answered":
        where.append(SupervisionQuestion.answered_at.is_not(None))
    order = (
        (SupervisionQuestion.answered_at.desc(), SupervisionQuestion.id.desc())
        if state == "answered"
        else (SupervisionQuestion.due_at, SupervisionQuestion.id)
    )
    rows = session.execute(
        select(SupervisionQuestion, Problem)
        .join(Problem, SupervisionQuestion.problem_id == Problem.id)
        .where(*where)
        .order_by(*order)
        .limit(limit)
    ).all()
    pairs = [(q, p) for q, p in rows]
    return list(zip(views_of(session, principal, pairs, now), [p for _, p in pairs], strict=True))
