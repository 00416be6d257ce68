"""The problem queue's filters and results (``/problems``, ``/problems/rows``): what the form
sends, what the region filter offers, and one page of problems with the names it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import NotFoundError
from ecoradar.privacy.mask import mask
from ecoradar.problems import service
from ecoradar.problems.models import CATEGORIES, CHANNELS, STATES, Problem
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.regions.models import Region
from ecoradar.regions.service import region_by_code, subtree_ids
from ecoradar.registry.models import Enterprise

PER_PAGE = 25
SearchText = Annotated[str, Query(max_length=100)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters as its form sends them; ``state`` may repeat or be comma-joined."""

    states: tuple[str, ...] = ()
    category: str | None = None
    channel: str | None = None
    region: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1
    due_soon: bool = False

    def params(self, **changes: object) -> dict[str, object]:
        """The query parameters of this queue (without the page), with ``changes``; the states
        comma-joined so that one parameter carries them through the pager's links."""
        values: dict[str, object] = {
            "state": ",".join(self.states) or None,
            "category": self.category,
            "channel": self.channel,
            "region": self.region,
            "overdue": "1" if self.overdue else None,
            "due": "soon" if self.due_soon else None,
            "q": self.q,
        }
        values.update(changes)
        return values


def queue_query(
    state: Annotated[list[str] | None, Query(max_length=len(STATES))] = None,
    category: Annotated[str, Query(max_length=24)] = "",
    channel: Annotated[str, Query(max_length=16)] = "",
    region: Annotated[str, Query(max_length=32)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
    q: SearchText = "",
    page: PageNumber = 1,
    due: Annotated[str, Query(max_length=8)] = "",
) -> tuple[QueueQuery, list[str]]:
    """The filters, and the values that were not understood (shown, then ignored)."""
    asked = {s.strip() for value in state or () for s in value.split(",") if s.strip()}
    unknown = sorted(asked - set(STATES))
    if category and category not in CATEGORIES:
        unknown.append(category)
    if channel and channel not in CHANNELS:
        unknown.append(channel)
    query = QueueQuery(
        tuple(s for s in STATES if s in asked),
        category if category in CATEGORIES else None,
        channel if channel in CHANNELS else None,
        region.strip(),
        overdue.lower() in ("1", "true", "on", "yes"),
        q.strip(),
        page,
        due == "soon",
    )
    if due and due != "soon":
        unknown.append(due)
    return query, unknown


QueueDep = Annotated[tuple[QueueQuery, list[str]], Depends(queue_query)]


def covered_regions(session: Session, principal: Principal) -> list[Region]:
    """The areas the region filter offers: those the principal covers (every one for an
    administrator; none for enterprise and public users, whose problems are few)."""
    if principal.role not in ("admin", "officer", "grid_worker"):
        return []
    query = select(Region).order_by(Region.code)
    if not principal.unrestricted:
        query = query.where(Region.id.in_(sorted(principal.region_ids)))
    return list(session.scalars(query))


def queue_results(
    session: Session,
    principal: Principal,
    query: QueueQuery,
    unknown: list[str],
    now: datetime | None = None,
) -> dict[str, Any]:
    error = ", ".join(unknown) if unknown else None
    region_ids = None
    if query.region:
        try:
            found = region_by_code(session=session, code=query.region)
        except NotFoundError:
            error = ", ".join([*unknown, query.region])
        else:
            region_ids = subtree_ids(session=session, region_id=found.id)
    filters = service.ProblemFilter(
        state=query.states,
        category=query.category,
        channel=query.channel,
        overdue=True if query.overdue else None,
        q=query.q or None,
        due_between=service.due_soon(now) if query.due_soon and now is not None else None,
    )

    def search(page: int) -> service.ProblemPage:
        return service.list_problems(
            session=session,
            principal=principal,
            filters=filters,
            page=page,
            per_page=PER_PAGE,
            region_ids=region_ids,
        )

    found_page = search(query.page)
    pages = max(1, -(-found_page.total // PER_PAGE))
    if found_page.page > pages:  # past the end (e.g. an old link): show the last page
        found_page = search(pages)
    return {
        "query": query,
        "result": Paged(found_page.items, found_page.total, found_page.page, pages),
        "error": error,
        "names": _names(session, found_page.items),
        "titles": {
            p.id: p.title if service.handles(principal, p) else mask(p.title)
            for p in found_page.items
        },
        "enterprises": _enterprises(session, principal, found_page.items),
        "show_enterprise": principal.role not in ("public", "supervisor"),
        "due_of": due_of,
    }


@dataclass(frozen=True)
class Paged:
    """One page of problems, shaped as the ``pager`` macro reads it."""

    items: list[Problem]
    total: int
    page: int
    pages: int


def due_of(problem: Problem) -> datetime | None:
    """The deadline that runs now: acceptance while reported, handling in the other open
    states, none once final."""
    if problem.state == "reported":
        return problem.acceptance_due
    if problem.state in OPEN_STATES:
        return problem.handling_due
    return None


def _names(session: Session, problems: list[Problem]) -> dict[int, Region]:
    ids = {p.region_id for p in problems} | {
        p.escalation_region_id for p in problems if p.escalation_region_id is not None
    }
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(sorted(ids))))}


def _enterprises(
    session: Session, principal: Principal, problems: list[Problem]
) -> dict[int, Enterprise]:
    """The enterprises the problems are about, for staff and the enterprise itself (a member
    of the public sees no enterprise named before the bureau has verified anything)."""
    ids = {p.enterprise_id for p in problems if p.enterprise_id is not None}
    if not ids or principal.role in ("public", "supervisor"):
        return {}
    rows = session.scalars(select(Enterprise).where(Enterprise.id.in_(sorted(ids))))
    return {e.id: e for e in rows}
