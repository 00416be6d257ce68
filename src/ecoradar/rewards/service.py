"""The reward ledger: eligibility of a problem, proposing (tier and amount from the rules),
approving by a second person (four eyes), rejecting and paying. What reporters see is in
``rewards.claims``.

Officers and administrators act on the rewards of problems in their region scope; a reward of
a problem outside it is "not found". Every transition is an audit entry (``reward.propose``,
``reward.approve``, ``reward.reject``, ``reward.pay``). ``UNIQUE(problem_id)`` keeps one reward
per problem even when two officers propose at the same moment; a rejection is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.clues import tracking
from ecoradar.clues.models import Clue
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.service import get_problem
from ecoradar.rewards import eligibility
from ecoradar.rewards.models import REWARD_STATES, Reward
from ecoradar.rewards.outcomes import OFFICER_ROLES, Outcome, effective_outcome, problem_facts
from ecoradar.rewards.rules import Award, RuleSet, award
from ecoradar.rewards.ruleset import current_rules

REASON_MAX = 2000
REFERENCE_MAX = 120


class NotEligible(ConflictError):
    """The problem cannot be rewarded (HTTP 409); ``assessment`` holds every named reason."""

    def __init__(self, problem_id: int, assessment: eligibility.Assessment) -> None:
        self.problem_id = problem_id
        self.assessment = assessment
        reasons = "; ".join(str(r) for r in assessment.refusals)
        super().__init__(f"problem {problem_id} cannot be rewarded: {reasons}")


@dataclass(frozen=True)
class Assessed:
    """A problem's eligibility, and what the rules in force would give."""

    problem: Problem
    assessment: eligibility.Assessment
    outcome: Outcome | None
    rules: RuleSet
    award: Award | None


# --- scope ------------------------------------------------------------------------------------


def _officer(principal: Principal) -> None:
    if not principal.has_role(*OFFICER_ROLES) or principal.user_id is None:
        raise PermissionDenied("rewards are handled by officers and administrators")


def _problem_in_scope(session: Session, principal: Principal, problem_id: int) -> Problem:
    _officer(principal)
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if not principal.covers_region(problem.region_id):
        raise PermissionDenied(f"problem {problem_id} lies outside your region")
    return problem


def _scope(principal: Principal) -> ColumnElement[bool]:
    if principal.unrestricted:
        return true()
    return Problem.region_id.in_(sorted(principal.region_ids))


def get_reward(*, session: Session, principal: Principal, reward_id: int) -> Reward:
    """A reward of a problem in ``principal``'s scope; any other is 'not found'."""
    _officer(principal)
    reward = session.scalar(
        select(Reward)
        .join(Problem, Reward.problem_id == Problem.id)
        .where(Reward.id == reward_id, _scope(principal))
    )
    if reward is None:
        raise NotFoundError(f"no reward {reward_id}")
    return reward


# --- eligibility ------------------------------------------------------------------------------


def _facts(
    session: Session, problem: Problem
) -> tuple[list[eligibility.ClueFacts], list[eligibility.FindingFacts]]:
    findings = [
        eligibility.FindingFacts(f.id, f.channel, f.received_at)
        for f in session.scalars(select(Finding).where(Finding.problem_id == problem.id))
    ]
    rows = session.execute(
        select(Clue, Finding, User.role, User.enterprise_id)
        .join(Finding, Clue.finding_id == Finding.id)
        .outerjoin(User, Finding.reporter_user_id == User.id)
        .where(Finding.problem_id == problem.id)
    ).all()
    clues = [
        eligibility.ClueFacts(
            clue_id=clue.id,
            finding_id=finding.id,
            channel=clue.channel,
            received_at=finding.received_at,
            description=finding.description,
            photos=len(clue.media_ids),
            reporter_role=role,
            reporter_enterprise_id=enterprise_id,
        )
        for clue, finding, role, enterprise_id in rows
    ]
    return clues, findings


def assess_problem(*, session: Session, problem: Problem) -> Assessed:
    rules = current_rules(session=session)
    outcome = effective_outcome(session=session, problem=problem)
    clues, findings = _facts(session, problem)
    assessment = eligibility.assess(
        problem_facts(problem, outcome),
        clues,
        findings,
        min_description_chars=rules.min_description_chars,
    )
    given = award(rules, outcome.kind, outcome.fine_amount) if outcome is not None else None
    return Assessed(problem, assessment, outcome, rules, given)


def eligibility_of(*, session: Session, principal: Principal, problem_id: int) -> Assessed:
    """Whether a problem in scope can be rewarded now, with every reason when not."""
    problem = _problem_in_scope(session, principal, problem_id)
    return assess_problem(session=session, problem=problem)


# --- the ledger -------------------------------------------------------------------------------


def _state(reward: Reward) -> dict[str, Any]:
    return {"state": reward.state, "amount": reward.amount, "tier": reward.tier}


def _text(name: str, value: str | None, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError(f"{name}: required")
    if len(text) > limit or "\x00" in text:
        raise InputError(f"{name}: longer than {limit} characters, or holds NUL")
    return text


def _unused_reference(session: Session) -> str:
    for _ in range(8):
        code = tracking.new_tracking_code()
        if session.scalar(select(Reward.id).where(Reward.claim_reference == code)) is None:
            return code
    raise ConflictError("claim_reference: no unused reference found; try again")


def propose(
    *, session: Session, principal: Principal, problem_id: int, now: datetime, ip: str | None = None
) -> Reward:
    """Propose the reward for a problem: its first eligible reporter's clue, the tier and
    amount from the rules in force. Refused with every reason (``NotEligible``), or when the
    problem has a reward already (``ConflictError``: no reward twice)."""
    problem = _problem_in_scope(session, principal, problem_id)
    existing = session.scalar(select(Reward).where(Reward.problem_id == problem.id))
    if existing is not None:
        raise ConflictError(
            f"problem {problem.id} already has reward {existing.id} ({existing.state}): "
            "no reward twice for one problem"
        )
    assessed = assess_problem(session=session, problem=problem)
    winner = assessed.assessment.winner
    if winner is None or assessed.award is None or assessed.outcome is None:
        raise NotEligible(problem.id, assessed.assessment)
    given, outcome = assessed.award, assessed.outcome
    assert principal.user_id is not None
    reward = Reward(
        problem_id=problem.id,
        clue_id=winner,
        tier=given.tier,
        outcome=given.outcome,
        fine_amount=outcome.fine_amount,
        amount=given.amount,
        capped=given.capped,
        rule_version=assessed.rules.version,
        state="proposed",
        claim_reference=_unused_reference(session),
        proposed_at=now,
        proposed_by=principal.actor,
        proposed_by_user_id=principal.user_id,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(reward)
            session.flush()
    except IntegrityError:
        raise ConflictError(
            f"problem {problem.id} already has a reward: no reward twice for one problem"
        ) from None
    record_by(
        principal,
        session=session,
        at=now,
        action="reward.propose",
        entity_type="reward",
        entity_id=reward.id,
        after={
            **_state(reward),
            "problem_id": problem.id,
            "clue_id": winner,
            "outcome": given.outcome,
            "fine_amount": outcome.fine_amount,
            "base": given.base,
            "capped": given.capped,
            "rule_version": reward.rule_version,
        },
        ip=ip,
    )
    return reward


def _transition(
    session: Session,
    principal: Principal,
    reward: Reward,
    action: str,
    before: dict[str, Any],
    now: datetime,
    *,
    reason: str | None = None,
    ip: str | None = None,
) -> Reward:
    reward.updated_at = now
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action=f"reward.{action}",
        entity_type="reward",
        entity_id=reward.id,
        before=before,
        after=_state(reward),
        reason=reason,
        ip=ip,
    )
    return reward


def approve(
    *, session: Session, principal: Principal, reward_id: int, now: datetime, ip: str | None = None
) -> Reward:
    """Approve a proposed reward: someone other than its proposer (four eyes). The problem is
    assessed again; a problem no longer eligible (found unfounded on reopening, say) is
    refused with the reasons."""
    reward = get_reward(session=session, principal=principal, reward_id=reward_id)
    if reward.state != "proposed":
        raise ConflictError(
            f"reward {reward.id} is {reward.state}: only a proposed reward can be approved"
        )
    if principal.user_id == reward.proposed_by_user_id:
        raise PermissionDenied(
            "four eyes: the officer who proposed a reward cannot approve it; ask a colleague"
        )
    problem = session.get(Problem, reward.problem_id)
    assert problem is not None
    assessed = assess_problem(session=session, problem=problem)
    if assessed.assessment.winner != reward.clue_id:
        raise NotEligible(problem.id, assessed.assessment)
    before = _state(reward)
    reward.state = "approved"
    reward.approved_at = now
    reward.approved_by = principal.actor
    reward.approved_by_user_id = principal.user_id
    return _transition(session, principal, reward, "approve", before, now, ip=ip)


def reject(
    *,
    session: Session,
    principal: Principal,
    reward_id: int,
    reason: str,
    now: datetime,
    ip: str | None = None,
) -> Reward:
    """Reject a proposed or approved reward, with a reason (final: the problem gets none)."""
    reward = get_reward(session=session, principal=principal, reward_id=reward_id)
    text = _text("reason", reason, REASON_MAX)
    if reward.state not in ("proposed", "approved"):
        raise ConflictError(
            f"reward {reward.id} is {reward.state}: only a proposed or approved reward can be "
            "rejected"
        )
    before = _state(reward)
    reward.state = "rejected"
    reward.rejected_at = now
    reward.rejected_by = principal.actor
    reward.rejection_reason = text
    return _transition(session, principal, reward, "reject", before, now, reason=text, ip=ip)


def pay(
    *,
    session: Session,
    principal: Principal,
    reward_id: int,
    payout_reference: str,
    now: datetime,
    claim_reference: str | None = None,
    ip: str | None = None,
) -> Reward:
    """Record the payment of an approved reward (made offline) with its reference. A reward
    whose reporter collects by tracking code and secret is paid only against the claim
    reference they show."""
    reward = get_reward(session=session, principal=principal, reward_id=reward_id)
    reference = _text("payout_reference", payout_reference, REFERENCE_MAX)
    if reward.state != "approved":
        raise ConflictError(f"reward {reward.id} is {reward.state}: only an approved one is paid")
    clue = session.get(Clue, reward.clue_id)
    assert clue is not None
    shown = tracking.normalize_tracking_code(claim_reference) if claim_reference else None
    if clue.secret_hash is not None and shown != reward.claim_reference:
        raise InputError(
            "claim_reference: the reporter collects with a tracking code and secret; enter "
            "the claim reference they show"
            if not claim_reference
            else "claim_reference: does not match this reward"
        )
    before = _state(reward)
    reward.state = "paid"
    reward.paid_at = now
    reward.paid_by = principal.actor
    reward.payout_reference = reference
    return _transition(session, principal, reward, "pay", before, now, ip=ip)


@dataclass(frozen=True)
class RewardPage:
    items: list[Reward]
    total: int
    page: int
    per_page: int


def list_rewards(
    *,
    session: Session,
    principal: Principal,
    state: str | None = None,
    problem_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RewardPage:
    """The rewards of problems in scope, newest first."""
    _officer(principal)
    where: list[ColumnElement[bool]] = [_scope(principal)]
    if state is not None:
        if state not in REWARD_STATES:
            raise InputError(f"state: {state!r} is not one of {', '.join(REWARD_STATES)}")
        where.append(Reward.state == state)
    if problem_id is not None:
        where.append(Reward.problem_id == problem_id)
    base = select(Reward).join(Problem, Reward.problem_id == Problem.id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = base.order_by(Reward.proposed_at.desc(), Reward.id.desc())
    items = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return RewardPage(items, total, page, per_page)
