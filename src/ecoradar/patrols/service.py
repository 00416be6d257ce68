"""Patrols as a service: the plans per level, starting and ending a patrol, its GPS track,
the worker's schedule, and the problems routed to a worker for verification.

Writes happen in the caller's unit of work; every start, end and plan change is an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.patrols import rules
from ecoradar.patrols.models import Patrol, PatrolPlan
from ecoradar.patrols.rules import Schedule, TrackPoint
from ecoradar.problems.models import Problem
from ecoradar.regions.models import LEVELS, Region

VERIFY_STATES = ("assigned", "verifying")
"""A worker verifies the problems assigned to them in these states (the workflow's A)."""
WATCH_STATES = ("reported", "accepted", "reopened")
"""Problems of the worker's grid not yet assigned: shown to know what is around."""


def plans(session: Session) -> dict[str, int]:
    """Every level's frequency in hours: the stored ones over the defaults."""
    stored = {p.level: p.every_hours for p in session.scalars(select(PatrolPlan))}
    return {level: stored.get(level, rules.DEFAULT_EVERY_HOURS[level]) for level in LEVELS}


def set_plan(
    *, session: Session, principal: Principal, level: str, every_hours: int, now: datetime
) -> dict[str, int]:
    """An administrator sets how often areas of ``level`` are patrolled."""
    if not principal.is_admin:
        raise PermissionDenied("permission denied: patrol plans are set by an administrator")
    if level not in LEVELS:
        raise InputError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    rules.check_every_hours(every_hours)
    before = plans(session)[level]
    row = session.scalar(select(PatrolPlan).where(PatrolPlan.level == level))
    if row is None:
        row = PatrolPlan(level=level, every_hours=every_hours, updated_at=now)
        session.add(row)
    row.every_hours, row.updated_at, row.updated_by = every_hours, now, principal.actor
    session.flush()
    record(
        session=session,
        at=now,
        actor=principal.actor,
        action="patrol_plan.set",
        entity_type="patrol_plan",
        entity_id=level,
        before={"every_hours": before},
        after={"every_hours": every_hours},
        actor_user_id=principal.user_id,
    )
    return plans(session)


def area_of(session: Session, principal: Principal) -> Region:
    """The area a worker patrols: their scope region."""
    if principal.role != "grid_worker" or principal.user_id is None:
        raise PermissionDenied("permission denied: patrols are a grid worker's")
    region = session.get(Region, principal.region_id) if principal.region_id else None
    if region is None:
        raise ConflictError("your account has no grid; ask an administrator to set one")
    return region


def open_patrol(session: Session, user_id: int) -> Patrol | None:
    return session.scalar(
        select(Patrol).where(Patrol.user_id == user_id, Patrol.ended_at.is_(None))
    )


def _audit(session: Session, principal: Principal, now: datetime, action: str, p: Patrol) -> None:
    record(
        session=session,
        at=now,
        actor=principal.actor,
        action=action,
        entity_type="patrol",
        entity_id=p.id,
        after={
            "region_id": p.region_id,
            "started_at": p.started_at.isoformat(),
            "ended_at": p.ended_at.isoformat() if p.ended_at else None,
            "points": p.points,
            "length_m": round(p.length_m),
        },
        actor_user_id=principal.user_id,
    )


def start_patrol(*, session: Session, principal: Principal, now: datetime) -> Patrol:
    """Start a patrol of the worker's grid; refused while another is under way."""
    region = area_of(session, principal)
    assert principal.user_id is not None
    running = open_patrol(session, principal.user_id)
    if running is not None:
        raise ConflictError(f"patrol {running.id} is under way: end it first")
    patrol = Patrol(
        user_id=principal.user_id,
        region_id=region.id,
        started_at=now,
        track=[],
        points=0,
        length_m=0.0,
        note="",
    )
    session.add(patrol)
    session.flush()
    _audit(session, principal, now, "patrol.start", patrol)
    return patrol


def get_patrol(*, session: Session, principal: Principal, patrol_id: int) -> Patrol:
    """A patrol its worker, an administrator or an officer covering its area may see."""
    patrol = session.get(Patrol, patrol_id)
    if patrol is None:
        raise NotFoundError(f"no patrol {patrol_id}")
    mine = patrol.user_id == principal.user_id
    staff = principal.has_role("officer", "admin") and principal.covers_region(patrol.region_id)
    if not (mine or staff):
        raise NotFoundError(f"no patrol {patrol_id}")
    return patrol


def _stored(patrol: Patrol) -> list[TrackPoint]:
    return [
        TrackPoint(p[0], p[1], datetime.fromtimestamp(p[2], tz=UTC), p[3]) for p in patrol.track
    ]


def add_points(
    *,
    session: Session,
    principal: Principal,
    patrol_id: int,
    points: Sequence[TrackPoint],
    now: datetime,
) -> Patrol:
    """Append points to the worker's own patrol under way (checked by ``rules.check_points``)."""
    patrol = get_patrol(session=session, principal=principal, patrol_id=patrol_id)
    if patrol.user_id != principal.user_id:
        raise PermissionDenied("permission denied: only the worker adds to a patrol's track")
    if patrol.ended_at is not None:
        raise ConflictError(f"patrol {patrol.id} has ended")
    if not points:
        return patrol
    kept = _stored(patrol)
    clean = rules.check_points(
        points,
        started_at=patrol.started_at,
        now=now,
        last=kept[-1] if kept else None,
        kept=len(kept),
    )
    tail = kept[-1:] + clean
    patrol.track = [*patrol.track, *(p.as_list() for p in clean)]
    patrol.points = len(patrol.track)
    patrol.length_m = patrol.length_m + rules.length_m(tail)
    session.flush()
    return patrol


def end_patrol(
    *,
    session: Session,
    principal: Principal,
    patrol_id: int,
    points: Sequence[TrackPoint],
    note: str,
    now: datetime,
) -> Patrol:
    """End the worker's patrol, with its last points and a note; a patrol left running for
    more than ``rules.MAX_PATROL_HOURS`` ends at that length."""
    if len(note) > 2000:
        raise InputError("note: longer than 2000 characters")
    patrol = add_points(
        session=session, principal=principal, patrol_id=patrol_id, points=points, now=now
    )
    patrol.ended_at = min(now, patrol.started_at + timedelta(hours=rules.MAX_PATROL_HOURS))
    patrol.note = note.strip()
    session.flush()
    _audit(session, principal, now, "patrol.end", patrol)
    return patrol


def patrols_of(session: Session, user_id: int, *, limit: int = 20) -> list[Patrol]:
    return list(
        session.scalars(
            select(Patrol)
            .where(Patrol.user_id == user_id)
            .order_by(Patrol.started_at.desc(), Patrol.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class MySchedule:
    region: Region
    every_hours: int
    schedule: Schedule
    running: Patrol | None


def schedule_for(*, session: Session, principal: Principal, now: datetime) -> MySchedule:
    """The worker's schedule: the frequency of their grid's level, the last periods (done or
    not) and the patrol under way."""
    region = area_of(session, principal)
    assert principal.user_id is not None
    every = plans(session)[region.level]
    since = now - timedelta(hours=every * (rules.HISTORY_SLOTS + 1))
    starts = list(
        session.scalars(
            select(Patrol.started_at).where(
                Patrol.user_id == principal.user_id, Patrol.started_at >= since
            )
        )
    )
    return MySchedule(
        region,
        every,
        rules.schedule(every, starts, now),
        open_patrol(session, principal.user_id),
    )


def routed_to(
    *, session: Session, principal: Principal, limit: int = 50
) -> tuple[list[Problem], list[Problem]]:
    """The problems a worker verifies (assigned to them, to start or finish verifying) and
    those of their grid waiting for an officer (read-only, to know what is around)."""
    if principal.user_id is None:
        return [], []
    mine = list(
        session.scalars(
            select(Problem)
            .where(Problem.assignee_id == principal.user_id, Problem.state.in_(VERIFY_STATES))
            .order_by(Problem.handling_due.asc(), Problem.id.asc())
            .limit(limit)
        )
    )
    waiting: list[Problem] = []
    if principal.region_ids:
        waiting = list(
            session.scalars(
                select(Problem)
                .where(
                    Problem.region_id.in_(sorted(principal.region_ids)),
                    Problem.state.in_(WATCH_STATES),
                    or_(Problem.assignee_id.is_(None), Problem.assignee_id != principal.user_id),
                )
                .order_by(Problem.reported_at.desc())
                .limit(limit)
            )
        )
    return mine, waiting
