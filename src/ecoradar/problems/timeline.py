"""A problem's timeline: events, and applying a decided transition to the stored problem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.problems.models import Finding, Problem, ProblemEvent, ProblemNote
from ecoradar.problems.policy import Policy
from ecoradar.problems.workflow import (
    FINAL_STATES,
    Action,
    Actor,
    Payload,
    ProblemSnapshot,
    Role,
    State,
    Transition,
    apply,
    decide,
)


def event(
    *,
    session: Session,
    problem: Problem,
    at: datetime,
    actor: str,
    action: str,
    public: bool,
    detail: dict[str, Any],
    from_state: str | None = None,
    to_state: str | None = None,
) -> ProblemEvent:
    row = ProblemEvent(
        problem_id=problem.id,
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        public=public,
        detail=detail,
    )
    session.add(row)
    return row


def enter_state(problem: Problem, state: str, at: datetime) -> None:
    """Move to ``state`` and note when (the last time each state was entered)."""
    problem.state = state
    problem.state_times = {**problem.state_times, state: at.isoformat()}
    problem.updated_at = at


def snapshot(problem: Problem) -> ProblemSnapshot:
    """What the workflow guards need to know about a stored problem."""
    return ProblemSnapshot(
        state=State(problem.state),
        reported_at=problem.reported_at,
        accepted_at=problem.accepted_at,
        reopened_at=problem.reopened_at,
        closed_at=problem.closed_at,
        assignee_id=problem.assignee_id,
        has_rectification_evidence=problem.has_rectification_evidence,
        extensions_used=problem.extensions_used,
    )


def _restart_deadline(problem: Problem, due: datetime | None) -> None:
    problem.handling_due = due
    problem.overdue_since = None
    problem.escalation_level = 0
    problem.escalated_at = None
    problem.escalation_region_id = None


def _public_detail(transition: Transition) -> dict[str, Any]:
    """What of a transition the reporter may see: never names, contacts or internal reasons."""
    payload = transition.payload
    detail: dict[str, Any] = {}
    if transition.reason_public and payload.reason:
        detail["reason"] = payload.reason
    if payload.rectification_due is not None:
        detail["rectification_due"] = payload.rectification_due.isoformat()
    if payload.requirement:
        detail["requirement"] = payload.requirement
    if payload.transfer is not None:
        detail["transfer"] = payload.transfer.kind.value
    return detail


def _internal_detail(transition: Transition) -> dict[str, Any]:
    payload = transition.payload
    detail: dict[str, Any] = {}
    if payload.reason and not transition.reason_public:
        detail["reason"] = payload.reason
    if payload.assignee_id is not None:
        detail["assignee_id"] = payload.assignee_id
    if payload.onsite is not None:
        onsite = payload.onsite
        detail["onsite"] = {
            "at": onsite.at.isoformat(),
            "lat": onsite.lat,
            "lon": onsite.lon,
            "photo_ids": list(onsite.photo_ids),
            "text": onsite.text,
        }
    if payload.evidence is not None:
        evidence = payload.evidence
        detail["evidence"] = {
            "text": evidence.text,
            "attachment_ids": list(evidence.attachment_ids),
            "document": evidence.document,
        }
    if payload.transfer is not None and payload.transfer.name:
        detail["transfer_to"] = payload.transfer.name
    if payload.finding_id is not None:
        detail["finding_id"] = payload.finding_id
    return detail


def apply_transition(
    *, session: Session, problem: Problem, transition: Transition, policy: Policy, actor: str
) -> ProblemEvent:
    """Store what ``transition`` changes: state and its time, deadlines, the timeline entry and
    the notes. The caller has checked references (assignee, attachments) and writes the audit
    entry."""
    at, payload, action = transition.at, transition.payload, transition.action
    after = apply(snapshot(problem), transition)
    if transition.changes_state:
        enter_state(problem, after.state.value, at)
        if problem.enterprise_id is not None:  # confirmed, closed, ...: the code may change
            mark_stale(
                session=session, enterprise_ids=[problem.enterprise_id], reason="problem", at=at
            )
    problem.updated_at = at
    problem.accepted_at = after.accepted_at
    problem.assignee_id = after.assignee_id
    problem.has_rectification_evidence = after.has_rectification_evidence
    problem.closed_at = after.closed_at
    problem.reopened_at = after.reopened_at
    problem.extensions_used = after.extensions_used
    if action is Action.ACCEPT:
        _restart_deadline(problem, policy.handling_due(at, 0))
    elif action is Action.REOPEN:
        _restart_deadline(problem, policy.handling_due(at, 0))
    elif action is Action.EXTEND_DEADLINE:
        start = problem.reopened_at or problem.accepted_at or at
        _restart_deadline(problem, policy.handling_due(start, problem.extensions_used))
        problem.extension_reason = payload.reason
        problem.extended_at = at
    elif action is Action.ORDER_RECTIFICATION:
        problem.rectification_due = payload.rectification_due
    elif action is Action.TRANSFER and payload.transfer is not None:
        problem.transfer_target = {
            "kind": payload.transfer.kind.value,
            "name": payload.transfer.name,
        }
    if after.state.value in FINAL_STATES:
        problem.overdue_since = None
    public_detail = _public_detail(transition)
    row = event(
        session=session,
        problem=problem,
        at=at,
        actor=actor,
        action=action.value,
        public=True,
        detail={**public_detail, "internal": _internal_detail(transition)},
        from_state=transition.from_state.value,
        to_state=transition.to_state.value,
    )
    for text, visibility in ((payload.note, "public"), (payload.internal_note, "internal")):
        if text:
            session.add(
                ProblemNote(
                    problem_id=problem.id,
                    at=at,
                    author=actor,
                    author_user_id=transition.actor.user_id,
                    visibility=visibility,
                    text=text,
                )
            )
    return row


def reopen_on_finding(
    *, session: Session, problem: Problem, finding: Finding, now: datetime, policy: Policy
) -> None:
    """A new finding about a closed problem reopens it (the system acts)."""
    transition = decide(
        snapshot(problem),
        Action.REOPEN,
        Actor(role=Role.SYSTEM),
        Payload(reason=f"new finding {finding.id} ({finding.channel})", finding_id=finding.id),
        now,
        max_extensions=policy.rules.max_extensions,
        dispute_window=policy.dispute_window,
    )
    apply_transition(
        session=session,
        problem=problem,
        transition=transition,
        policy=policy,
        actor="system:intake",
    )
