"""The violation an officer names on a confirmed problem (``problems.violation``): data
falsification, illegal hazardous-waste disposal, a bypass or hidden pipe, refusal of
inspection. Each is a veto of the green code while the problem is confirmed or later and until
an approved repair lifts it. Setting, changing or clearing it is audited and queues the
enterprise's code for recomputation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import ConflictError, InputError, PermissionDenied
from ecoradar.greencode.stale import mark
from ecoradar.problems.models import VIOLATIONS, Problem
from ecoradar.problems.service import get_problem, handles
from ecoradar.web.deps import ContainerDep, SessionDep, require_roles

OFFICER_ROLES = ("officer", "admin")
REASON_MAX = 2000


def set_violation(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    violation: str | None,
    now: datetime,
    reason: str | None = None,
    ip: str | None = None,
) -> Problem:
    """Name (or with None clear) the violation of a problem confirmed or later: an officer
    handling it, or an administrator."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if not principal.has_role(*OFFICER_ROLES) or not handles(principal, problem):
        raise PermissionDenied("only an officer handling this problem names its violation")
    if violation is not None and violation not in VIOLATIONS:
        raise InputError(f"violation: {violation!r} is not one of {', '.join(VIOLATIONS)}")
    if reason is not None and (len(reason) > REASON_MAX or "\x00" in reason):
        raise InputError(f"reason: longer than {REASON_MAX} characters, or holds NUL")
    if "confirmed" not in problem.state_times or problem.state in ("unfounded", "rejected"):
        raise ConflictError(
            f"problem {problem.id} is {problem.state}: a violation is named once the problem "
            "is confirmed"
        )
    before = problem.violation
    if before == violation:
        return problem
    problem.violation = violation
    problem.updated_at = now
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="problem.violation",
        entity_type="problem",
        entity_id=problem.id,
        before={"violation": before},
        after={"violation": violation},
        reason=reason.strip() if reason and reason.strip() else None,
        ip=ip,
    )
    mark(session=session, enterprise_ids=[problem.enterprise_id], reason="violation", at=now)
    return problem


# --- HTTP -------------------------------------------------------------------------------------

router = APIRouter(prefix="/api", tags=["problems"])

Violation = Literal[
    "data_falsification", "hazardous_waste_disposal", "bypass", "refused_inspection"
]
OfficerDep = Annotated[Principal, Depends(require_roles(*OFFICER_ROLES))]
ProblemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ViolationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    violation: Violation | None = Field(description="None clears it")
    reason: str | None = Field(default=None, max_length=REASON_MAX)


class ViolationRead(BaseModel):
    problem_id: int
    violation: Violation | None


@router.post("/problems/{problem_id}/violation", response_model=ViolationRead)
def name_violation(
    problem_id: ProblemId,
    body: ViolationIn,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> ViolationRead:
    """Name the violation of a confirmed problem (a green-code veto), or clear it with null.
    An officer handling the problem; audited."""
    problem = set_violation(
        session=session,
        principal=principal,
        problem_id=problem_id,
        violation=body.violation,
        now=box.clock.now(),
        reason=body.reason,
        ip=request.client.host[:64] if request.client else None,
    )
    return ViolationRead(problem_id=problem.id, violation=problem.violation)
