"""The clue desk's bulk actions on selected clues: attach them to a problem, mark them
duplicates of another problem (or of another clue's problem), reject them with a reason.

All or nothing. The selection is checked first — every clue must be one ``principal`` handles
(``problems.service.handles``), otherwise ``DeskRefused`` names the first one that is not — and
then the action runs clue by clue in one savepoint: the first refusal rolls everything back and
is raised naming that clue, with a ``kind`` the page turns into a sentence.

The register's rules are reused, not repeated:
- *reject* is the workflow's ``reject`` of the clue's problem (``problems.service.take_action``:
  only a problem still awaiting acceptance, with a reason the reporter sees). A problem that
  holds other reports than the selected clues is not rejected from here (that would reject
  them too): it is for the problem's page.
- *mark duplicate* is the register's ``duplicate_of`` link from the clue's problem to the other
  (``problems.service.link``: both handled by the officer).
- *attach* moves the clue's finding, and the photos it brought, to the chosen open problem (a
  ``finding_attached`` entry on its timeline, as when deduplication attaches a clue); the
  reporter then follows that problem. A problem left without any finding is rejected through
  the workflow with the reason ``ATTACHED_REASON`` — so only while it awaits acceptance; one
  that is already being handled is refused here (mark it a duplicate instead).

Every change is an audit entry of the clue (``clue.attach``, ``clue.mark_duplicate``,
``clue.reject``) beside the problem's own entries that the reused functions write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.principal import Principal
from ecoradar.clues.desk import check_desk
from ecoradar.clues.models import Clue
from ecoradar.core.errors import ConflictError, EcoRadarError, InputError, PermissionDenied
from ecoradar.problems import service, timeline
from ecoradar.problems.models import Finding, Problem, ProblemAttachment, ProblemLink
from ecoradar.problems.policy import Policy
from ecoradar.problems.workflow import FINAL_STATES, Action, Payload, State

ACTIONS: Final = ("attach", "duplicate", "reject")
MAX_SELECTED: Final = 200
REASON_MAX: Final = 1000
ATTACHED_REASON: Final = "已与问题 #{target} 合并处理"
"""The public reason of rejecting a problem left empty by an attachment ("handled together
with problem #N"): the bureau's working language, as the reporters read it."""


@dataclass(eq=False)
class DeskRefused(EcoRadarError):
    """A bulk action refused, changing nothing. ``clue_id`` names the clue that could not take
    it (None when the request itself is wrong: no selection, no reason, no such target);
    ``kind`` says why (one of ``KINDS``), ``params`` fill its sentence; ``status`` is the HTTP
    status of the refusal."""

    kind: str
    status: int
    clue_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def __post_init__(self) -> None:
        where = f"clue {self.clue_id}: " if self.clue_id is not None else ""
        super().__init__(f"{where}{self.kind}" + (f" ({self.detail})" if self.detail else ""))


KINDS: Final = (
    "none_selected",
    "too_many",
    "out_of_scope",
    "no_target",
    "target_closed",
    "reason_required",
    "reason_too_long",
    "same_problem",
    "reverse_duplicate",
    "in_progress",
    "other_reports",
    "not_reported",
    "refused",
    "no_action",
)


@dataclass(frozen=True)
class Selected:
    clue: Clue
    finding: Finding
    problem: Problem
    state: str
    """The problem's state when selected (for the audit entry)."""


@dataclass(frozen=True)
class BulkResult:
    action: str
    clue_ids: tuple[int, ...]
    problem_ids: tuple[int, ...]
    """The problems the action touched (target, linked or rejected)."""


def _selection(session: Session, principal: Principal, clue_ids: Sequence[int]) -> list[Selected]:
    check_desk(principal)
    wanted = list(dict.fromkeys(clue_ids))
    if not wanted:
        raise DeskRefused("none_selected", 422)
    if len(wanted) > MAX_SELECTED:
        raise DeskRefused("too_many", 422, params={"limit": MAX_SELECTED})
    rows = session.execute(
        select(Clue, Finding, Problem)
        .join(Finding, Clue.finding_id == Finding.id)
        .join(Problem, Finding.problem_id == Problem.id)
        .where(Clue.id.in_(wanted), service.visibility(principal))
    ).all()
    found = {
        clue.id: Selected(clue, finding, problem, problem.state) for clue, finding, problem in rows
    }
    for clue_id in wanted:
        item = found.get(clue_id)
        if item is None or not service.handles(principal, item.problem):
            raise DeskRefused("out_of_scope", 403, clue_id)
    return [found[clue_id] for clue_id in wanted]


def _target(session: Session, principal: Principal, problem_id: int | None) -> Problem:
    if problem_id is None:
        raise DeskRefused("no_target", 422)
    problem = session.scalar(
        select(Problem).where(Problem.id == problem_id, service.visibility(principal))
    )
    if problem is None or not service.handles(principal, problem):
        raise DeskRefused("no_target", 422, params={"problem": problem_id})
    return problem


def target_of_clue(session: Session, principal: Principal, clue_id: int) -> int:
    """The problem of another clue (the target of "duplicate of clue N")."""
    try:
        return _selection(session, principal, [clue_id])[0].problem.id
    except DeskRefused:
        raise DeskRefused("no_target", 422, params={"clue": clue_id}) from None


def _reason(text: str, *, required: bool) -> str | None:
    reason = text.strip()
    if not reason:
        if required:
            raise DeskRefused("reason_required", 422)
        return None
    if len(reason) > REASON_MAX:
        raise DeskRefused("reason_too_long", 422, params={"limit": REASON_MAX})
    return reason


def _wrapped(clue_id: int, exc: Exception) -> DeskRefused:
    status = (
        403 if isinstance(exc, PermissionDenied) else 409 if isinstance(exc, ConflictError) else 422
    )
    return DeskRefused("refused", status, clue_id, detail=str(exc))


def _audit(
    session: Session,
    principal: Principal,
    now: datetime,
    action: str,
    item: Selected,
    after: dict[str, Any],
    reason: str | None,
) -> None:
    record_by(
        principal,
        session=session,
        at=now,
        action=f"clue.{action}",
        entity_type="clue",
        entity_id=item.clue.id,
        before={"problem_id": item.problem.id, "state": item.state},
        after=after,
        reason=reason,
    )


def _others(session: Session, problem_id: int, finding_ids: set[int]) -> int:
    """How many findings of the problem are not among ``finding_ids``."""
    return (
        session.scalar(
            select(func.count(Finding.id)).where(
                Finding.problem_id == problem_id, Finding.id.not_in(sorted(finding_ids))
            )
        )
        or 0
    )


def attach(
    *,
    session: Session,
    principal: Principal,
    clue_ids: Sequence[int],
    problem_id: int | None,
    now: datetime,
    policy: Policy,
    reason: str = "",
) -> BulkResult:
    """Attach every selected clue to the open problem ``problem_id`` (see the module)."""
    with session.begin_nested():
        selected = _selection(session, principal, clue_ids)
        target = _target(session, principal, problem_id)
        if State(target.state) in FINAL_STATES:
            raise DeskRefused("target_closed", 409, params={"problem": target.id})
        why = _reason(reason, required=False)
        for item in selected:
            old = item.problem
            if old.id == target.id:
                raise DeskRefused("same_problem", 409, item.clue.id, {"problem": target.id})
            left = _others(session, old.id, {item.finding.id})
            if left == 0 and old.state != State.REPORTED:
                raise DeskRefused("in_progress", 409, item.clue.id, {"problem": old.id})
            _move(session, principal, item, target, now)
            _audit(session, principal, now, "attach", item, {"problem_id": target.id}, why)
            if left == 0:
                _take(session, principal, item, Action.REJECT, now, policy, target=target.id)
        return BulkResult("attach", tuple(i.clue.id for i in selected), (target.id,))


def _move(
    session: Session, principal: Principal, item: Selected, target: Problem, now: datetime
) -> None:
    old, finding = item.problem, item.finding
    finding.problem_id = target.id
    item.clue.problem_id, item.clue.region_id = target.id, target.region_id
    session.execute(
        update(ProblemAttachment)
        .where(ProblemAttachment.problem_id == old.id, ProblemAttachment.finding_id == finding.id)
        .values(problem_id=target.id)
    )
    target.updated_at = now
    old.updated_at = now
    timeline.event(
        session=session,
        problem=target,
        at=now,
        actor=principal.actor,
        action="finding_attached",
        public=True,
        detail={
            "finding_id": finding.id,
            "channel": finding.channel,
            "source_ref": finding.source_ref,
            "from_problem_id": old.id,
        },
    )
    session.flush()
    session.expire(finding)


def _take(
    session: Session,
    principal: Principal,
    item: Selected,
    action: Action,
    now: datetime,
    policy: Policy,
    *,
    target: int | None = None,
    reason: str | None = None,
) -> None:
    text = reason if reason is not None else ATTACHED_REASON.format(target=target)
    try:
        service.take_action(
            session=session,
            principal=principal,
            problem_id=item.problem.id,
            action=action,
            payload=Payload(reason=text),
            now=now,
            policy=policy,
        )
    except (PermissionDenied, ConflictError, InputError) as exc:
        raise _wrapped(item.clue.id, exc) from exc


def mark_duplicate(
    *,
    session: Session,
    principal: Principal,
    clue_ids: Sequence[int],
    problem_id: int | None,
    now: datetime,
) -> BulkResult:
    """Link each selected clue's problem to ``problem_id`` as its duplicate."""
    with session.begin_nested():
        selected = _selection(session, principal, clue_ids)
        target = _target(session, principal, problem_id)
        for item in selected:
            old = item.problem
            if old.id == target.id:
                raise DeskRefused("same_problem", 409, item.clue.id, {"problem": target.id})
            reverse = session.scalar(
                select(ProblemLink.id).where(
                    ProblemLink.problem_id == target.id,
                    ProblemLink.other_id == old.id,
                    ProblemLink.kind == "duplicate_of",
                )
            )
            if reverse is not None:
                raise DeskRefused(
                    "reverse_duplicate", 409, item.clue.id, {"problem": old.id, "target": target.id}
                )
            try:
                service.link(
                    session=session,
                    principal=principal,
                    problem_id=old.id,
                    other_id=target.id,
                    kind="duplicate_of",
                    now=now,
                )
            except (PermissionDenied, ConflictError, InputError) as exc:
                raise _wrapped(item.clue.id, exc) from exc
            _audit(
                session, principal, now, "mark_duplicate", item, {"duplicate_of": target.id}, None
            )
        return BulkResult("duplicate", tuple(i.clue.id for i in selected), (target.id,))


def reject(
    *,
    session: Session,
    principal: Principal,
    clue_ids: Sequence[int],
    reason: str,
    now: datetime,
    policy: Policy,
) -> BulkResult:
    """Reject the problem of each selected clue through the workflow, with ``reason`` (shown
    to the reporter); refused for a problem holding reports other than the selected ones."""
    with session.begin_nested():
        selected = _selection(session, principal, clue_ids)
        why = _reason(reason, required=True)
        assert why is not None
        chosen = {item.finding.id for item in selected}
        done: dict[int, None] = {}
        for item in selected:
            old = item.problem
            if old.id in done:
                _audit(
                    session, principal, now, "reject", item, {"state": State.REJECTED.value}, why
                )
                continue
            others = _others(session, old.id, chosen)
            if others:
                raise DeskRefused(
                    "other_reports", 409, item.clue.id, {"problem": old.id, "count": others}
                )
            if old.state != State.REPORTED:
                raise DeskRefused("not_reported", 409, item.clue.id, {"problem": old.id})
            _take(session, principal, item, Action.REJECT, now, policy, reason=why)
            _audit(session, principal, now, "reject", item, {"state": State.REJECTED.value}, why)
            done[old.id] = None
        return BulkResult("reject", tuple(i.clue.id for i in selected), tuple(done))
