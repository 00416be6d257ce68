"""Everything that happened about one enterprise, merged and newest first: alerts, findings,
problems' events, colour changes of the green code, service reminders, self-inspection tasks
(done or missed), inspections and power episodes.

Each kind is one query ordered by its time; a page asks every query for at most ``limit`` rows
older than the cursor, merges them and keeps the newest ``limit``. The cursor is the last
entry's key ``(at, rank, id)`` (``rank``: the kind's place in ``KINDS``, which breaks ties in
time), so a page costs the same however deep it is (keyset paging, no OFFSET).

Who sees what follows the domains' own rules (``problems.service.visibility``,
``reminders.service.visible``, ``inspections.service.inspections_visible``); the session must
be scoped to the principal (``auth.scope``), which hides the alerts of points outside it.
Reporters never appear: a finding shows its channel only, and no event shows its actor.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.detection.models import Alert
from ecoradar.greencode.models import GreenCodeHistory
from ecoradar.inspections.models import Draw, Inspection
from ecoradar.inspections.service import inspections_visible
from ecoradar.power.models import PowerEpisode
from ecoradar.privacy.mask import mask
from ecoradar.problems.models import Finding, Problem, ProblemEvent
from ecoradar.problems.service import sees_originals
from ecoradar.problems.service import visibility as problem_visibility
from ecoradar.registry.models import MonitoringPoint, Outlet
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.service import visible as reminders_visible
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask

KINDS = ("alert", "finding", "problem", "code", "reminder", "selfcheck", "inspection", "power")
"""Every kind of entry, in the order that breaks ties in time (later in the list first)."""
PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Entry:
    """One thing that happened: when, what kind, the row's id and what the page shows."""

    at: datetime
    kind: str
    id: int
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, KINDS.index(self.kind), self.id)

    @property
    def cursor(self) -> str:
        return f"{self.at.isoformat()}~{self.kind}~{self.id}"


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Entry]
    next_cursor: str | None
    """The cursor of the next (older) page; None at the end."""


Key = tuple[datetime, int, int]


def parse_cursor(text: str) -> Key:
    """``2026-11-02T08:00:00+00:00~alert~17`` -> its key; ``InputError`` naming the cursor."""
    parts = text.split("~")
    try:
        if len(parts) != 3 or parts[1] not in KINDS:
            raise ValueError(text)
        at = datetime.fromisoformat(parts[0])
        if at.tzinfo is None:
            raise ValueError(text)
        return (at, KINDS.index(parts[1]), int(parts[2]))
    except ValueError:
        raise InputError(f"cursor: {text[:80]!r} is not a timeline position") from None


@dataclass(frozen=True)
class Source:
    """One kind of entry: its query (the time column first), time and id columns, and how a
    row becomes an entry."""

    kind: str
    query: Any
    """A ``Select`` of the kind's columns."""
    at: Any
    """The time column (or expression) the entries are ordered by."""
    id: Any
    make: Callable[[Any], Entry]

    def older_than(self, key: Key | None) -> ColumnElement[bool]:
        if key is None:
            return true()
        at, rank, row_id = key
        mine = KINDS.index(self.kind)
        time: ColumnElement[datetime] = self.at
        if mine < rank:
            return time <= at
        if mine > rank:
            return time < at
        return or_(time < at, and_(time == at, self.id < row_id))

    def rows(self, session: Session, key: Key | None, limit: int) -> list[Entry]:
        query = self.query.where(self.older_than(key))
        ordered = query.order_by(self.at.desc(), self.id.desc()).limit(limit)
        return [self.make(row) for row in session.execute(ordered)]


# --- the sources ------------------------------------------------------------------------------


def _alerts(enterprise_id: int) -> Source:
    query = (
        select(
            Alert.start,
            Alert.id,
            Alert.kind,
            Alert.factor,
            Alert.severity,
            Alert.end,
            MonitoringPoint.mn,
        )
        .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .where(Outlet.enterprise_id == enterprise_id)
    )

    def make(row: Any) -> Entry:
        facts = {"alert_kind": row.kind, "factor": row.factor, "severity": row.severity}
        facts.update(end=row.end, mn=row.mn, link=f"/alerts/{row.id}")
        return Entry(row.start, "alert", row.id, facts)

    return Source("alert", query, Alert.start, Alert.id, make)


def _findings(enterprise_id: int, principal: Principal) -> Source:
    # Channel, category and severity only: never a reporter's name, contact or account.
    query = (
        select(
            Finding.received_at,
            Finding.id,
            Finding.channel,
            Finding.category,
            Finding.severity,
            Finding.problem_id,
        )
        .join(Problem, Finding.problem_id == Problem.id)
        .where(Problem.enterprise_id == enterprise_id, problem_visibility(principal))
    )

    def make(row: Any) -> Entry:
        facts = {"channel": row.channel, "category": row.category, "severity": row.severity}
        facts.update(problem_id=row.problem_id, link=f"/problems/{row.problem_id}")
        return Entry(row.received_at, "finding", row.id, facts)

    return Source("finding", query, Finding.received_at, Finding.id, make)


def _handled(principal: Principal) -> ColumnElement[bool]:
    """The problems whose internal events ``principal`` reads (``problems.service.handles``)."""
    if principal.is_admin:
        return true()
    if principal.role not in ("officer", "grid_worker"):
        return false()
    mine = Problem.assignee_id == principal.user_id
    if not principal.region_ids:
        return mine
    return or_(Problem.region_id.in_(sorted(principal.region_ids)), mine)


def _problem_events(enterprise_id: int, principal: Principal) -> Source:
    query = (
        select(
            ProblemEvent.at,
            ProblemEvent.id,
            ProblemEvent.action,
            ProblemEvent.from_state,
            ProblemEvent.to_state,
            ProblemEvent.problem_id,
            Problem.title,
        )
        .join(Problem, ProblemEvent.problem_id == Problem.id)
        .where(
            Problem.enterprise_id == enterprise_id,
            problem_visibility(principal),
            or_(ProblemEvent.public.is_(True), _handled(principal)),
        )
    )
    originals = sees_originals(principal)

    def make(row: Any) -> Entry:
        title = row.title if originals else mask(row.title)
        facts = {"action": row.action, "from_state": row.from_state, "to_state": row.to_state}
        facts.update(problem_id=row.problem_id, title=title, link=f"/problems/{row.problem_id}")
        return Entry(row.at, "problem", row.id, facts)

    return Source("problem", query, ProblemEvent.at, ProblemEvent.id, make)


def _code_changes(enterprise_id: int, enterprise_code: str) -> Source:
    history = GreenCodeHistory
    query = select(
        history.at, history.id, history.colour, history.previous_colour, history.score
    ).where(history.enterprise_id == enterprise_id, history.kind.in_(("colour", "first")))

    def make(row: Any) -> Entry:
        facts = {"colour": row.colour, "previous_colour": row.previous_colour}
        facts.update(score=row.score, link=f"/greencode/{enterprise_code}")
        return Entry(row.at, "code", row.id, facts)

    return Source("code", query, history.at, history.id, make)


def _reminders(enterprise_id: int, principal: Principal) -> Source:
    at = func.coalesce(Reminder.issued_at, Reminder.created_at)
    columns: Any = select(
        at.label("at"), Reminder.id, Reminder.number, Reminder.state, Reminder.issued_at
    )
    query = reminders_visible(columns, principal).where(Reminder.enterprise_id == enterprise_id)

    def make(row: Any) -> Entry:
        facts = {"number": row.number, "state": row.state, "issued": row.issued_at is not None}
        facts["link"] = f"/reminders/{row.number}"
        return Entry(row.at, "reminder", row.id, facts)

    return Source("reminder", query, at, Reminder.id, make)


def _selfcheck(enterprise_id: int, now: datetime) -> Source:
    # A task is an entry once it is done (when submitted) or missed (when it fell due).
    at = func.coalesce(SelfcheckTask.submitted_at, SelfcheckTask.due_at)
    query = (
        select(
            at.label("at"),
            SelfcheckTask.id,
            SelfcheckTask.state,
            SelfcheckTask.failed,
            SelfcheckTask.submitted_at,
            SelfcheckTask.due_at,
            ControlPoint.name,
            ControlPoint.code,
        )
        .join(ControlPoint, SelfcheckTask.point_id == ControlPoint.id)
        .where(
            SelfcheckTask.enterprise_id == enterprise_id,
            or_(SelfcheckTask.state == "submitted", SelfcheckTask.due_at < now),
        )
    )

    def make(row: Any) -> Entry:
        if row.submitted_at is None:
            outcome = "missed"
        elif row.failed:
            outcome = "failed"
        else:
            outcome = "done" if row.submitted_at <= row.due_at else "late"
        facts = {"outcome": outcome, "point": row.name, "point_code": row.code}
        facts["link"] = f"/selfcheck/tasks/{row.id}"
        return Entry(row.at, "selfcheck", row.id, facts)

    return Source("selfcheck", query, at, SelfcheckTask.id, make)


def _inspections(enterprise_id: int, principal: Principal) -> Source:
    at = func.coalesce(Inspection.done_at, Inspection.created_at)
    query = (
        select(
            at.label("at"),
            Inspection.id,
            Inspection.state,
            Inspection.outcome,
            Inspection.colour,
            Draw.period,
        )
        .join(Draw, Inspection.draw_id == Draw.id)
        .where(Inspection.enterprise_id == enterprise_id, inspections_visible(principal))
    )

    def make(row: Any) -> Entry:
        facts = {"state": row.state, "outcome": row.outcome, "period": row.period}
        facts.update(colour=row.colour, link=f"/inspections/tasks/{row.id}")
        return Entry(row.at, "inspection", row.id, facts)

    return Source("inspection", query, at, Inspection.id, make)


def _power(enterprise_id: int, enterprise_code: str) -> Source:
    episode = PowerEpisode
    query = select(
        episode.start,
        episode.id,
        episode.rule,
        episode.subject,
        episode.state,
        episode.minutes,
        episode.end,
    ).where(episode.enterprise_id == enterprise_id, episode.withdrawn_at.is_(None))

    def make(row: Any) -> Entry:
        facts = {"rule": row.rule, "subject": row.subject, "state": row.state}
        day = row.start.astimezone(CHINA_TZ).date().isoformat()
        facts.update(minutes=row.minutes, end=row.end, link=f"/power/{enterprise_code}?day={day}")
        return Entry(row.start, "power", row.id, facts)

    return Source("power", query, episode.start, episode.id, make)


def sources(
    *, enterprise_id: int, enterprise_code: str, principal: Principal, now: datetime
) -> list[Source]:
    """Every source of entries about one enterprise that ``principal`` may read."""
    return [
        _alerts(enterprise_id),
        _findings(enterprise_id, principal),
        _problem_events(enterprise_id, principal),
        _code_changes(enterprise_id, enterprise_code),
        _reminders(enterprise_id, principal),
        _selfcheck(enterprise_id, now),
        _inspections(enterprise_id, principal),
        _power(enterprise_id, enterprise_code),
    ]


def merge(lists: Iterable[list[Entry]], limit: int) -> list[Entry]:
    """The newest ``limit`` entries of lists that are each newest first (pure)."""
    merged = heapq.merge(*lists, key=lambda e: e.key, reverse=True)
    return [entry for _, entry in zip(range(limit), merged, strict=False)]


def timeline(
    *,
    session: Session,
    principal: Principal,
    enterprise_id: int,
    enterprise_code: str,
    now: datetime,
    cursor: str | None = None,
    limit: int = PER_PAGE,
    kinds: Iterable[str] | None = None,
) -> TimelinePage:
    """One page of the enterprise's timeline, newest first, after ``cursor`` (``None``: the
    newest). ``kinds``: only these kinds (default all). The caller has checked that the
    principal may see the enterprise."""
    if not 1 <= limit <= MAX_PER_PAGE:
        raise InputError(f"limit: {limit} is not between 1 and {MAX_PER_PAGE}")
    wanted = set(KINDS if kinds is None else kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise InputError(f"kind: {sorted(unknown)[0]!r} is not one of {', '.join(KINDS)}")
    key = parse_cursor(cursor) if cursor else None
    chosen = sources(
        enterprise_id=enterprise_id,
        enterprise_code=enterprise_code,
        principal=principal,
        now=now,
    )
    # One more than a page tells whether an older page exists.
    found = [s.rows(session, key, limit + 1) for s in chosen if s.kind in wanted]
    entries = merge(found, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return TimelinePage(entries, entries[-1].cursor if more and entries else None)
