"""Clue queries: by tracking code, lists for officers, the reporter's public view of a clue,
and the export rows (``ecoradar clues export``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.clues import tracking
from ecoradar.clues.models import CLUE_CHANNELS, Clue
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.core.paging import capped_count
from ecoradar.privacy.mask import mask, mask_data
from ecoradar.problems.models import Finding, Problem, ProblemEvent, ProblemNote
from ecoradar.problems.service import visibility
from ecoradar.problems.workflow import FINAL_STATES, State

EXPORT_FIELDS = (
    "id",
    "channel",
    "category",
    "lat",
    "long",
    "received_at",
    "problem_id",
    "duplicate",
)
"""``ecoradar clues export``: one clue per line with exactly these fields."""
PUBLIC_DETAIL = ("reason", "rectification_due", "transfer")
"""What of a timeline entry's detail a reporter sees (never who acted, never internal text)."""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TZ).isoformat() if value is not None else None


def clue_by_code(*, session: Session, code: str) -> Clue:
    """The clue of a tracking code as a person typed it; ``NotFoundError`` otherwise."""
    normal = tracking.normalize_tracking_code(code)
    clue = (
        session.scalar(select(Clue).where(Clue.tracking_code == normal))
        if normal is not None
        else None
    )
    if clue is None:
        raise NotFoundError("tracking code: no clue with this code")
    return clue


# --- officers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CluePage:
    items: list[Clue]
    total: int
    page: int
    per_page: int


def clue_scope(*, session: Session, principal: Principal) -> ColumnElement[bool]:
    """The clues of the problems ``principal`` may see (``problems.service.visibility``), as a
    WHERE clause on the clue alone.

    For an officer or a grid worker (their region subtree, or problems assigned to them) it
    reads the clue's own ``region_id`` and ``problem_id`` (the copies migration 0031 keeps),
    with the problems assigned to them read first: a list scans no finding or problem, and the
    planner sees two plain lists (an index-only count). ``visibility`` stays the rule; every
    other principal goes through it.
    """
    if principal.is_admin:
        return true()
    if principal.role in ("officer", "grid_worker") and principal.user_id is not None:
        assigned = session.scalars(
            select(Problem.id).where(Problem.assignee_id == principal.user_id)
        ).all()
        parts: list[ColumnElement[bool]] = []
        if principal.region_ids:
            parts.append(Clue.region_id.in_(sorted(principal.region_ids)))
        if assigned:
            parts.append(Clue.problem_id.in_(sorted(assigned)))
        return or_(*parts) if parts else false()
    return Clue.problem_id.in_(select(Problem.id).where(visibility(principal)))


def list_clues(
    *,
    session: Session,
    principal: Principal,
    channel: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    duplicate: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> CluePage:
    """A page of the clues of problems ``principal`` may see, newest first."""
    if channel is not None and channel not in CLUE_CHANNELS:
        raise InputError(f"channel: {channel!r} is not one of {', '.join(CLUE_CHANNELS)}")
    where: list[ColumnElement[bool]] = [clue_scope(session=session, principal=principal)]
    if channel is not None:
        where.append(Clue.channel == channel)
    if category is not None:
        where.append(Clue.service_code == category)
    if since is not None:
        where.append(Clue.received_at >= since)
    if duplicate is not None:
        where.append(Clue.duplicate.is_(duplicate))
    base = select(Clue).where(*where)
    total = capped_count(session, select(Clue.id).where(*where))
    query = base.order_by(Clue.received_at.desc(), Clue.id.desc())
    items = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return CluePage(items, total, page, per_page)


def get_clue(*, session: Session, principal: Principal, clue_id: int) -> Clue:
    """A clue of a problem ``principal`` may see; any other is 'not found'."""
    clue = session.scalar(
        select(Clue).where(Clue.id == clue_id, clue_scope(session=session, principal=principal))
    )
    if clue is None:
        raise NotFoundError(f"no clue {clue_id}")
    return clue


# --- the reporter -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class PublicNote:
    at: datetime
    text: str


@dataclass(frozen=True)
class Tracked:
    """What the tracking code shows: no names, no contacts, nothing internal; the text of
    reasons and notes masked (``privacy.mask``), as a tracking code may be passed on."""

    clue: Clue
    problem: Problem
    events: list[PublicEvent]
    notes: list[PublicNote]
    feedback_until: datetime | None
    """The end of the feedback period (None: not closed, or the period is over)."""

    @property
    def status(self) -> str:
        """``open`` or ``closed`` (any final state), as Open311 puts it."""
        return "closed" if State(self.problem.state) in FINAL_STATES else "open"


def final_since(problem: Problem) -> datetime | None:
    """When the problem entered its final state (None while open)."""
    if State(problem.state) not in FINAL_STATES:
        return None
    if problem.state == State.CLOSED and problem.closed_at is not None:
        return problem.closed_at
    stamp = problem.state_times.get(problem.state)
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else problem.updated_at


def feedback_until(problem: Problem, *, days: int, now: datetime) -> datetime | None:
    since = final_since(problem)
    if since is None:
        return None
    until = since + timedelta(days=days)
    return until if now <= until else None


def track(*, session: Session, clue: Clue, now: datetime, feedback_days: int) -> Tracked:
    problem = session.get(Problem, clue.problem_id)
    if problem is None:  # pragma: no cover - a foreign key
        raise NotFoundError("tracking code: the problem is gone")
    events = [
        PublicEvent(
            at=e.at,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            detail=mask_data({k: v for k, v in e.detail.items() if k in PUBLIC_DETAIL}),
        )
        for e in session.scalars(
            select(ProblemEvent)
            .where(ProblemEvent.problem_id == problem.id, ProblemEvent.public.is_(True))
            .order_by(ProblemEvent.at, ProblemEvent.id)
        )
    ]
    notes = [
        PublicNote(at=n.at, text=mask(n.text))
        for n in session.scalars(
            select(ProblemNote)
            .where(ProblemNote.problem_id == problem.id, ProblemNote.visibility == "public")
            .order_by(ProblemNote.at, ProblemNote.id)
        )
    ]
    return Tracked(
        clue, problem, events, notes, feedback_until(problem, days=feedback_days, now=now)
    )


# --- export -----------------------------------------------------------------------------------


def export_record(clue: Clue, problem_id: int) -> dict[str, Any]:
    return {
        "id": clue.id,
        "channel": clue.channel,
        "category": clue.service_code,
        "lat": clue.lat,
        "long": clue.lon,
        "received_at": _iso(clue.received_at),
        "problem_id": problem_id,
        "duplicate": clue.duplicate,
    }


def export_rows(*, session: Session, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every clue received at or after ``since``, oldest first (``EXPORT_FIELDS``)."""
    query = (
        select(Clue, Finding.problem_id)
        .join(Finding, Clue.finding_id == Finding.id)
        .order_by(Clue.id)
    )
    if since is not None:
        query = query.where(Clue.received_at >= since)
    for clue, problem_id in session.execute(query.execution_options(yield_per=1000)):
        yield export_record(clue, problem_id)
