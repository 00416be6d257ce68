"""What the problem page shows of supervision (``ecoradar.supervision``): the supervisors'
questions with the bureau's answers (for supervisors and the officers handling the problem),
the ask form and following for a supervisor, the answer form for an officer of the region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.problems.models import Problem
from ecoradar.supervision import service
from ecoradar.supervision.models import QUESTION_MAX, SupervisedProblem

SUPERVISION_DONE = ("question", "answer", "follow", "unfollow")
"""What ``?done=`` may name after a supervision form on the problem page."""


def supervision_panel(
    session: Session, principal: Principal, problem: Problem, box: Container
) -> dict[str, Any]:
    """The problem page's supervision context."""
    now = box.clock.now()
    supervisor = principal.role == "supervisor"
    link = None
    if supervisor and principal.user_id is not None:
        link = session.scalar(
            select(SupervisedProblem).where(
                SupervisedProblem.user_id == principal.user_id,
                SupervisedProblem.problem_id == problem.id,
            )
        )
    return {
        "shown": service.sees_questions(principal, problem),
        "supervisor": supervisor,
        "questions": service.questions_on(
            session=session, principal=principal, problem=problem, now=now
        ),
        "following": link is not None,
        "raised": link is not None and link.raised_at is not None,
        "span": service.answer_within(box.settings),
        "question_max": QUESTION_MAX,
    }
