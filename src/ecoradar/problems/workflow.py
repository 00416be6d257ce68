"""The problem workflow (pure): one transition table with guards.

``decide(snapshot, action, actor, payload, now)`` checks an action against ``TABLE`` and returns
the ``Transition`` to record, or raises: ``Forbidden`` (this actor may not; HTTP 403),
``NotAllowed`` (not from the problem's state, or the extension is used up; HTTP 409),
``Missing`` / ``Invalid`` (a requirement absent or unacceptable, naming the field; HTTP 422).
``available_actions`` lists what an actor may do now; it runs the same checks as ``decide``
except the payload, so a listed action succeeds with a complete payload, by construction.
The checks run in this order: who (``Forbidden``), the state (``NotAllowed``), the dispute
window, stored evidence and extensions left, then the payload.

=====================  ==========================  ==========  =================================
action                 from                        to          who / needs
=====================  ==========================  ==========  =================================
accept                 reported                    accepted    O
reject                 reported                    rejected    O; reason (public)
assign                 accepted, reopened          assigned    O; assignee_id
reassign               assigned, verifying,        assigned    O; a different assignee_id,
                       reopened                                reason (internal)
start_verification     assigned                    verifying   A, O
confirm                verifying                   confirmed   A, O; onsite record
mark_unfounded         verifying                   unfounded   A, O; onsite record
order_rectification    confirmed, rectified        rectifying  O; requirement, rectification_due
report_rectified       rectifying                  rectified   E, A, O; evidence
close                  rectified                   closed      O; the problem holds evidence
reopen                 closed                      reopened    S, R (within the dispute window),
                                                               O; reason (public), finding_id?
transfer               any open state              transferred O; transfer target,
                                                               reason (internal)
extend_deadline        open, after acceptance      (same)      O; reason (public), an extension
                                                               left
=====================  ==========================  ==========  =================================

Who: O = an officer or admin whose region scope covers the problem (``Actor.in_scope``, decided
by the caller); A = the assignee (a grid worker, officer or admin); E = a user of the problem's
enterprise; R = the reporter (any human role); S = the system (a new finding on a closed problem).
Relations (A, E, R) need no region scope. Every action also takes an optional public ``note``
and an optional ``internal_note``; ``reason`` is shown to the reporter where marked public and
kept internal otherwise (``Transition.reason_public``).

Open states: reported, accepted, assigned, verifying, confirmed, rectifying, rectified, reopened.
Final states: rejected, unfounded, closed, transferred. Only ``closed`` leads on (to
``reopened``); rejected and unfounded problems stay final here: a reporter who disagrees files a
new report. Sending rectified back
to rectifying (``order_rectification`` again, with a new requirement and due date) is how an
officer refuses insufficient rectification; the new round needs new evidence before closing.

The on-site record (``OnsiteRecord``) needs a time between the report and now, a WGS84 position,
at least one photo id and text. Rectification evidence (``Evidence``) needs at least one
attachment id or a document reference, and text. A reporter may dispute a closure within
``dispute_window`` (by default ``DISPUTE_WINDOW``, 30 days, as China's petition regulations give
30 days to ask for a review; the policy takes it from ``ECORADAR_CLUE_FEEDBACK_DAYS``);
officers and the system may reopen at any time. Reopening starts a new handling round (see
``apply``). The payload types and their checks live in ``workflow_payload`` and are re-exported
here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ecoradar.core.clock import utc
from ecoradar.core.errors import ConflictError, EcoRadarError, InputError, PermissionDenied
from ecoradar.problems.workflow_payload import Evidence as Evidence
from ecoradar.problems.workflow_payload import OnsiteRecord as OnsiteRecord
from ecoradar.problems.workflow_payload import Payload as Payload
from ecoradar.problems.workflow_payload import PayloadProblem, clean
from ecoradar.problems.workflow_payload import TransferKind as TransferKind
from ecoradar.problems.workflow_payload import TransferTarget as TransferTarget

DISPUTE_WINDOW = timedelta(days=30)


class State(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    VERIFYING = "verifying"
    CONFIRMED = "confirmed"
    UNFOUNDED = "unfounded"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    CLOSED = "closed"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"


FINAL_STATES = frozenset({State.REJECTED, State.UNFOUNDED, State.CLOSED, State.TRANSFERRED})
OPEN_STATES = frozenset(State) - FINAL_STATES


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    START_VERIFICATION = "start_verification"
    CONFIRM = "confirm"
    MARK_UNFOUNDED = "mark_unfounded"
    ORDER_RECTIFICATION = "order_rectification"
    REPORT_RECTIFIED = "report_rectified"
    CLOSE = "close"
    REOPEN = "reopen"
    TRANSFER = "transfer"
    EXTEND_DEADLINE = "extend_deadline"


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    GRID_WORKER = "grid_worker"
    ENTERPRISE = "enterprise"
    PUBLIC = "public"
    SYSTEM = "system"


HUMAN_ROLES = frozenset(Role) - {Role.SYSTEM}


# --- errors ---------------------------------------------------------------------------------


class WorkflowError(EcoRadarError):
    """Base of the workflow's refusals; ``action`` is what was refused, ``code`` and ``params``
    why, for a page to say in its reader's language (``payload.CODES`` and ``forbidden``,
    ``dispute_window``, ``state``, ``extension_limit``, ``no_evidence``)."""

    def __init__(
        self, action: Action, message: str, *, code: str = "", params: dict[str, Any] | None = None
    ) -> None:
        self.action = action
        self.code = code
        self.params = dict(params or {})
        super().__init__(message)


class NotAllowed(WorkflowError, ConflictError):
    """Not from the problem's current state (or a limit such as the one extension is reached)."""

    def __init__(
        self, action: Action, state: State, message: str | None = None, **limit: int
    ) -> None:
        """Without ``message``: not from ``state``; with it, ``limit`` (``used``, ``limit``)
        says which limit is reached."""
        self.state = state
        self.allowed_from = TABLE[action].sources
        allowed = [s.value for s in State if s in self.allowed_from]
        if message is not None:
            super().__init__(action, message, code="extension_limit", params=limit)
            return
        message = f"cannot {action} a problem that is {state}: only from {', '.join(allowed)}"
        params = {"state": state.value, "allowed": allowed}
        super().__init__(action, message, code="state", params=params)


class Forbidden(WorkflowError, PermissionDenied):
    """This actor may not take this action on this problem."""


class Missing(WorkflowError, InputError):
    """A requirement of the action is missing; ``field`` names it."""

    def __init__(
        self,
        action: Action,
        field: str,
        message: str,
        *,
        code: str = "required",
        params: dict[str, Any] | None = None,
    ) -> None:
        self.field = field
        super().__init__(action, f"{field}: {message}", code=code, params=params)


class Invalid(Missing):
    """A requirement was given but cannot be accepted; ``field`` names it."""


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts; the caller fills in the relations and whether the problem is in scope."""

    role: Role
    user_id: int | None = None
    is_assignee: bool = False
    is_reporter: bool = False
    is_problem_enterprise: bool = False
    in_scope: bool = False


@dataclass(frozen=True)
class ProblemSnapshot:
    """What the guards need to know about a problem (see ``apply`` for how it moves)."""

    state: State
    reported_at: datetime
    accepted_at: datetime | None = None
    reopened_at: datetime | None = None
    """The latest reopening; a reopened problem's handling period runs from it."""
    closed_at: datetime | None = None
    """The latest closure; the reporter's dispute window runs from it."""
    assignee_id: int | None = None
    has_rectification_evidence: bool = False
    """Evidence was reported in the current rectification round."""
    extensions_used: int = 0
    """Deadline extensions granted in the current handling round."""


@dataclass(frozen=True)
class Transition:
    action: Action
    from_state: State
    to_state: State
    at: datetime
    actor: Actor
    payload: Payload
    """Only the fields the action uses, validated and normalised (text stripped)."""
    reason_public: bool = False

    @property
    def changes_state(self) -> bool:
        return self.from_state != self.to_state


# --- the table ------------------------------------------------------------------------------


class Relation(StrEnum):
    ASSIGNEE = "assignee"
    REPORTER = "reporter"
    PROBLEM_ENTERPRISE = "problem enterprise"


@dataclass(frozen=True)
class Grant:
    """Actors with one of ``roles`` may act: in scope, or holding ``relation`` to the problem."""

    roles: frozenset[Role]
    relation: Relation | None = None
    dispute_window: bool = False
    """Only within ``dispute_window`` of the closure."""

    def admits(self, actor: Actor) -> bool:
        if actor.role not in self.roles:
            return False
        if self.relation is Relation.ASSIGNEE:
            return actor.is_assignee
        if self.relation is Relation.REPORTER:
            return actor.is_reporter
        if self.relation is Relation.PROBLEM_ENTERPRISE:
            return actor.is_problem_enterprise
        return actor.in_scope or actor.role is Role.SYSTEM

    def __str__(self) -> str:
        if self.relation is not None:
            return f"the {self.relation}"
        if self.roles == {Role.SYSTEM}:
            return "the system"
        return " or ".join(sorted(self.roles)) + " in scope"


class Check(StrEnum):
    STORED_EVIDENCE = "stored evidence"
    EXTENSION_LEFT = "extension left"
    NEW_ASSIGNEE = "new assignee"


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[State]
    target: State | None
    """None: the state does not change (``extend_deadline``)."""
    who: tuple[Grant, ...]
    needs: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    checks: tuple[Check, ...] = ()
    reason_public: bool = False


OFFICIAL = Grant(frozenset({Role.OFFICER, Role.ADMIN}))
ASSIGNEE = Grant(frozenset({Role.GRID_WORKER, Role.OFFICER, Role.ADMIN}), Relation.ASSIGNEE)
ENTERPRISE = Grant(frozenset({Role.ENTERPRISE}), Relation.PROBLEM_ENTERPRISE)
REPORTER = Grant(HUMAN_ROLES, Relation.REPORTER, dispute_window=True)
SYSTEM = Grant(frozenset({Role.SYSTEM}))
S = State


def _rule(
    action: Action,
    sources: Iterable[State],
    target: State | None,
    who: tuple[Grant, ...],
    *,
    needs: Iterable[str] = (),
    optional: Iterable[str] = (),
    checks: tuple[Check, ...] = (),
    reason_public: bool = False,
) -> Rule:
    return Rule(
        action,
        frozenset(sources),
        target,
        who,
        frozenset(needs),
        frozenset(optional),
        checks,
        reason_public,
    )


TABLE: dict[Action, Rule] = {
    r.action: r
    for r in (
        _rule(Action.ACCEPT, {S.REPORTED}, S.ACCEPTED, (OFFICIAL,)),
        _rule(
            Action.REJECT,
            {S.REPORTED},
            S.REJECTED,
            (OFFICIAL,),
            needs={"reason"},
            reason_public=True,
        ),
        _rule(
            Action.ASSIGN, {S.ACCEPTED, S.REOPENED}, S.ASSIGNED, (OFFICIAL,), needs={"assignee_id"}
        ),
        _rule(
            Action.REASSIGN,
            {S.ASSIGNED, S.VERIFYING, S.REOPENED},
            S.ASSIGNED,
            (OFFICIAL,),
            needs={"assignee_id", "reason"},
            checks=(Check.NEW_ASSIGNEE,),
        ),
        _rule(Action.START_VERIFICATION, {S.ASSIGNED}, S.VERIFYING, (ASSIGNEE, OFFICIAL)),
        _rule(Action.CONFIRM, {S.VERIFYING}, S.CONFIRMED, (ASSIGNEE, OFFICIAL), needs={"onsite"}),
        _rule(
            Action.MARK_UNFOUNDED,
            {S.VERIFYING},
            S.UNFOUNDED,
            (ASSIGNEE, OFFICIAL),
            needs={"onsite"},
        ),
        _rule(
            Action.ORDER_RECTIFICATION,
            {S.CONFIRMED, S.RECTIFIED},
            S.RECTIFYING,
            (OFFICIAL,),
            needs={"requirement", "rectification_due"},
        ),
        _rule(
            Action.REPORT_RECTIFIED,
            {S.RECTIFYING},
            S.RECTIFIED,
            (ENTERPRISE, ASSIGNEE, OFFICIAL),
            needs={"evidence"},
        ),
        _rule(Action.CLOSE, {S.RECTIFIED}, S.CLOSED, (OFFICIAL,), checks=(Check.STORED_EVIDENCE,)),
        _rule(
            Action.REOPEN,
            {S.CLOSED},
            S.REOPENED,
            (SYSTEM, REPORTER, OFFICIAL),
            needs={"reason"},
            optional={"finding_id"},
            reason_public=True,
        ),
        _rule(
            Action.TRANSFER, OPEN_STATES, S.TRANSFERRED, (OFFICIAL,), needs={"transfer", "reason"}
        ),
        _rule(
            Action.EXTEND_DEADLINE,
            OPEN_STATES - {S.REPORTED},
            None,
            (OFFICIAL,),
            needs={"reason"},
            checks=(Check.EXTENSION_LEFT,),
            reason_public=True,
        ),
    )
}


# --- deciding -------------------------------------------------------------------------------


def decide(
    snapshot: ProblemSnapshot,
    action: Action,
    actor: Actor,
    payload: Payload,
    now: datetime,
    *,
    max_extensions: int = 1,
    dispute_window: timedelta = DISPUTE_WINDOW,
) -> Transition:
    """The transition ``action`` makes, or the first reason it may not be taken."""
    now = utc(now)
    rule = TABLE[action]
    refusal = _refusal(rule, snapshot, actor, now, max_extensions, dispute_window)
    if refusal is not None:
        raise refusal
    try:
        cleaned = clean(
            payload,
            needs=rule.needs,
            optional=rule.optional,
            reported_at=snapshot.reported_at,
            now=now,
            not_assignee=snapshot.assignee_id if Check.NEW_ASSIGNEE in rule.checks else None,
        )
    except PayloadProblem as problem:
        kind = Missing if problem.missing else Invalid
        raise kind(
            action,
            problem.field,
            f"{problem.message} (to {action})",
            code=problem.code,
            params=problem.params,
        ) from None
    return Transition(
        action=action,
        from_state=snapshot.state,
        to_state=rule.target or snapshot.state,
        at=now,
        actor=actor,
        payload=cleaned,
        reason_public=rule.reason_public,
    )


def available_actions(
    snapshot: ProblemSnapshot,
    actor: Actor,
    now: datetime,
    *,
    max_extensions: int = 1,
    dispute_window: timedelta = DISPUTE_WINDOW,
) -> list[Action]:
    """The actions ``actor`` may take now: those ``decide`` accepts given a complete payload."""
    now = utc(now)
    return [
        action
        for action, rule in TABLE.items()
        if _refusal(rule, snapshot, actor, now, max_extensions, dispute_window) is None
    ]


def apply(snapshot: ProblemSnapshot, transition: Transition) -> ProblemSnapshot:
    """The snapshot after ``transition`` (what the caller stores besides the state timestamp).

    Reopening starts a new round: the handling period runs from the reopening, the extension
    allowance is whole again, and closing needs new rectification evidence.
    """
    action, at, payload = transition.action, transition.at, transition.payload
    new = replace(snapshot, state=transition.to_state)
    if action is Action.ACCEPT:
        new = replace(new, accepted_at=at)
    elif action in (Action.ASSIGN, Action.REASSIGN):
        new = replace(new, assignee_id=payload.assignee_id)
    elif action is Action.ORDER_RECTIFICATION:
        new = replace(new, has_rectification_evidence=False)
    elif action is Action.REPORT_RECTIFIED:
        new = replace(new, has_rectification_evidence=True)
    elif action is Action.CLOSE:
        new = replace(new, closed_at=at)
    elif action is Action.REOPEN:
        new = replace(new, reopened_at=at, extensions_used=0, has_rectification_evidence=False)
    elif action is Action.EXTEND_DEADLINE:
        new = replace(new, extensions_used=snapshot.extensions_used + 1)
    return new


def _refusal(
    rule: Rule,
    snapshot: ProblemSnapshot,
    actor: Actor,
    now: datetime,
    max_extensions: int,
    dispute_window: timedelta,
) -> WorkflowError | None:
    """Why ``actor`` may not take ``rule``'s action now, whatever the payload; None if they may."""
    action = rule.action
    grants = [g for g in rule.who if g.admits(actor)]
    if not grants:
        who = ", ".join(str(g) for g in rule.who)
        return Forbidden(
            action, f"{actor.role} may not {action} this problem: only {who}", code="forbidden"
        )
    if snapshot.state not in rule.sources:
        return NotAllowed(action, snapshot.state)
    if all(g.dispute_window for g in grants):
        closed = snapshot.closed_at
        if closed is None or now > utc(closed) + dispute_window:
            days = dispute_window.days
            return Forbidden(
                action,
                f"the reporter may dispute a closure only within {days} days of it",
                code="dispute_window",
                params={"days": days},
            )
    for check in rule.checks:
        if check is Check.STORED_EVIDENCE and not snapshot.has_rectification_evidence:
            return Missing(
                action,
                "evidence",
                "the problem holds no rectification evidence",
                code="no_evidence",
            )
        if check is Check.EXTENSION_LEFT and snapshot.extensions_used >= max_extensions:
            return NotAllowed(
                action,
                snapshot.state,
                f"cannot {action}: the deadline was already extended "
                f"{snapshot.extensions_used} time(s), at most {max_extensions}",
                used=snapshot.extensions_used,
                limit=max_extensions,
            )
    return None
