"""Findings in: every channel calls ``record_finding``. A finding attaches to the open problem
it is about (the same ``match_key``, or the problem a deduplicator chose); otherwise it opens a
new problem, routed by its place. A finding about a recently closed problem reopens it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.problems import timeline
from ecoradar.problems.models import CATEGORIES, CHANNELS, SEVERITIES, Finding, Problem
from ecoradar.problems.policy import Policy
from ecoradar.problems.routing import route
from ecoradar.problems.workflow import FINAL_STATES, State
from ecoradar.regions.index import RegionIndex

REOPEN_WITHIN = timedelta(days=90)
"""A finding matching a problem closed less than this long ago reopens it."""

MAX_DESCRIPTION = 5000


@dataclass(frozen=True)
class FindingIn:
    """One observation, as a channel hands it over."""

    channel: str
    category: str
    lat: float
    lon: float
    observed_at: datetime
    description: str = ""
    title: str | None = None
    severity: str = "medium"
    source_ref: str | None = None
    enterprise_id: int | None = None
    point_id: int | None = None
    match_key: str | None = None
    region_id: int | None = None
    attach_to: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reporter_user_id: int | None = None
    reporter_name: str | None = None
    reporter_contact: str | None = None


@dataclass(frozen=True)
class Recorded:
    finding: Finding
    problem: Problem
    opened: bool
    reopened: bool
    already_known: bool = False


def _check(item: FindingIn, now: datetime) -> None:
    if item.channel not in CHANNELS:
        raise InputError(f"channel: {item.channel!r} is not one of {', '.join(CHANNELS)}")
    if item.category not in CATEGORIES:
        raise InputError(f"category: {item.category!r} is not one of {', '.join(CATEGORIES)}")
    if item.severity not in SEVERITIES:
        raise InputError(f"severity: {item.severity!r} is not one of {', '.join(SEVERITIES)}")
    if len(item.description) > MAX_DESCRIPTION:
        raise InputError(f"description: longer than {MAX_DESCRIPTION} characters")
    if item.observed_at.tzinfo is None:
        raise InputError("observed_at: needs a time zone")
    if item.observed_at > now + timedelta(minutes=10):
        raise InputError("observed_at: lies in the future")


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def _target(session: Session, item: FindingIn, now: datetime) -> Problem | None:
    if item.attach_to is not None:
        problem = session.get(Problem, item.attach_to)
        if problem is None:
            raise NotFoundError(f"attach_to: no problem {item.attach_to}")
        return problem
    if item.match_key is None:
        return None
    candidates = session.scalars(
        select(Problem)
        .where(Problem.match_key == item.match_key)
        .order_by(Problem.id.desc())
        .limit(5)
    )
    for problem in candidates:
        if problem.state not in FINAL_STATES:
            return problem
        if (
            problem.state == State.CLOSED
            and problem.closed_at is not None
            and now - problem.closed_at < REOPEN_WITHIN
        ):
            return problem
    return None


def record_finding(
    *,
    session: Session,
    index: RegionIndex,
    item: FindingIn,
    now: datetime,
    actor: str,
    policy: Policy,
) -> Recorded:
    """Store one finding and attach it to its problem (opening or reopening one as needed).

    The same ``(channel, source_ref)`` twice is recorded once: the second call returns the first
    finding with ``already_known`` set and changes nothing.
    """
    _check(item, now)
    if item.source_ref is not None:
        known = session.scalar(
            select(Finding).where(
                Finding.channel == item.channel, Finding.source_ref == item.source_ref
            )
        )
        if known is not None:
            return Recorded(known, known.problem, opened=False, reopened=False, already_known=True)
    place = route(
        session=session,
        index=index,
        lat=item.lat,
        lon=item.lon,
        office_level=policy.office_level,
        region_id=item.region_id,
    )
    problem = _target(session, item, now)
    opened = problem is None
    reopened = False
    if problem is None:
        problem = Problem(
            title=(item.title or item.description[:60] or item.category)[:200],
            description=item.description,
            category=item.category,
            severity=item.severity,
            state=State.REPORTED,
            channel=item.channel,
            lat=item.lat,
            lon=item.lon,
            region_id=place.region.id,
            office_region_id=place.office.id,
            enterprise_id=item.enterprise_id,
            point_id=item.point_id,
            match_key=item.match_key,
            reported_at=now,
            state_times={State.REPORTED.value: now.isoformat()},
            acceptance_due=policy.acceptance_due(now),
            has_rectification_evidence=False,
            created_at=now,
            updated_at=now,
        )
        session.add(problem)
        session.flush()
    finding = Finding(
        problem_id=problem.id,
        channel=item.channel,
        source_ref=item.source_ref,
        category=item.category,
        description=item.description,
        observed_at=item.observed_at,
        received_at=now,
        lat=item.lat,
        lon=item.lon,
        severity=item.severity,
        data=item.data,
        reporter_user_id=item.reporter_user_id,
        reporter_name=item.reporter_name,
        reporter_contact=item.reporter_contact,
        attached_automatically=not opened and item.attach_to is None,
    )
    session.add(finding)
    session.flush()
    if _rank(item.severity) > _rank(problem.severity):
        problem.severity = item.severity
    if problem.enterprise_id is None and item.enterprise_id is not None:
        problem.enterprise_id = item.enterprise_id
    if not opened and problem.state == State.CLOSED:
        timeline.reopen_on_finding(
            session=session, problem=problem, finding=finding, now=now, policy=policy
        )
        reopened = True
    problem.updated_at = now
    detail = {"finding_id": finding.id, "channel": item.channel, "source_ref": item.source_ref}
    timeline.event(
        session=session,
        problem=problem,
        at=now,
        actor=actor,
        action="opened" if opened else "finding_attached",
        public=True,
        detail=detail,
    )
    audit(
        session=session,
        at=now,
        actor=actor,
        action="problem.open" if opened else "problem.attach_finding",
        entity_type="problem",
        entity_id=problem.id,
        after={**detail, "state": problem.state, "severity": problem.severity},
    )
    return Recorded(finding, problem, opened=opened, reopened=reopened)
