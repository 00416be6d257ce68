"""Exposure use cases for the bureau: propose a confirmed violation for the public page, approve
it (publication, with an expiry) or reject it, withdraw it; the entries an officer may see.

Officers and administrators act on the problems of their region scope (an entry of a problem
outside it is "not found"). Every change is an audit entry (``exposure.propose``,
``exposure.publish``, ``exposure.reject``, ``exposure.withdraw``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.exposure import rules
from ecoradar.exposure.errors import BadInput, Clash, Denied, Missing
from ecoradar.exposure.models import ExposureEntry
from ecoradar.exposure.settings import ExposureSettings
from ecoradar.privacy.mask import find
from ecoradar.problems.models import Problem
from ecoradar.problems.service import get_problem, handles

OFFICER_ROLES = ("officer", "admin")
ACTIVE = ("proposed", "published")


def facts_of(problem: Problem) -> rules.ProblemFacts:
    target = problem.transfer_target
    kind = target.get("kind") if isinstance(target, dict) else None
    return rules.ProblemFacts(
        state=problem.state,
        reached=frozenset(problem.state_times or {}),
        has_enterprise=problem.enterprise_id is not None,
        transfer_kind=kind if isinstance(kind, str) else None,
    )


def _officer(principal: Principal, problem: Problem) -> None:
    if not principal.has_role(*OFFICER_ROLES) or not handles(principal, problem):
        raise Denied("not_officer", "only an officer handling the problem decides on exposure")


def _state(entry: ExposureEntry) -> dict[str, Any]:
    return {
        "state": entry.state,
        "problem_id": entry.problem_id,
        "expires_at": entry.expires_at,
    }


def _log(
    session: Session,
    principal: Principal,
    now: datetime,
    action: str,
    entry: ExposureEntry,
    before: dict[str, Any] | None,
    *,
    reason: str | None = None,
    ip: str | None = None,
) -> None:
    record_by(
        principal,
        session=session,
        at=now,
        action=action,
        entity_type="exposure",
        entity_id=entry.id,
        before=before,
        after=_state(entry),
        reason=reason,
        ip=ip,
    )


def people_of(session: Session, problem: Problem, also: int | None = None) -> list[str | None]:
    """Names and contacts of the people around ``problem``: its reporters (a clue's reporter
    is on its finding), its assignee and ``also`` (the proposer); none may be in a public
    text."""
    found: list[str | None] = []
    for finding in problem.findings:
        found += [finding.reporter_name, finding.reporter_contact]
    reporters = [f.reporter_user_id for f in problem.findings if f.reporter_user_id is not None]
    staff = [uid for uid in (problem.assignee_id, also) if uid is not None]
    ids = reporters + staff
    if ids:
        for username, display in session.execute(
            select(User.username, User.display_name).where(User.id.in_(ids))
        ):
            found += [username, display]
    return found


def check_text(session: Session, problem: Problem, text: str, by: int | None = None) -> str:
    text = text.strip()
    if len(text) < rules.TEXT_MIN:
        raise BadInput("text_short", f"text: at least {rules.TEXT_MIN} characters")
    if len(text) > rules.TEXT_MAX or "\x00" in text:
        raise BadInput("text_long", f"text: at most {rules.TEXT_MAX} characters, no NUL")
    if find(text):
        raise BadInput(
            "personal_data", "text: holds personal data (a phone number, an e-mail, a name...)"
        )
    if rules.names_in(text, people_of(session, problem, by)):
        raise BadInput("names_person", "text: names a reporter or a member of staff")
    return text


def _reason(reason: str | None) -> str:
    value = (reason or "").strip()
    if not value or len(value) > rules.REASON_MAX or "\x00" in value:
        raise BadInput("reason", f"reason: needed, at most {rules.REASON_MAX} characters")
    return value


def propose(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    text: str,
    settings: ExposureSettings,
    now: datetime,
    expiry_days: int | None = None,
    ip: str | None = None,
) -> ExposureEntry:
    """Propose a confirmed violation of an enterprise for the public page."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    _officer(principal, problem)
    refusal = rules.exposure_refusal(facts_of(problem))
    if refusal is not None:
        raise Clash(refusal, f"problem {problem.id} cannot be exposed: {refusal}")
    days = settings.expiry_days if expiry_days is None else expiry_days
    if not 1 <= days <= settings.max_expiry_days:
        raise BadInput("expiry", f"expiry_days: from 1 to {settings.max_expiry_days}")
    active = session.scalar(
        select(ExposureEntry.id).where(
            ExposureEntry.problem_id == problem.id, ExposureEntry.state.in_(ACTIVE)
        )
    )
    if active is not None:
        raise Clash("already", f"problem {problem.id} already has exposure entry {active}")
    assert problem.enterprise_id is not None
    entry = ExposureEntry(
        problem_id=problem.id,
        enterprise_id=problem.enterprise_id,
        state="proposed",
        public_text=check_text(session, problem, text, principal.user_id),
        expiry_days=days,
        four_eyes=settings.four_eyes,
        review_after=now + settings.review_wait,
        proposed_at=now,
        proposed_by=principal.actor,
        proposed_by_user_id=principal.user_id,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    _log(session, principal, now, "exposure.propose", entry, None, ip=ip)
    return entry


def get_entry(*, session: Session, principal: Principal, entry_id: int) -> ExposureEntry:
    """An entry of a problem ``principal`` handles as an officer; else "not found"."""
    entry = session.get(ExposureEntry, entry_id)
    if (
        entry is None
        or not principal.has_role(*OFFICER_ROLES)
        or not handles(principal, entry.problem)
    ):
        raise Missing("entry", f"no exposure entry {entry_id}")
    return entry


def _in_state(entry: ExposureEntry, *states: str) -> None:
    if entry.state not in states:
        raise Clash("state", f"exposure entry {entry.id} is {entry.state}")


def approve(
    *, session: Session, principal: Principal, entry_id: int, now: datetime, ip: str | None = None
) -> ExposureEntry:
    """Publish a proposed entry: another officer than the proposer where four eyes apply, not
    before the waiting period is over, the problem still a verified violation."""
    entry = get_entry(session=session, principal=principal, entry_id=entry_id)
    _in_state(entry, "proposed")
    review = rules.Review(entry.four_eyes, entry.review_after, entry.proposed_by_user_id)
    refusal = rules.approval_refusal(review, principal.user_id, now)
    if refusal == "same_person":
        raise Denied(refusal, "four eyes: someone other than the proposer approves")
    if refusal is not None:
        raise Clash(refusal, f"the review period ends {entry.review_after.isoformat()}")
    problem_refusal = rules.exposure_refusal(facts_of(entry.problem))
    if problem_refusal is not None:
        raise Clash(problem_refusal, f"problem {entry.problem_id}: {problem_refusal}")
    before = _state(entry)
    entry.state = "published"
    entry.approved_at = entry.published_at = now
    entry.approved_by = principal.actor
    entry.approved_by_user_id = principal.user_id
    entry.expires_at = rules.expires_at(now, entry.expiry_days)
    entry.updated_at = now
    session.flush()
    _log(session, principal, now, "exposure.publish", entry, before, ip=ip)
    return entry


def reject(
    *,
    session: Session,
    principal: Principal,
    entry_id: int,
    reason: str | None,
    now: datetime,
    ip: str | None = None,
) -> ExposureEntry:
    entry = get_entry(session=session, principal=principal, entry_id=entry_id)
    _in_state(entry, "proposed")
    return _end(session, principal, entry, "rejected", _reason(reason), now, ip)


def withdraw(
    *,
    session: Session,
    principal: Principal,
    entry_id: int,
    reason: str | None,
    now: datetime,
    ip: str | None = None,
) -> ExposureEntry:
    entry = get_entry(session=session, principal=principal, entry_id=entry_id)
    _in_state(entry, *ACTIVE)
    return _end(session, principal, entry, "withdrawn", _reason(reason), now, ip)


def _end(
    session: Session,
    principal: Principal,
    entry: ExposureEntry,
    state: str,
    reason: str,
    now: datetime,
    ip: str | None,
) -> ExposureEntry:
    before = _state(entry)
    entry.state = state
    entry.ended_at = now
    entry.ended_by = principal.actor
    entry.end_reason = reason
    entry.updated_at = now
    session.flush()
    verb = "reject" if state == "rejected" else "withdraw"
    _log(session, principal, now, f"exposure.{verb}", entry, before, reason=reason, ip=ip)
    return entry


def list_entries(
    *, session: Session, principal: Principal, state: str | None = None, limit: int = 200
) -> list[ExposureEntry]:
    """The entries of problems in ``principal``'s scope, waiting reviews first, newest first."""
    if not principal.has_role(*OFFICER_ROLES):
        return []
    scope = (
        true()
        if principal.is_admin
        else or_(
            Problem.region_id.in_(sorted(principal.region_ids)),
            Problem.assignee_id == principal.user_id,
        )
    )
    query = select(ExposureEntry).join(Problem, ExposureEntry.problem_id == Problem.id).where(scope)
    if state is not None:
        query = query.where(ExposureEntry.state == state)
    order = (ExposureEntry.state != "proposed", ExposureEntry.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)).unique())


def entries_of_problem(*, session: Session, problem_id: int) -> list[ExposureEntry]:
    return list(
        session.scalars(
            select(ExposureEntry)
            .where(ExposureEntry.problem_id == problem_id)
            .order_by(ExposureEntry.id.desc())
        ).unique()
    )
