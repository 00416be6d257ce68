"""What the supervision API takes and returns. A question names who asked by kind and
organisation only (officers handling the problem also get the name); never a reporter."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ecoradar.privacy.mask import mask
from ecoradar.problems.models import Problem
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.supervision.models import ANSWER_MAX, QUESTION_MAX
from ecoradar.supervision.service import Followed, QuestionView, Raised


def due_of(problem: Problem) -> datetime | None:
    """The deadline that runs now: acceptance while reported, handling in the other open
    states, none once final."""
    if problem.state == "reported":
        return problem.acceptance_due
    if problem.state in OPEN_STATES:
        return problem.handling_due
    return None


class RaisedRead(BaseModel):
    problem_id: int
    clue_id: int
    duplicate: bool
    """The report joined a problem already in the register: you follow that one."""
    already_known: bool

    @classmethod
    def of(cls, raised: Raised) -> RaisedRead:
        return cls(
            problem_id=raised.problem_id,
            clue_id=raised.clue_id,
            duplicate=raised.duplicate,
            already_known=raised.already_known,
        )


class QuestionIn(BaseModel):
    question: str = Field(min_length=1, max_length=QUESTION_MAX)


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=ANSWER_MAX)


class QuestionRead(BaseModel):
    id: int
    problem_id: int
    kind: str
    """Who asked: deputy, cppcc, media or discipline."""
    organisation: str
    asker_name: str | None
    """Only for the officers handling the problem."""
    mine: bool
    question: str
    asked_at: datetime
    due_at: datetime
    state: str
    """``open``, ``overdue``, ``answered`` (on time) or ``answered_late``."""
    answer: str | None
    answered_at: datetime | None
    can_answer: bool

    @classmethod
    def of(cls, view: QuestionView) -> QuestionRead:
        q = view.question
        return cls(
            id=q.id,
            problem_id=q.problem_id,
            kind=view.kind,
            organisation=view.organisation,
            asker_name=view.asker_name,
            mine=view.mine,
            question=q.question,
            asked_at=q.asked_at,
            due_at=q.due_at,
            state=view.state,
            answer=q.answer,
            answered_at=q.answered_at,
            can_answer=view.can_answer,
        )


class SupervisedRead(BaseModel):
    """A problem a supervisor follows, as they see it (masked title)."""

    problem_id: int
    title: str
    category: str
    state: str
    deadline: datetime | None
    """The deadline that runs now (acceptance, then handling); None once final."""
    overdue: bool
    raised: bool
    followed_at: datetime
    raised_at: datetime | None
    questions: list[QuestionRead]


def supervised(item: Followed, views: list[QuestionView]) -> SupervisedRead:
    problem: Problem = item.problem
    return SupervisedRead(
        problem_id=problem.id,
        title=mask(problem.title),
        category=problem.category,
        state=problem.state,
        deadline=due_of(problem),
        overdue=problem.overdue_since is not None,
        raised=item.link.raised_at is not None,
        followed_at=item.link.followed_at,
        raised_at=item.link.raised_at,
        questions=[QuestionRead.of(v) for v in views],
    )


class QuestionItemRead(QuestionRead):
    """A question in a list, with its problem's (masked unless handled) title and state."""

    problem_title: str
    problem_state: str


def question_item(view: QuestionView, problem: Problem, *, handles: bool) -> QuestionItemRead:
    return QuestionItemRead(
        **QuestionRead.of(view).model_dump(),
        problem_title=problem.title if handles else mask(problem.title),
        problem_state=problem.state,
    )
