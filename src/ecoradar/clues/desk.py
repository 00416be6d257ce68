"""The officers' clue desk (``/clues``): every clue of the problems an officer handles, across
channels, filtered and paged; the filtered clues' places for the map; and the deduplication's
suggestions for one clue, stored at intake and looked up afresh.

Who: officers and administrators only (``may_use_desk``). An officer's desk holds the clues of
the problems in their region scope and those assigned to them — exactly the problems they
handle (``problems.service.handles``), so the descriptions are shown as written. The reporter's
identity is on the finding and never read here: it stays behind the problem page's logged
reporter view. Nothing here writes; the bulk actions are in ``clues.desk_actions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final, TypeVarTuple

from sqlalchemy import ColumnElement, Select, String, cast, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.clues import dedupe_service
from ecoradar.clues.models import CLUE_CHANNELS, Clue
from ecoradar.clues.service import clue_scope
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.core.paging import COUNT_CAP, capped_count
from ecoradar.media.models import MediaFile
from ecoradar.problems.models import CATEGORIES, STATES, Finding, Problem
from ecoradar.problems.service import handles, visibility
from ecoradar.regions.service import region_by_code, subtree_ids

DESK_ROLES: Final = ("admin", "officer")
PER_PAGE: Final = 25
MAP_LIMIT: Final = 2000
"""The most clues the map shows (the newest of the filtered ones)."""
SEARCH_MAX: Final = 100
DEDUPE_FILTERS: Final = ("attached", "suggested", "none")
"""``attached``: attached automatically to an existing problem; ``suggested``: has suggestions
for the officer; ``none``: neither."""


def may_use_desk(principal: Principal) -> bool:
    return principal.role in DESK_ROLES


def check_desk(principal: Principal) -> None:
    if not may_use_desk(principal):
        raise PermissionDenied("the clue desk is for officers and administrators")


@dataclass(frozen=True)
class DeskQuery:
    """The desk's filters (already checked: ``desk_query`` refuses unknown values)."""

    channel: str | None = None
    category: str | None = None
    region: str = ""
    state: str | None = None
    dedupe: str | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""
    page: int = 1

    def params(self, **changes: object) -> dict[str, object]:
        """The query parameters of these filters (without the page), with ``changes``."""
        values: dict[str, object] = {
            "channel": self.channel,
            "category": self.category,
            "region": self.region,
            "state": self.state,
            "dedupe": self.dedupe,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "q": self.q,
        }
        values.update(changes)
        return values

    @property
    def filtered(self) -> bool:
        return any(v not in (None, "") for v in self.params().values())


def _day(name: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def desk_query(
    *,
    channel: str = "",
    category: str = "",
    region: str = "",
    state: str = "",
    dedupe: str = "",
    since: str = "",
    until: str = "",
    q: str = "",
    page: int = 1,
) -> DeskQuery:
    """The filters from their text; ``InputError`` naming the first value not understood."""
    if channel and channel not in CLUE_CHANNELS:
        raise InputError(f"channel: {channel!r} is not one of {', '.join(CLUE_CHANNELS)}")
    if category and category not in CATEGORIES:
        raise InputError(f"category: {category!r} is not one of {', '.join(CATEGORIES)}")
    if state and state not in STATES:
        raise InputError(f"state: {state!r} is not one of {', '.join(STATES)}")
    if dedupe and dedupe not in DEDUPE_FILTERS:
        raise InputError(f"dedupe: {dedupe!r} is not one of {', '.join(DEDUPE_FILTERS)}")
    first, last = _day("since", since), _day("until", until)
    if first and last and last < first:
        raise InputError("until: before since")
    if len(q) > SEARCH_MAX:
        raise InputError(f"q: longer than {SEARCH_MAX} characters")
    return DeskQuery(
        channel=channel or None,
        category=category or None,
        region=region.strip(),
        state=state or None,
        dedupe=dedupe or None,
        since=first,
        until=last,
        q=q.strip(),
        page=max(1, page),
    )


def _start_of(day: date) -> datetime:
    """The start of a China calendar day, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(session: Session, principal: Principal, query: DeskQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [clue_scope(session=session, principal=principal)]
    if query.channel:
        where.append(Clue.channel == query.channel)
    if query.category:
        where.append(Clue.service_code == query.category)
    if query.state:
        where.append(Problem.state == query.state)
    if query.region:
        try:
            found = region_by_code(session=session, code=query.region)
        except NotFoundError:
            raise InputError(f"region: no area with code {query.region!r}") from None
        where.append(Clue.region_id.in_(sorted(subtree_ids(session=session, region_id=found.id))))
    if query.dedupe == "attached":
        where.append(Clue.duplicate.is_(True))
    elif query.dedupe in ("suggested", "none"):
        has = cast(Clue.suggestions, String) != "[]"
        if query.dedupe == "suggested":
            where.append(has)
        else:
            where.extend([Clue.duplicate.is_(False), ~has])
    if query.since:
        where.append(Clue.received_at >= _start_of(query.since))
    if query.until:
        where.append(Clue.received_at < _start_of(query.until + timedelta(days=1)))
    if query.q:
        pattern = f"%{_escaped(query.q)}%"
        where.append(
            Finding.description.ilike(pattern, escape="\\")
            | Clue.address_string.ilike(pattern, escape="\\")
        )
    return where


Ts = TypeVarTuple("Ts")


def _joined(
    statement: Select[*Ts],
    where: list[ColumnElement[bool]],
    query: DeskQuery,
    *,
    finding: bool = False,
    problem: bool = False,
) -> Select[*Ts]:
    """``statement`` over clues under ``where``, joined to the finding and the problem only when
    a filter of ``query`` reads them (``q``, ``state``) or the caller shows them: the scope and
    the other filters are on the clue's own columns."""
    if finding or query.q:
        statement = statement.join(Finding, Clue.finding_id == Finding.id)
    if problem or query.state:
        statement = statement.join(Problem, Clue.problem_id == Problem.id)
    return statement.where(*where)


@dataclass(frozen=True)
class DeskRow:
    """One clue as the desk lists it (no reporter: that is on the finding, protected)."""

    clue: Clue
    problem: Problem
    description: str
    suggestions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DeskPage:
    """One page of clues, shaped as the ``pager`` macro reads it."""

    items: list[DeskRow]
    total: int
    page: int
    pages: int

    @property
    def capped(self) -> bool:
        """More than ``COUNT_CAP`` clues match: ``total`` is ``COUNT_CAP + 1``."""
        return self.total > COUNT_CAP


def list_desk(
    *, session: Session, principal: Principal, query: DeskQuery, per_page: int = PER_PAGE
) -> DeskPage:
    """A page of the clues ``principal`` handles under ``query``, newest first; past the end
    (an old link), the last page."""
    check_desk(principal)
    where = _where(session, principal, query)
    total = capped_count(session, _joined(select(Clue.id), where, query))
    pages = max(1, -(-total // per_page))
    page = min(query.page, pages)
    shown = _joined(select(Clue, Finding, Problem), where, query, finding=True, problem=True)
    ordered = shown.order_by(Clue.received_at.desc(), Clue.id.desc())
    rows = session.execute(ordered.offset((page - 1) * per_page).limit(per_page)).all()
    items = [
        DeskRow(clue, problem, finding.description or "", list(clue.suggestions or []))
        for clue, finding, problem in rows
    ]
    return DeskPage(items, total, page, pages)


def map_points(
    *, session: Session, principal: Principal, query: DeskQuery, limit: int = MAP_LIMIT
) -> list[dict[str, Any]]:
    """The newest ``limit`` filtered clues as map points: id, place, category, the problem's
    number and state (no text: the map's popups link to the clue)."""
    check_desk(principal)
    statement = select(
        Clue.id, Clue.lat, Clue.lon, Clue.service_code, Problem.id, Problem.state
    ).select_from(Clue)
    rows = session.execute(
        _joined(statement, _where(session, principal, query), query, problem=True)
        .order_by(Clue.received_at.desc(), Clue.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": clue_id,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "category": category,
            "problem_id": problem_id,
            "state": state,
        }
        for clue_id, lat, lon, category, problem_id, state in rows
    ]


def desk_clue(*, session: Session, principal: Principal, clue_id: int) -> DeskRow:
    """One clue of the desk; any clue ``principal`` does not handle is 'not found'."""
    check_desk(principal)
    row = session.execute(
        select(Clue, Finding, Problem)
        .join(Finding, Clue.finding_id == Finding.id)
        .join(Problem, Finding.problem_id == Problem.id)
        .where(Clue.id == clue_id, visibility(principal))
    ).first()
    if row is None or not handles(principal, row[2]):
        raise NotFoundError(f"no clue {clue_id}")
    clue, finding, problem = row
    return DeskRow(clue, problem, finding.description or "", list(clue.suggestions or []))


@dataclass(frozen=True)
class FreshSuggestion:
    """A problem deduplication would now suggest for a clue (its own problem left out)."""

    problem_id: int
    score: float
    distance_m: float | None
    """None for the problem it would attach to (the decision does not carry it)."""
    reasons: tuple[str, ...]
    title: str
    state: str


def fresh_suggestions(
    *, session: Session, principal: Principal, row: DeskRow, settings: Settings
) -> list[FreshSuggestion]:
    """What ``dedupe_service.find_duplicates`` says about the clue today, against the open
    problems now in the register: the suggestions and the problem it would attach to, best
    first, its own problem and problems ``principal`` does not handle left out."""
    check_desk(principal)
    clue = row.clue
    hashes = tuple(
        h
        for h in session.scalars(
            select(MediaFile.phash).where(
                MediaFile.id.in_(sorted(clue.media_ids or [])), MediaFile.phash.is_not(None)
            )
        )
        if h
    )
    decision = dedupe_service.find_duplicates(
        session=session,
        category=clue.service_code,
        lat=clue.lat,
        lon=clue.lon,
        at=clue.received_at,
        text=row.description,
        phashes=hashes,
        settings=settings,
    )
    found: list[tuple[int, float, float | None, tuple[str, ...]]] = [
        (s.problem_id, s.score, s.distance_m, tuple(s.reasons)) for s in decision.suggestions
    ]
    if decision.attach_to is not None:
        best = (decision.attach_to, decision.score or 0.0, None, tuple(decision.reasons))
        found.insert(0, best)
    ids = {pid for pid, *_ in found if pid != row.problem.id}
    problems = {
        p.id: p for p in session.scalars(select(Problem).where(Problem.id.in_(sorted(ids))))
    }
    result = []
    for pid, score, distance, reasons in found:
        problem = problems.get(pid)
        if problem is None or not handles(principal, problem):
            continue
        result.append(FreshSuggestion(pid, score, distance, reasons, problem.title, problem.state))
    return result
