"""Repairing a red code (信用修复): after rectification and a waiting period the enterprise
files an application; an officer in scope approves it (the vetoes it covers are lifted and the
code recomputed at once) or rejects it with a reason. Everything is audited.

An application covers the vetoes in force when it is filed (their keys,
``problem:<id>:<rule>``). It may be filed when every vetoing problem is finished (closed, or
transferred to public security) and ``repair.waiting_days`` have passed since the last one
finished; one application per enterprise may be pending at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.greencode.gather import facts_for
from ecoradar.greencode.model import Model
from ecoradar.greencode.models import GreenCode, RepairApplication
from ecoradar.greencode.scoring import vetoes
from ecoradar.greencode.service import recompute, visible
from ecoradar.registry.models import Enterprise

STATEMENT_MAX = 4000
REASON_MAX = 2000
DECIDER_ROLES = ("officer", "admin")


@dataclass(frozen=True)
class RepairEligibility:
    can_file: bool
    why: list[str] = field(default_factory=list)
    """Why not (empty when it can)."""
    covers: list[str] = field(default_factory=list)
    earliest: datetime | None = None
    """When the waiting period ends (None: not before the vetoing problems are finished)."""


def eligibility(
    *, session: Session, enterprise_id: int, now: datetime, model: Model
) -> RepairEligibility:
    """Whether the enterprise may file a repair application now, and what it would cover."""
    code = session.get(GreenCode, enterprise_id)
    facts = facts_for(
        session=session, enterprise_ids=[enterprise_id], now=now, model=model, as_of=None
    ).get(enterprise_id)
    if code is None or facts is None:
        return RepairEligibility(False, ["the enterprise has no green code yet"])
    found = vetoes(facts, model)
    if not found:
        return RepairEligibility(
            False, ["no veto is in force: the code improves with its indicators, no repair"]
        )
    why = []
    by_id = {p.id: p for p in facts.problems}
    finished = []
    for veto in found:
        problem = by_id[veto.problem_id]
        if problem.final_at is None:
            why.append(f"problem #{problem.id} is not closed yet ({problem.state})")
        else:
            finished.append(problem.final_at)
    earliest = None
    if len(finished) == len(found):
        earliest = max(finished) + timedelta(days=model.repair_waiting_days)
        if now < earliest:
            why.append(f"the waiting period ends {earliest.isoformat()}")
    pending = session.scalar(
        select(RepairApplication.id).where(
            RepairApplication.enterprise_id == enterprise_id,
            RepairApplication.state == "pending",
        )
    )
    if pending is not None:
        why.append(f"application #{pending} is pending")
    return RepairEligibility(not why, why, sorted(v.key for v in found), earliest)


def _text(name: str, value: str | None, limit: int, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InputError(f"{name}: required")
        return None
    if len(value) > limit or "\x00" in value:
        raise InputError(f"{name}: longer than {limit} characters, or holds NUL")
    return value


def file_repair(
    *, session: Session, principal: Principal, statement: str, now: datetime, model: Model
) -> RepairApplication:
    """The enterprise user's application for its own enterprise."""
    if principal.role != "enterprise" or principal.enterprise_id is None:
        raise PermissionDenied("only an enterprise user files a repair application (its own)")
    text = _text("statement", statement, STATEMENT_MAX, True)
    assert text is not None
    found = eligibility(
        session=session, enterprise_id=principal.enterprise_id, now=now, model=model
    )
    if not found.can_file:
        raise ConflictError("repair application refused: " + "; ".join(found.why))
    row = RepairApplication(
        enterprise_id=principal.enterprise_id,
        state="pending",
        covers=found.covers,
        statement=text,
        filed_at=now,
        filed_by=principal.actor,
        filed_by_user_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="greencode_repair.file",
        entity_type="greencode_repair",
        entity_id=row.id,
        after={"enterprise_id": row.enterprise_id, "state": "pending", "covers": row.covers},
    )
    return row


def _visible_repair(session: Session, principal: Principal, repair_id: int) -> RepairApplication:
    row = session.scalar(
        select(RepairApplication)
        .join(Enterprise, RepairApplication.enterprise_id == Enterprise.id)
        .where(RepairApplication.id == repair_id, visible(principal))
    )
    if row is None:
        raise NotFoundError(f"repair application {repair_id} does not exist")
    return row


def decide_repair(
    *,
    session: Session,
    principal: Principal,
    repair_id: int,
    approve: bool,
    reason: str | None,
    now: datetime,
    model: Model,
) -> RepairApplication:
    """An officer in scope (or an administrator) approves or rejects a pending application;
    approval recomputes the code in the same unit of work."""
    row = _visible_repair(session, principal, repair_id)
    if not principal.has_role(*DECIDER_ROLES):
        raise PermissionDenied("only an officer decides a repair application")
    if row.state != "pending":
        raise ConflictError(f"repair application {row.id} is {row.state} already")
    note = _text("reason", reason, REASON_MAX, not approve)
    row.state = "approved" if approve else "rejected"
    row.decided_at = now
    row.decided_by = principal.actor
    row.decided_by_user_id = principal.user_id
    row.decision_reason = note
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="greencode_repair.approve" if approve else "greencode_repair.reject",
        entity_type="greencode_repair",
        entity_id=row.id,
        before={"state": "pending"},
        after={"state": row.state, "covers": row.covers},
        reason=note,
    )
    if approve:
        recompute(
            session=session,
            enterprise_ids=[row.enterprise_id],
            now=now,
            model=model,
            actor=principal.actor,
        )
    return row


def list_repairs(
    *, session: Session, principal: Principal, state: str | None = None
) -> list[RepairApplication]:
    """Applications of the enterprises ``principal`` may see, newest first."""
    query = (
        select(RepairApplication)
        .join(Enterprise, RepairApplication.enterprise_id == Enterprise.id)
        .where(visible(principal))
    )
    if state is not None:
        query = query.where(RepairApplication.state == state)
    return list(session.scalars(query.order_by(RepairApplication.id.desc())))
