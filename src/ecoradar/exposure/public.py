"""What the public reads of the exposure entries: the published, unexpired ones of problems
still verified, with the enterprise, the area, what was found and when, the decision (from the
recorded enforcement outcome) and the rectification as it stands now.

Never a reporter, an officer's name, a user, a finding's text or a problem's id: an entry is
numbered by itself, and its text was checked for personal data when it was proposed (and is
masked again here, in case the masking rules grew since)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.exposure import rules
from ecoradar.exposure.models import ExposureEntry
from ecoradar.exposure.service import facts_of
from ecoradar.privacy.mask import mask
from ecoradar.problems.models import CATEGORIES, Problem
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids
from ecoradar.rewards.models import ProblemOutcome

PER_PAGE = 20
FEED_SIZE = 50


@dataclass(frozen=True)
class Decision:
    kind: str
    fine_amount: Decimal | None
    reference: str | None
    decided_on: date | None


@dataclass(frozen=True)
class PublicEntry:
    number: int
    enterprise_name: str
    enterprise_code: str
    enterprise_address: str
    area: str
    """The problem's area and the county above it (``县 · 乡镇``)."""
    category: str
    text: str
    found_on: date
    confirmed_on: date | None
    decision: Decision | None
    rectification: str
    rectification_due: date | None
    closed_on: date | None
    published_at: datetime
    expires_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PublicFilter:
    region: str | None = None
    category: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class PublicPage:
    items: list[PublicEntry]
    total: int
    page: int
    pages: int


def _day(value: datetime | None) -> date | None:
    return value.astimezone(CHINA_TZ).date() if value is not None else None


def _state_time(problem: Problem, state: str) -> datetime | None:
    raw = (problem.state_times or {}).get(state)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _area(region: Region) -> str:
    """The township and the county above it (a grid is too fine for the public page)."""
    if region.level == "grid" and region.parent is not None:
        region = region.parent
    names = [region.name]
    if region.level in ("township", "village") and region.parent is not None:
        names.insert(0, region.parent.name)
    return " · ".join(names)


def _decision(outcome: ProblemOutcome | None, problem: Problem) -> Decision | None:
    if outcome is not None:
        return Decision(
            outcome.kind, outcome.fine_amount, outcome.decision_ref, _day(outcome.recorded_at)
        )
    facts = facts_of(problem)
    if facts.state == "transferred" and facts.transfer_kind == "public_security":
        return Decision("public_security", None, None, _day(_state_time(problem, "transferred")))
    return None


def view_of(
    entry: ExposureEntry, region: Region, outcome: ProblemOutcome | None, now: datetime
) -> PublicEntry | None:
    """The public view of ``entry``, or None when it is not shown now."""
    problem = entry.problem
    status = rules.rectification(facts_of(problem))
    if not rules.shown(entry.state, entry.expires_at, status, now):
        return None
    assert status is not None and entry.published_at is not None and entry.expires_at is not None
    updates = [entry.updated_at, problem.updated_at]
    if outcome is not None:
        updates.append(outcome.recorded_at)
    return PublicEntry(
        number=entry.id,
        enterprise_name=entry.enterprise.name,
        enterprise_code=entry.enterprise.code,
        enterprise_address=entry.enterprise.address,
        area=_area(region),
        category=problem.category,
        text=mask(entry.public_text),
        found_on=problem.reported_at.astimezone(CHINA_TZ).date(),
        confirmed_on=_day(_state_time(problem, "confirmed")),
        decision=_decision(outcome, problem),
        rectification=status,
        rectification_due=_day(problem.rectification_due) if status == "ordered" else None,
        closed_on=_day(problem.closed_at) if status == "done" else None,
        published_at=entry.published_at,
        expires_at=entry.expires_at,
        updated_at=max(updates),
    )


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        datetime(year, 1, 1, tzinfo=CHINA_TZ),
        datetime(year + 1, 1, 1, tzinfo=CHINA_TZ),
    )


def _candidates(
    session: Session, now: datetime, where: list[ColumnElement[bool]]
) -> list[PublicEntry]:
    query = (
        select(ExposureEntry, Region, ProblemOutcome)
        .join(Problem, ExposureEntry.problem_id == Problem.id)
        .join(Region, Problem.region_id == Region.id)
        .outerjoin(ProblemOutcome, ProblemOutcome.problem_id == Problem.id)
        .where(ExposureEntry.state == "published", ExposureEntry.expires_at > now, *where)
        .order_by(ExposureEntry.published_at.desc(), ExposureEntry.id.desc())
    )
    found = []
    for entry, region, outcome in session.execute(query).unique():
        view = view_of(entry, region, outcome, now)
        if view is not None:
            found.append(view)
    return found


def _where(session: Session, filters: PublicFilter) -> list[ColumnElement[bool]] | None:
    """The filter as WHERE clauses; None when it can match nothing (an unknown area)."""
    where: list[ColumnElement[bool]] = []
    if filters.region:
        region_id = session.scalar(select(Region.id).where(Region.code == filters.region))
        if region_id is None:
            return None
        where.append(
            Problem.region_id.in_(sorted(subtree_ids(session=session, region_id=region_id)))
        )
    if filters.category:
        if filters.category not in CATEGORIES:
            return None
        where.append(Problem.category == filters.category)
    if filters.year is not None:
        start, end = _year_bounds(filters.year)
        where += [Problem.reported_at >= start, Problem.reported_at < end]
    return where


def public_page(
    *, session: Session, now: datetime, filters: PublicFilter, page: int = 1
) -> PublicPage:
    """One page of the entries shown now, newest publication first."""
    where = _where(session, filters)
    items = [] if where is None else _candidates(session, now, where)
    pages = max(1, -(-len(items) // PER_PAGE))
    page = max(page, 1)
    start = (page - 1) * PER_PAGE
    return PublicPage(items[start : start + PER_PAGE], len(items), page, pages)


def public_feed(*, session: Session, now: datetime) -> list[PublicEntry]:
    return _candidates(session, now, [])[:FEED_SIZE]


def public_entry(*, session: Session, now: datetime, number: int) -> PublicEntry | None:
    found = _candidates(session, now, [ExposureEntry.id == number])
    return found[0] if found else None


def filter_choices(*, session: Session, now: datetime) -> tuple[list[Region], list[int]]:
    """The areas (city and counties) and years to filter by."""
    regions = list(
        session.scalars(
            select(Region).where(Region.level.in_(("city", "county"))).order_by(Region.code)
        )
    )
    years = sorted({entry.found_on.year for entry in _candidates(session, now, [])}, reverse=True)
    return regions, years
