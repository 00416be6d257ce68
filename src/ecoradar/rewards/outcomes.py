"""The enforcement outcome of a problem: recorded by an officer handling it (audited), or
derived from a transfer to public security."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import ConflictError, InputError, PermissionDenied
from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.problems.models import Problem
from ecoradar.problems.service import get_problem, handles
from ecoradar.rewards import eligibility
from ecoradar.rewards.models import OUTCOMES, ProblemOutcome, Reward
from ecoradar.rewards.rules import MAX_FINE

OFFICER_ROLES = ("officer", "admin")
TEXT_MAX = 2000


@dataclass(frozen=True)
class Outcome:
    kind: str
    fine_amount: Decimal | None
    derived: bool
    """Not recorded: the problem was transferred to public security."""
    decision_ref: str | None = None
    recorded_at: datetime | None = None
    recorded_by: str | None = None


def transfer_kind(problem: Problem) -> str | None:
    target = problem.transfer_target
    kind = target.get("kind") if isinstance(target, dict) else None
    return kind if isinstance(kind, str) else None


def problem_facts(problem: Problem, outcome: Outcome | None) -> eligibility.ProblemFacts:
    return eligibility.ProblemFacts(
        problem_id=problem.id,
        state=problem.state,
        reached=frozenset(problem.state_times),
        transfer_kind=transfer_kind(problem),
        enterprise_id=problem.enterprise_id,
        outcome=outcome.kind if outcome is not None else None,
    )


def effective_outcome(*, session: Session, problem: Problem) -> Outcome | None:
    """The recorded outcome; else ``public_security`` when the problem was transferred there;
    else None."""
    row = session.scalar(select(ProblemOutcome).where(ProblemOutcome.problem_id == problem.id))
    if row is not None:
        return Outcome(
            row.kind, row.fine_amount, False, row.decision_ref, row.recorded_at, row.recorded_by
        )
    if problem.state == "transferred" and transfer_kind(problem) == "public_security":
        return Outcome("public_security", None, True)
    return None


def _state(row: ProblemOutcome | None) -> dict[str, Any]:
    if row is None:
        return {"kind": None}
    return {"kind": row.kind, "fine_amount": row.fine_amount, "decision_ref": row.decision_ref}


def _text(name: str, value: str | None, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise InputError(f"{name}: longer than {limit} characters, or holds NUL")
    return value


def record_outcome(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    kind: str,
    fine_amount: Decimal | None,
    now: datetime,
    decision_ref: str | None = None,
    note: str | None = None,
    ip: str | None = None,
) -> ProblemOutcome:
    """Record (or correct) the enforcement outcome of a verified problem: an officer or
    administrator handling it. Refused once a reward is proposed, approved or paid for it."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if not principal.has_role(*OFFICER_ROLES) or not handles(principal, problem):
        raise PermissionDenied("only an officer handling this problem records its outcome")
    if kind not in OUTCOMES:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(OUTCOMES)}")
    if kind == "fine":
        if fine_amount is None or not fine_amount.is_finite() or fine_amount <= 0:
            raise InputError("fine_amount: a fine needs its amount in yuan, more than 0")
        if fine_amount > MAX_FINE or fine_amount != fine_amount.quantize(Decimal("0.01")):
            raise InputError(f"fine_amount: at most {MAX_FINE}, to the fen")
    elif fine_amount is not None:
        raise InputError(f"fine_amount: only a fine has an amount, not a {kind}")
    decision_ref = _text("decision_ref", decision_ref, 120)
    note = _text("note", note, TEXT_MAX)
    facts = problem_facts(problem, None)
    if not eligibility.verified(facts):
        raise ConflictError(
            f"problem {problem.id} was not verified (it is {problem.state}): an enforcement "
            "outcome follows a confirmed problem"
        )
    reward = session.scalar(select(Reward).where(Reward.problem_id == problem.id))
    if reward is not None and reward.state != "rejected":
        raise ConflictError(
            f"problem {problem.id} has reward {reward.id} ({reward.state}): its outcome can no "
            "longer change"
        )
    row = session.scalar(select(ProblemOutcome).where(ProblemOutcome.problem_id == problem.id))
    before = _state(row)
    if row is None:
        row = ProblemOutcome(problem_id=problem.id)
        session.add(row)
    row.kind = kind
    row.fine_amount = fine_amount.quantize(Decimal("0.01")) if fine_amount is not None else None
    row.decision_ref = decision_ref
    row.note = note
    row.recorded_at = now
    row.recorded_by = principal.actor
    row.recorded_by_user_id = principal.user_id
    session.flush()
    mark_stale(session=session, enterprise_ids=[problem.enterprise_id], reason="outcome", at=now)
    record_by(
        principal,
        session=session,
        at=now,
        action="problem.outcome",
        entity_type="problem",
        entity_id=problem.id,
        before=before,
        after=_state(row),
        reason=note,
        ip=ip,
    )
    return row
