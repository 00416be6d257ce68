"""Praise as a service: the monthly rankings of a region (grid workers and reporters), a grid
worker's own standing, and praise notices (issue, list, read).

Who sees what: the rankings and every notice of a region are for the officers covering it and
the administrators (a region outside one's scope is "not found", as if it did not exist); a
person sees their own notices (and a grid worker their own figures and rank). Reporters' names
are shown to those officers only; whatever the public may see carries ``rules.mask_name``.
Writes happen in the caller's unit of work; issuing a notice is an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from ecoradar.audit.service import record
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.patrols.models import Patrol
from ecoradar.praise import facts, rules
from ecoradar.praise.models import PraiseNotice
from ecoradar.praise.rules import Contribution, Kind, Month
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids

OFFICER_ROLES = ("officer", "admin")
REASON_MAX = 1000
NUMBER_PREFIX = "BY"
"""表扬 (biǎoyáng): ``BY-2026-0001``."""


@dataclass(frozen=True)
class Person:
    key: str
    kind: Kind
    name: str
    """As the officers see it (the public: ``masked``)."""
    user_id: int | None = None
    region_code: str | None = None
    """A grid worker's grid."""

    @property
    def masked(self) -> str:
        return rules.mask_name(self.name)


@dataclass(frozen=True)
class Row:
    rank: int
    score: float
    person: Person
    metrics: Contribution

    def as_dict(self, *, names: bool) -> dict[str, Any]:
        c = self.metrics
        return {
            "rank": self.rank,
            "score": self.score,
            "kind": self.person.kind,
            "person": self.person.key,
            "name": self.person.name if names else None,
            "masked_name": self.person.masked,
            "region_code": self.person.region_code,
            "patrols_done": c.patrols_done,
            "reports": c.reports,
            "problems_found": c.problems_found,
            "found_first": c.found_first,
            "verified_share": c.verified_share,
            "verifications": c.verifications,
            "median_hours_to_verify": c.median_hours_to_verify,
        }


@dataclass(frozen=True)
class Rankings:
    month: Month
    region: Region
    workers: list[Row]
    reporters: list[Row]

    def rows(self, kind: str) -> list[Row]:
        return self.workers if kind == "grid_worker" else self.reporters

    def find(self, person: str) -> Row | None:
        return next((r for r in [*self.workers, *self.reporters] if r.person.key == person), None)


# --- scope ------------------------------------------------------------------------------------


def _officer(principal: Principal) -> None:
    if not principal.has_role(*OFFICER_ROLES):
        raise PermissionDenied("permission denied: praise is for officers and administrators")


def home_region(session: Session, principal: Principal | None) -> Region:
    """The principal's scope region; an administrator's (or the command line's) is the top of
    the tree."""
    if principal is not None and principal.region_id is not None:
        own = session.get(Region, principal.region_id)
        if own is not None:
            return own
    top = session.scalar(
        select(Region).where(Region.parent_id.is_(None)).order_by(Region.code).limit(1)
    )
    if top is None:
        raise NotFoundError("region: no regions are loaded")
    return top


def region_in_scope(session: Session, principal: Principal | None, code: str | None) -> Region:
    """The region ``code`` (default: the principal's), or "not found" outside the scope."""
    if not code:
        return home_region(session, principal)
    region = session.scalar(select(Region).where(Region.code == code[:32]))
    if region is None or (principal is not None and not principal.covers_region(region.id)):
        raise NotFoundError(f"region: no region with code {code[:32]!r}")
    return region


# --- rankings ---------------------------------------------------------------------------------


def compute_rankings(*, session: Session, month: Month, region: Region, secret: str) -> Rankings:
    """The grid workers whose grid is in ``region`` (or below it), all of them, and the
    reporters with a report about a problem there, ranked for ``month``."""
    ids = subtree_ids(session=session, region_id=region.id)
    since, until = month.start, month.end
    codes: dict[int, str] = dict(
        session.execute(select(Region.id, Region.code).where(Region.id.in_(sorted(ids)))).all()
    )
    workers = list(
        session.scalars(
            select(User).where(User.role == "grid_worker", User.region_id.in_(sorted(ids)))
        )
    )
    worker_ids = [u.id for u in workers]
    sent = facts.reports(
        session,
        since,
        until,
        channels=(rules.GRID_CHANNEL,),
        where=facts.in_regions(Finding.reporter_user_id, worker_ids),
        secret=secret,
        identified_only=False,
    )
    public = facts.reports(
        session,
        since,
        until,
        channels=rules.REPORTER_CHANNELS,
        where=facts.in_regions(Problem.region_id, ids),
        secret=secret,
        identified_only=True,
    )
    problems = facts.problem_facts(session, {s.report.problem_id for s in [*sent, *public]})
    ended: dict[str, list[datetime]] = {}
    for uid, _region, at in facts.patrols_ended(
        session, since, until, facts.in_regions(Patrol.user_id, worker_ids)
    ):
        ended.setdefault(facts.user_key(uid), []).append(at)
    checked = [
        c.verification
        for c in facts.verifications(session, since, until, where=true(), user_ids=worker_ids)
    ]
    worker_reports = [s.report for s in sent]
    worker_rows = []
    for u in workers:
        key = facts.user_key(u.id)
        c = rules.contribution(
            key,
            "grid_worker",
            month,
            reports=worker_reports,
            problems=problems,
            patrols_ended=ended.get(key, []),
            verified=checked,
        )
        if u.is_active or c.active:
            worker_rows.append(
                (
                    c,
                    Person(
                        key,
                        "grid_worker",
                        u.display_name or u.username,
                        u.id,
                        codes.get(u.region_id or 0),
                    ),
                )
            )
    people: dict[str, Person] = {}
    for s in public:
        known = people.get(s.report.person)
        if known is None or (not known.name and s.name):
            people[s.report.person] = Person(s.report.person, "reporter", s.name, s.user_id)
    public_reports = [s.report for s in public]
    reporter_rows = [
        (rules.contribution(key, "reporter", month, reports=public_reports, problems=problems), p)
        for key, p in people.items()
    ]
    return Rankings(month, region, _ranked(worker_rows), _ranked(reporter_rows))


def _ranked(rows: list[tuple[Contribution, Person]]) -> list[Row]:
    by_key = {c.person: p for c, p in rows}
    return [
        Row(r.rank, r.score, by_key[r.contribution.person], r.contribution)
        for r in rules.rank([c for c, _p in rows])
    ]


def rankings(
    *, session: Session, principal: Principal, month: Month, region_code: str | None, secret: str
) -> Rankings:
    """The rankings of a region in the officer's scope (default: their own region)."""
    _officer(principal)
    region = region_in_scope(session, principal, region_code)
    return compute_rankings(session=session, month=month, region=region, secret=secret)


@dataclass(frozen=True)
class Standing:
    """A grid worker's own month: their row in the ranking of the area above their grid."""

    month: Month
    region: Region
    row: Row | None
    of: int
    notices: list[PraiseNotice]


def my_standing(*, session: Session, principal: Principal, month: Month, secret: str) -> Standing:
    if principal.role != "grid_worker" or principal.user_id is None:
        raise PermissionDenied("permission denied: a grid worker's own standing")
    grid = home_region(session, principal)
    area = grid.parent or grid
    table = compute_rankings(session=session, month=month, region=area, secret=secret)
    row = table.find(facts.user_key(principal.user_id))
    return Standing(month, area, row, len(table.workers), my_notices(session, principal))


# --- notices ----------------------------------------------------------------------------------


def _next_number(session: Session, year: int) -> tuple[int, str]:
    last = session.scalar(select(func.max(PraiseNotice.sequence)).where(PraiseNotice.year == year))
    sequence = (last or 0) + 1
    return sequence, f"{NUMBER_PREFIX}-{year:04d}-{sequence:04d}"


def issue_notice(
    *,
    session: Session,
    principal: Principal,
    month: Month,
    region_code: str | None,
    person: str,
    reason: str,
    secret: str,
    bureau: tuple[str, str],
    now: datetime,
) -> PraiseNotice:
    """Praise ``person`` (a row of the region's ranking for ``month``) with a numbered notice;
    the figures, score and rank it was issued on are kept with it."""
    _officer(principal)
    text = reason.strip()
    if not text:
        raise InputError("reason: required (what the person is praised for)")
    if len(text) > REASON_MAX or "\x00" in text:
        raise InputError(f"reason: longer than {REASON_MAX} characters, or holds NUL")
    region = region_in_scope(session, principal, region_code)
    table = compute_rankings(session=session, month=month, region=region, secret=secret)
    row = table.find(person[:80])
    if row is None:
        raise NotFoundError(
            f"person: {person[:80]!r} is not in the {month} ranking of {region.code}"
        )
    year = now.astimezone(CHINA_TZ).year
    sequence, number = _next_number(session, year)
    notice = PraiseNotice(
        number=number,
        year=year,
        sequence=sequence,
        person_kind=row.person.kind,
        person=row.person.key,
        user_id=row.person.user_id,
        name=row.person.name or row.person.masked,
        region_id=region.id,
        month=str(month),
        reason=text,
        metrics={**row.as_dict(names=False), "of": len(table.rows(row.person.kind))},
        bureau_name=bureau[0],
        bureau_name_en=bureau[1],
        issued_at=now,
        issued_by=principal.actor,
        issued_by_user_id=principal.user_id,
    )
    session.add(notice)
    session.flush()
    record(
        session=session,
        at=now,
        actor=principal.actor,
        action="praise_notice.issue",
        entity_type="praise_notice",
        entity_id=number,
        after={
            "month": str(month),
            "region": region.code,
            "person": row.person.key,
            "kind": row.person.kind,
            "rank": row.rank,
            "score": row.score,
        },
        actor_user_id=principal.user_id,
    )
    return notice


def my_notices(session: Session, principal: Principal) -> list[PraiseNotice]:
    if principal.user_id is None:
        return []
    return list(
        session.scalars(
            select(PraiseNotice)
            .where(PraiseNotice.user_id == principal.user_id)
            .order_by(PraiseNotice.issued_at.desc(), PraiseNotice.id.desc())
        )
    )


def list_notices(
    *, session: Session, principal: Principal, month: Month | None = None, limit: int = 200
) -> list[PraiseNotice]:
    """The notices of the officer's scope (newest first); anyone else's own."""
    if not principal.has_role(*OFFICER_ROLES):
        return my_notices(session, principal)
    query = select(PraiseNotice).order_by(PraiseNotice.issued_at.desc(), PraiseNotice.id.desc())
    if not principal.unrestricted:
        query = query.where(PraiseNotice.region_id.in_(sorted(principal.region_ids)))
    if month is not None:
        query = query.where(PraiseNotice.month == str(month))
    return list(session.scalars(query.limit(limit)))


def get_notice(*, session: Session, principal: Principal, number: str) -> PraiseNotice:
    """A notice the principal may see: an officer covering its region, or the person praised."""
    notice = session.scalar(select(PraiseNotice).where(PraiseNotice.number == number[:16]))
    if notice is not None:
        mine = notice.user_id is not None and notice.user_id == principal.user_id
        staff = principal.has_role(*OFFICER_ROLES) and principal.covers_region(notice.region_id)
        if mine or staff:
            return notice
    raise NotFoundError(f"number: no praise notice {number[:16]!r}")


def notice_region(session: Session, notice: PraiseNotice) -> Region | None:
    return session.get(Region, notice.region_id)
