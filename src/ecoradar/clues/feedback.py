"""The reporter's follow-up after closure, by tracking code: confirm the problem is fixed, or
dispute it ("still not fixed"), and rate the handling.

Within ``clue_feedback_days`` of the problem's final state (closure, rejection, ...): a
satisfaction answer (1-5) in any final state; confirming or disputing only once it is
``closed``. A dispute reopens the problem through the workflow, the reporter acting (role
``public``, the reporter relation proved by the tracking code); its text is the public reason.
Answers may be changed within the period; each one is audited (``clue.feedback``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.clues.models import Clue
from ecoradar.clues.service import feedback_until, final_since
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import ConflictError, InputError, NotFoundError
from ecoradar.problems import timeline
from ecoradar.problems.models import Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.workflow import Action, Actor, Payload, Role, State, decide

FeedbackKind = Literal["confirmed", "disputed"]
TEXT_MAX = 2000


@dataclass(frozen=True)
class FeedbackIn:
    feedback: FeedbackKind | None = None
    text: str | None = None
    satisfaction: int | None = None


def reporter_actor(clue: Clue) -> str:
    """Who acts when a reporter uses the tracking code (never the code itself: officers read
    the timeline's actors)."""
    return f"public:clue-{clue.id}"


def give_feedback(
    *,
    session: Session,
    settings: Settings,
    clue: Clue,
    answer: FeedbackIn,
    now: datetime,
    ip: str | None = None,
) -> Clue:
    """Record the reporter's answer; a dispute reopens the problem. Raises ``InputError`` for
    an empty or malformed answer and ``ConflictError`` outside the feedback period."""
    text = (answer.text or "").strip()
    if answer.feedback is None and answer.satisfaction is None:
        raise InputError("feedback: give feedback (confirmed or disputed), satisfaction or both")
    if answer.feedback not in (None, "confirmed", "disputed"):
        raise InputError("feedback: must be confirmed or disputed")
    if answer.satisfaction is not None and not 1 <= answer.satisfaction <= 5:
        raise InputError("satisfaction: from 1 (very dissatisfied) to 5 (very satisfied)")
    if answer.feedback == "disputed" and not text:
        raise InputError("text: say what is still wrong to dispute the closure")
    if len(text) > TEXT_MAX or "\x00" in text:
        raise InputError(f"text: longer than {TEXT_MAX} characters, or holds NUL")
    problem = session.get(Problem, clue.problem_id)
    if problem is None:  # pragma: no cover - a foreign key
        raise NotFoundError("tracking code: the problem is gone")
    _check_period(problem, answer, settings.clue_feedback_days, now)
    actor = reporter_actor(clue)
    before = {
        "feedback": clue.feedback,
        "satisfaction": clue.satisfaction,
        "state": problem.state,
    }
    if answer.feedback == "disputed":
        _reopen(session, settings, clue, problem, text, now, actor, ip)
    if answer.feedback is not None:
        clue.feedback = answer.feedback
        clue.feedback_at = now
        clue.feedback_text = text or None
    if answer.satisfaction is not None:
        clue.satisfaction = answer.satisfaction
        clue.satisfaction_at = now
    session.flush()
    audit(
        session=session,
        at=now,
        actor=actor,
        action="clue.feedback",
        entity_type="clue",
        entity_id=clue.id,
        before=before,
        after={
            "feedback": clue.feedback,
            "satisfaction": clue.satisfaction,
            "state": problem.state,
        },
        reason=text or None,
        ip=ip,
    )
    return clue


def _check_period(problem: Problem, answer: FeedbackIn, days: int, now: datetime) -> None:
    since = final_since(problem)
    if since is None:
        raise ConflictError(
            f"feedback: the problem is still being handled (state {problem.state}); "
            "feedback opens when it is closed"
        )
    if answer.feedback is not None and problem.state != State.CLOSED:
        raise ConflictError(
            f"feedback: only a closed problem can be confirmed or disputed (it is "
            f"{problem.state}); you may still answer the satisfaction question"
        )
    if feedback_until(problem, days=days, now=now) is None:
        ended = (since + timedelta(days=days)).astimezone(CHINA_TZ).date().isoformat()
        raise ConflictError(
            f"feedback: possible for {days} days after the problem was closed; "
            f"the period ended on {ended}"
        )


def _reopen(
    session: Session,
    settings: Settings,
    clue: Clue,
    problem: Problem,
    text: str,
    now: datetime,
    actor: str,
    ip: str | None,
) -> None:
    policy = load_policy(session=session, settings=settings)
    before = {"state": problem.state}
    transition = decide(
        timeline.snapshot(problem),
        Action.REOPEN,
        Actor(role=Role.PUBLIC, is_reporter=True),
        Payload(reason=text, finding_id=clue.finding_id),
        now,
        max_extensions=policy.rules.max_extensions,
        dispute_window=policy.dispute_window,
    )
    timeline.apply_transition(
        session=session, problem=problem, transition=transition, policy=policy, actor=actor
    )
    audit(
        session=session,
        at=now,
        actor=actor,
        action="problem.reopen",
        entity_type="problem",
        entity_id=problem.id,
        before=before,
        after={"state": problem.state, "clue_id": clue.id},
        reason=text,
        ip=ip,
    )
