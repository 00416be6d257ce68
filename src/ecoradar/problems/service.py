"""The problem register's use cases: who sees what, taking workflow actions, notes,
attachments, links, and the protected reporter identity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.media.models import MediaFile
from ecoradar.media.service import own_upload
from ecoradar.privacy.mask import mask
from ecoradar.problems import timeline
from ecoradar.problems.models import (
    CATEGORIES,
    CHANNELS,
    STATES,
    Finding,
    Problem,
    ProblemAttachment,
    ProblemEvent,
    ProblemLink,
    ProblemNote,
)
from ecoradar.problems.policy import Policy
from ecoradar.problems.workflow import (
    OPEN_STATES,
    Action,
    Actor,
    Payload,
    Role,
    available_actions,
    decide,
)
from ecoradar.supervision.models import SupervisedProblem

ENTERPRISE_VISIBLE = ("rectifying", "rectified", "closed", "reopened")
"""An enterprise sees a problem about itself once it has been ordered to rectify it: earlier,
telling it would warn it before verification."""

ASSIGNABLE_ROLES = ("officer", "grid_worker", "admin")
READ_ONLY_ROLES = ("supervisor",)
"""Roles that follow problems without acting on them (``ecoradar.supervision``): no workflow
action, note or file; they ask the bureau questions instead."""
ATTACHMENT_PURPOSES = ("evidence", "onsite", "rectification", "document")


def _log(
    session: Session,
    principal: Principal,
    now: datetime,
    action: str,
    problem: Problem,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    ip: str | None = None,
) -> None:
    """The audit entry of a change ``principal`` made to ``problem``."""
    record_by(
        principal,
        session=session,
        at=now,
        action=action,
        entity_type="problem",
        entity_id=problem.id,
        before=before,
        after=after,
        reason=reason,
        ip=ip,
    )


def visibility(principal: Principal) -> ColumnElement[bool]:
    """The problems ``principal`` may see, as a WHERE clause."""
    if principal.is_admin:
        return true()
    if principal.role in ("officer", "grid_worker"):
        mine = Problem.assignee_id == principal.user_id
        if not principal.region_ids:
            return mine
        return or_(Problem.region_id.in_(sorted(principal.region_ids)), mine)
    if principal.role == "enterprise" and principal.enterprise_id is not None:
        return and_(
            Problem.enterprise_id == principal.enterprise_id,
            Problem.state.in_(ENTERPRISE_VISIBLE),
        )
    if principal.role == "public" and principal.user_id is not None:
        reported = select(Finding.problem_id).where(Finding.reporter_user_id == principal.user_id)
        return Problem.id.in_(reported)
    if principal.role == "supervisor" and principal.user_id is not None:
        # The problems of their region, and those they follow (raised, or moved away since).
        followed = Problem.id.in_(
            select(SupervisedProblem.problem_id).where(
                SupervisedProblem.user_id == principal.user_id
            )
        )
        if not principal.region_ids:
            return followed
        return or_(Problem.region_id.in_(sorted(principal.region_ids)), followed)
    return false()


def handles(principal: Principal, problem: Problem) -> bool:
    """Whether ``principal`` is one of the officers handling ``problem`` (sees the reporter)."""
    if principal.is_admin:
        return True
    if principal.role not in ("officer", "grid_worker"):
        return False
    return principal.covers_region(problem.region_id) or problem.assignee_id == principal.user_id


@dataclass(frozen=True)
class ProblemFilter:
    state: tuple[str, ...] = ()
    category: str | None = None
    channel: str | None = None
    region_id: int | None = None
    enterprise_id: int | None = None
    overdue: bool | None = None
    q: str | None = None
    due_between: tuple[datetime, datetime] | None = None
    """Open, not flagged overdue, the running deadline (acceptance while reported, else
    handling) after the first instant and at or before the second (``due_soon``)."""

    def check(self) -> None:
        for state in self.state:
            if state not in STATES:
                raise InputError(f"state: {state!r} is not one of {', '.join(STATES)}")
        if self.category is not None and self.category not in CATEGORIES:
            raise InputError(f"category: {self.category!r} is not one of {', '.join(CATEGORIES)}")
        if self.channel is not None and self.channel not in CHANNELS:
            raise InputError(f"channel: {self.channel!r} is not one of {', '.join(CHANNELS)}")


DUE_SOON = timedelta(days=2)
"""How near a deadline is "due soon" (the officer home and the queue's filter)."""


def due_soon(now: datetime) -> tuple[datetime, datetime]:
    """``ProblemFilter.due_between`` for the deadlines running out within ``DUE_SOON``."""
    return now, now + DUE_SOON


def _due_between(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    running = case(
        (Problem.state == "reported", Problem.acceptance_due), else_=Problem.handling_due
    )
    return [
        Problem.state.in_(sorted(s.value for s in OPEN_STATES)),
        Problem.overdue_since.is_(None),
        running > start,
        running <= end,
    ]


@dataclass(frozen=True)
class ProblemPage:
    items: list[Problem]
    total: int
    page: int
    per_page: int


def list_problems(
    *,
    session: Session,
    principal: Principal,
    filters: ProblemFilter,
    page: int = 1,
    per_page: int = 50,
    region_ids: frozenset[int] | None = None,
) -> ProblemPage:
    """A page of the problems ``principal`` may see, overdue first, then newest first.

    ``region_ids``: the filter region and its sub-regions (the caller expands the tree).
    """
    filters.check()
    where: list[ColumnElement[bool]] = [visibility(principal)]
    if filters.state:
        where.append(Problem.state.in_(filters.state))
    if filters.category:
        where.append(Problem.category == filters.category)
    if filters.channel:
        where.append(Problem.channel == filters.channel)
    if region_ids is not None:
        where.append(Problem.region_id.in_(sorted(region_ids)))
    if filters.enterprise_id is not None:
        where.append(Problem.enterprise_id == filters.enterprise_id)
    if filters.overdue is True:
        where.append(Problem.overdue_since.is_not(None))
    elif filters.overdue is False:
        where.append(Problem.overdue_since.is_(None))
    if filters.due_between is not None:
        where.extend(_due_between(*filters.due_between))
    order = (Problem.overdue_since.is_(None), Problem.reported_at.desc(), Problem.id.desc())
    needle = (filters.q or "").strip()[:100]
    if needle and not sees_originals(principal):
        # Search what this reader is shown (masked): the original text would answer whether a
        # problem holds a given phone number or name.
        found = [
            p
            for p in session.scalars(select(Problem).where(*where).order_by(*order))
            if needle.casefold() in f"{mask(p.title)}\n{mask(p.description)}".casefold()
        ]
        start = (page - 1) * per_page
        return ProblemPage(found[start : start + per_page], len(found), page, per_page)
    if needle:
        pattern = f"%{needle}%"
        where.append(or_(Problem.title.ilike(pattern), Problem.description.ilike(pattern)))
    total = session.scalar(select(func.count(Problem.id)).where(*where)) or 0
    query = select(Problem).where(*where).order_by(*order).offset((page - 1) * per_page)
    return ProblemPage(list(session.scalars(query.limit(per_page))), total, page, per_page)


def sees_originals(principal: Principal) -> bool:
    """Whether ``principal`` handles every problem it may see (administrators, officers and grid
    workers see only problems of their regions or assigned to them), so reads the original
    text; everyone else reads it masked."""
    return principal.is_admin or principal.role in ("officer", "grid_worker")


def get_problem(*, session: Session, principal: Principal, problem_id: int) -> Problem:
    """A problem ``principal`` may see; one it may not see is 'not found' (no leak)."""
    problem = session.scalar(select(Problem).where(Problem.id == problem_id, visibility(principal)))
    if problem is None:
        raise NotFoundError(f"no problem {problem_id}")
    return problem


def actor_for(principal: Principal, problem: Problem, *, session: Session) -> Actor:
    if principal.role in READ_ONLY_ROLES:
        raise PermissionDenied("a supervisor follows problems read-only: ask the bureau instead")
    role = Role(principal.role) if principal.role else None
    if role is None:
        raise PermissionDenied("this token acts through its scopes, not in the workflow")
    reporter = (
        principal.user_id is not None
        and (
            session.scalar(
                select(func.count(Finding.id)).where(
                    Finding.problem_id == problem.id, Finding.reporter_user_id == principal.user_id
                )
            )
            or 0
        )
        > 0
    )
    return Actor(
        role=role,
        user_id=principal.user_id,
        is_assignee=principal.user_id is not None and problem.assignee_id == principal.user_id,
        is_reporter=reporter,
        is_problem_enterprise=(
            principal.role == "enterprise"
            and principal.enterprise_id is not None
            and principal.enterprise_id == problem.enterprise_id
        ),
        in_scope=principal.role in ("officer", "admin")
        and principal.covers_region(problem.region_id),
    )


def actions_for(
    *, session: Session, principal: Principal, problem: Problem, now: datetime, policy: Policy
) -> list[Action]:
    if principal.role is None or principal.role in READ_ONLY_ROLES:
        return []
    return available_actions(
        timeline.snapshot(problem),
        actor_for(principal, problem, session=session),
        now,
        max_extensions=policy.rules.max_extensions,
        dispute_window=policy.dispute_window,
    )


def _check_assignee(session: Session, problem: Problem, assignee_id: int) -> None:
    user = session.get(User, assignee_id)
    if user is None or not user.is_active:
        raise InputError(f"assignee_id: no active user {assignee_id}")
    if user.role not in ASSIGNABLE_ROLES:
        raise InputError(f"assignee_id: a {user.role} cannot be assigned a problem")
    if user.role != "admin" and user.region_id is not None:
        from ecoradar.regions.service import subtree_ids

        if problem.region_id not in subtree_ids(session=session, region_id=user.region_id):
            raise InputError(
                f"assignee_id: {user.username} is scoped to another region; "
                "reassign the problem's region first"
            )


def _attach_media(
    session: Session,
    problem: Problem,
    media_ids: tuple[int, ...],
    purpose: str,
    field: str,
    at: datetime,
    actor: str,
) -> None:
    """Attach stored files to ``problem``: each must be ``actor``'s own upload. Any other id
    (someone else's file, even one on this problem, or no file at all) gets one and the same
    refusal, so an id is neither a key to another's file nor a way to learn that it exists."""
    for media_id in media_ids:
        own_upload(session=session, actor=actor, media_id=media_id, field=field)
        exists = session.scalar(
            select(ProblemAttachment.id).where(
                ProblemAttachment.problem_id == problem.id,
                ProblemAttachment.media_id == media_id,
                ProblemAttachment.purpose == purpose,
            )
        )
        if exists is None:
            session.add(
                ProblemAttachment(
                    problem_id=problem.id,
                    media_id=media_id,
                    purpose=purpose,
                    public=False,
                    added_at=at,
                    added_by=actor,
                )
            )


def _state_of(problem: Problem) -> dict[str, Any]:
    return {
        "state": problem.state,
        "assignee_id": problem.assignee_id,
        "handling_due": problem.handling_due.isoformat() if problem.handling_due else None,
        "extensions_used": problem.extensions_used,
    }


def take_action(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    action: Action,
    payload: Payload,
    now: datetime,
    policy: Policy,
    ip: str | None = None,
) -> ProblemEvent:
    """Check ``action`` against the workflow and the stored references, then record it."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    actor = actor_for(principal, problem, session=session)
    transition = decide(
        timeline.snapshot(problem),
        action,
        actor,
        payload,
        now,
        max_extensions=policy.rules.max_extensions,
        dispute_window=policy.dispute_window,
    )
    clean = transition.payload
    if clean.assignee_id is not None:
        _check_assignee(session, problem, clean.assignee_id)
    if clean.onsite is not None:
        _attach_media(
            session,
            problem,
            clean.onsite.photo_ids,
            "onsite",
            "onsite.photo_ids",
            now,
            principal.actor,
        )
    if clean.evidence is not None:
        _attach_media(
            session,
            problem,
            clean.evidence.attachment_ids,
            "rectification",
            "evidence.attachment_ids",
            now,
            principal.actor,
        )
    if clean.finding_id is not None:
        finding = session.get(Finding, clean.finding_id)
        if finding is None or finding.problem_id != problem.id:
            raise InputError(f"finding_id: {clean.finding_id} is not a finding of this problem")
    before = _state_of(problem)
    row = timeline.apply_transition(
        session=session,
        problem=problem,
        transition=transition,
        policy=policy,
        actor=principal.actor,
    )
    _log(
        session,
        principal,
        now,
        f"problem.{action.value}",
        problem,
        before=before,
        after=_state_of(problem),
        reason=clean.reason,
        ip=ip,
    )
    session.flush()
    return row


def add_note(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    text: str,
    visibility_: str,
    now: datetime,
) -> ProblemNote:
    """A note on a problem: staff may add internal or public notes; others only public ones
    on problems they can see (an enterprise's answer, a reporter's addition)."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if principal.role in READ_ONLY_ROLES:
        raise PermissionDenied("a supervisor writes no notes: ask the bureau a question instead")
    text = text.strip()
    if not text:
        raise InputError("text: empty")
    if len(text) > 10_000:
        raise InputError("text: longer than 10000 characters")
    if visibility_ not in ("internal", "public"):
        raise InputError("visibility: must be internal or public")
    if visibility_ == "internal" and not handles(principal, problem):
        raise PermissionDenied("only the officers handling a problem write internal notes")
    note = ProblemNote(
        problem_id=problem.id,
        at=now,
        author=principal.actor,
        author_user_id=principal.user_id,
        visibility=visibility_,
        text=text,
    )
    session.add(note)
    session.flush()
    _log(
        session,
        principal,
        now,
        "problem.note",
        problem,
        after={"note_id": note.id, "visibility": visibility_},
    )
    return note


def notes(*, session: Session, principal: Principal, problem: Problem) -> list[ProblemNote]:
    query = select(ProblemNote).where(ProblemNote.problem_id == problem.id)
    if not handles(principal, problem):
        query = query.where(ProblemNote.visibility == "public")
    return list(session.scalars(query.order_by(ProblemNote.at, ProblemNote.id)))


def user_roles(*, session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """The role of each of ``user_ids`` (to tell a reader the kind of actor, not the name)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.role).where(User.id.in_(ids)))
    return {int(user_id): str(role) for user_id, role in rows}


def events(*, session: Session, principal: Principal, problem: Problem) -> list[ProblemEvent]:
    query = select(ProblemEvent).where(ProblemEvent.problem_id == problem.id)
    if not handles(principal, problem):
        query = query.where(ProblemEvent.public.is_(True))
    return list(session.scalars(query.order_by(ProblemEvent.at, ProblemEvent.id)))


def attachments(
    *, session: Session, principal: Principal, problem: Problem
) -> list[tuple[ProblemAttachment, MediaFile]]:
    query = (
        select(ProblemAttachment, MediaFile)
        .join(MediaFile, ProblemAttachment.media_id == MediaFile.id)
        .where(ProblemAttachment.problem_id == problem.id)
    )
    if not handles(principal, problem):
        query = query.where(ProblemAttachment.public.is_(True), MediaFile.public_safe.is_(True))
    rows = session.execute(query.order_by(ProblemAttachment.id)).all()
    return [(a, m) for a, m in rows]


def check_attach(*, principal: Principal, problem: Problem, purpose: str) -> None:
    """Refuse unless ``principal`` may attach a file for ``purpose`` to ``problem`` (checked
    before an upload is stored, so a refused upload leaves no file)."""
    if purpose not in ATTACHMENT_PURPOSES:
        raise InputError(f"purpose: must be {', '.join(ATTACHMENT_PURPOSES)}")
    enterprise_own = (
        principal.role == "enterprise" and principal.enterprise_id == problem.enterprise_id
    )
    if not handles(principal, problem) and not (enterprise_own and purpose == "rectification"):
        raise PermissionDenied("you may not attach files to this problem")


def attach(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    media_id: int,
    purpose: str,
    public: bool,
    now: datetime,
) -> ProblemAttachment:
    """Attach a file ``principal`` uploaded. Staff handling the problem may attach any purpose;
    the problem's enterprise attaches rectification documents."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    check_attach(principal=principal, problem=problem, purpose=purpose)
    media = own_upload(session=session, actor=principal.actor, media_id=media_id, field="media_id")
    if public and not media.public_safe:
        raise InputError("public: documents are never shown publicly; attach an image")
    _attach_media(session, problem, (media_id,), purpose, "media_id", now, principal.actor)
    session.flush()
    row = session.scalar(
        select(ProblemAttachment).where(
            ProblemAttachment.problem_id == problem.id,
            ProblemAttachment.media_id == media_id,
            ProblemAttachment.purpose == purpose,
        )
    )
    assert row is not None
    row.public = public and handles(principal, problem)
    _log(
        session,
        principal,
        now,
        "problem.attach",
        problem,
        after={"media_id": media_id, "purpose": purpose, "public": row.public},
    )
    return row


def link(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    other_id: int,
    kind: str,
    now: datetime,
) -> ProblemLink:
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    other = get_problem(session=session, principal=principal, problem_id=other_id)
    if not (handles(principal, problem) and handles(principal, other)):
        raise PermissionDenied("only the officers handling both problems link them")
    if kind not in ("duplicate_of", "related_to"):
        raise InputError("kind: must be duplicate_of or related_to")
    if problem.id == other.id:
        raise InputError("other_id: a problem cannot be linked to itself")
    existing = session.scalar(
        select(ProblemLink).where(
            ProblemLink.problem_id == problem.id,
            ProblemLink.other_id == other.id,
            ProblemLink.kind == kind,
        )
    )
    if existing is not None:
        return existing
    row = ProblemLink(
        problem_id=problem.id,
        other_id=other.id,
        kind=kind,
        created_at=now,
        created_by=principal.actor,
    )
    session.add(row)
    session.flush()
    _log(
        session,
        principal,
        now,
        "problem.link",
        problem,
        after={"other_id": other.id, "kind": kind},
    )
    return row


def links(*, session: Session, problem: Problem) -> list[ProblemLink]:
    return list(
        session.scalars(
            select(ProblemLink)
            .where(or_(ProblemLink.problem_id == problem.id, ProblemLink.other_id == problem.id))
            .order_by(ProblemLink.id)
        )
    )


@dataclass(frozen=True)
class ReporterIdentity:
    finding_id: int
    name: str | None
    contact: str | None
    user_id: int | None


def reporter_identities(
    *, session: Session, principal: Principal, problem_id: int, now: datetime, ip: str | None
) -> list[ReporterIdentity]:
    """The reporters' identities, for the officers handling the problem only; every read is
    written to the audit log."""
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if not handles(principal, problem):
        raise PermissionDenied("only the officers handling this problem see who reported it")
    found = [
        ReporterIdentity(f.id, f.reporter_name, f.reporter_contact, f.reporter_user_id)
        for f in problem.findings
        if f.reporter_name or f.reporter_contact or f.reporter_user_id
    ]
    _log(
        session,
        principal,
        now,
        "reporter_contact.read",
        problem,
        after={"findings": [r.finding_id for r in found]},
        ip=ip,
    )
    return found


def reassign_region(
    *,
    session: Session,
    principal: Principal,
    problem_id: int,
    region_id: int,
    reason: str,
    now: datetime,
    policy: Policy,
) -> Problem:
    """Move a problem to another region (and so to its office): explicit and audited. The
    officer must cover both the current and the new region."""
    from ecoradar.clues.models import Clue
    from ecoradar.problems.routing import office_for
    from ecoradar.regions.models import Region

    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    if principal.role not in ("officer", "admin"):
        raise PermissionDenied("only officers reassign problems between regions")
    target = session.get(Region, region_id)
    if target is None:
        raise InputError(f"region_id: no region {region_id}")
    if not (principal.covers_region(problem.region_id) and principal.covers_region(region_id)):
        raise PermissionDenied("you must cover both the current and the new region")
    reason = reason.strip()
    if not reason:
        raise InputError("reason: required to move a problem to another region")
    before = {"region_id": problem.region_id, "office_region_id": problem.office_region_id}
    problem.region_id = target.id
    # The problem's clues carry its region (clue lists scope on it, migration 0031).
    session.execute(update(Clue).where(Clue.problem_id == problem.id).values(region_id=target.id))
    problem.office_region_id = office_for(
        target, session=session, office_level=policy.office_level
    ).id
    problem.updated_at = now
    after = {"region_id": problem.region_id, "office_region_id": problem.office_region_id}
    timeline.event(
        session=session,
        problem=problem,
        at=now,
        actor=principal.actor,
        action="region_changed",
        public=False,
        detail={"before": before, "after": after, "reason": reason},
    )
    _log(
        session,
        principal,
        now,
        "problem.move_region",
        problem,
        before=before,
        after=after,
        reason=reason,
    )
    return problem
