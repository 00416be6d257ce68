"""Suspects on the problem page: the ranking for a problem's place, category and first report,
and an officer attaching a suspect to the problem (it becomes the problem's enterprise)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.linkage.suspects import WindLookup, no_wind, suspects
from ecoradar.linkage.suspects_rules import DEFAULT_RADIUS_M, Clue, Suspect
from ecoradar.problems import timeline
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.service import get_problem, handles
from ecoradar.registry.models import Enterprise


def clue_of(session: Session, problem: Problem, radius_m: float = DEFAULT_RADIUS_M) -> Clue:
    """The problem as a clue: its place and category, the time of its first report."""
    first = session.scalar(
        select(Finding.observed_at)
        .where(Finding.problem_id == problem.id)
        .order_by(Finding.observed_at)
        .limit(1)
    )
    return Clue(problem.lat, problem.lon, first or problem.reported_at, problem.category, radius_m)


def for_problem(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    wind: WindLookup = no_wind,
    radius_m: float = DEFAULT_RADIUS_M,
) -> tuple[Problem, Clue, list[Suspect]]:
    """The suspects of a problem staff may see (the others are not told it exists)."""
    if not principal.is_staff:
        raise PermissionDenied("only staff see suspects")
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    clue = clue_of(session, problem, radius_m)
    return problem, clue, suspects(session=session, clue=clue, wind=wind)


def attach(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    enterprise_code: str,
    now: datetime,
    wind: WindLookup = no_wind,
) -> Problem:
    """Make a suspect the problem's enterprise: an officer handling the problem, a suspect of
    the current ranking; a timeline event and an audit entry record the reasons it had."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if principal.role not in ("officer", "admin") or not handles(principal, problem):
        raise PermissionDenied("only the officers handling this problem attach a suspect")
    code = enterprise_code.strip()
    enterprise = session.scalar(select(Enterprise).where(Enterprise.code == code))
    if enterprise is None:
        raise NotFoundError(f"enterprise_code: no enterprise {code!r}")
    clue = clue_of(session, problem)
    ranked = {s.candidate.code: s for s in suspects(session=session, clue=clue, wind=wind)}
    suspect = ranked.get(code)
    if suspect is None:
        raise InputError(f"enterprise_code: {code} is not a suspect of problem {problem.id}")
    if problem.enterprise_id == enterprise.id:
        return problem
    before = {"enterprise_id": problem.enterprise_id}
    previous = problem.enterprise_id
    problem.enterprise_id = enterprise.id
    problem.updated_at = now
    detail = {
        "enterprise_code": code,
        "score": suspect.score,
        "distance_m": round(suspect.distance_m),
        "reasons": [{"what": r.what, "params": dict(r.params)} for r in suspect.reasons],
        "before": before,
    }
    timeline.event(
        session=session,
        problem=problem,
        at=now,
        actor=principal.actor,
        action="suspect_attached",
        public=False,
        detail=detail,
    )
    record_by(
        principal,
        session=session,
        at=now,
        action="problem.attach_suspect",
        entity_type="problem",
        entity_id=problem.id,
        before=before,
        after={"enterprise_id": enterprise.id},
    )
    mark_stale(
        session=session,
        enterprise_ids=[enterprise.id, previous],
        reason=f"problem {problem.id}: suspect attached",
        at=now,
    )
    return problem
