"""What the praise rules need, read from the register: the reports people sent, the facts of
their problems (verified, decided, first finding), patrols ended and verifications with the
routing before them. Shared by the rankings (``service``) and the statistics (``figures``)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from ecoradar.auth.models import STAFF_ROLES, User
from ecoradar.patrols.models import Patrol
from ecoradar.praise import rules
from ecoradar.problems.models import Finding, Problem, ProblemEvent, ProblemLink

CHUNK = 500
"""Ids per ``IN (...)`` list."""
ACTOR = re.compile(r"user:(\d+):")


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for n in range(0, len(ordered), size):
        yield ordered[n : n + size]


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def contact_key(contact: str, secret: str) -> str:
    """A reporter known by a contact only: a keyed hash of it (never the contact itself, and
    not to be reversed by trying every phone number without the secret)."""
    normal = re.sub(r"[\s\-()（）]", "", contact).lower()
    digest = hmac.new(secret.encode(), normal.encode(), hashlib.sha256).hexdigest()
    return f"contact:{digest[:20]}"


@dataclass(frozen=True)
class SentReport:
    """A report with who sent it, as read."""

    report: rules.Report
    channel: str
    user_id: int | None
    name: str
    """The person's name as the staff may see it: the user's display name (else username),
    or the name the reporter gave."""


def reports(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    channels: Sequence[str],
    where: ColumnElement[bool],
    secret: str,
    identified_only: bool,
) -> list[SentReport]:
    """Findings of ``channels`` received in ``[since, until)`` matching ``where`` (on
    ``Finding``/``Problem``). ``identified_only``: only reports by a registered user who is not
    staff (for the public's channels) or with a contact; the others are left out."""
    query = (
        select(
            Finding.id,
            Finding.problem_id,
            Finding.received_at,
            Finding.channel,
            Finding.reporter_user_id,
            Finding.reporter_name,
            Finding.reporter_contact,
            Problem.region_id,
            User.role,
            User.display_name,
            User.username,
        )
        .join(Problem, Finding.problem_id == Problem.id)
        .outerjoin(User, Finding.reporter_user_id == User.id)
        .where(
            Finding.received_at >= since,
            Finding.received_at < until,
            Finding.channel.in_(channels),
            where,
        )
        .order_by(Finding.id)
    )
    out = []
    for (
        fid,
        pid,
        at,
        channel,
        uid,
        rname,
        contact,
        region,
        role,
        display,
        username,
    ) in session.execute(query).all():
        if uid is not None and (not identified_only or role not in STAFF_ROLES):
            person, name = user_key(uid), (display or username or "")
        elif identified_only and uid is None and contact and contact.strip():
            person, name = contact_key(contact, secret), (rname or "").strip()
        elif not identified_only:
            person, name = "anonymous", ""
        else:
            continue
        out.append(SentReport(rules.Report(fid, person, pid, at, region), channel, uid, name))
    return out


def problem_facts(session: Session, problem_ids: Collection[int]) -> dict[int, rules.ProblemFacts]:
    """The verdict facts and the first finding of each problem."""
    out: dict[int, rules.ProblemFacts] = {}
    for ids in chunks(problem_ids):
        duplicates = set(
            session.scalars(
                select(ProblemLink.problem_id).where(
                    ProblemLink.problem_id.in_(ids), ProblemLink.kind == "duplicate_of"
                )
            )
        )
        first = rules.first_findings(
            session.execute(
                select(Finding.problem_id, Finding.id, Finding.received_at).where(
                    Finding.problem_id.in_(ids)
                )
            )
        )
        for pid, state, times, target in session.execute(
            select(Problem.id, Problem.state, Problem.state_times, Problem.transfer_target).where(
                Problem.id.in_(ids)
            )
        ):
            kind: Any = (target or {}).get("kind")
            out[pid] = rules.ProblemFacts(
                problem_id=pid,
                state=state,
                reached=frozenset(times or {}),
                transfer_kind=kind if isinstance(kind, str) else None,
                duplicate=pid in duplicates,
                first_finding_id=first.get(pid),
            )
    return out


def first_channels(session: Session, first: dict[int, int]) -> dict[int, tuple[str, datetime]]:
    """The channel and arrival of each problem's first finding."""
    out: dict[int, tuple[str, datetime]] = {}
    by_finding = {fid: pid for pid, fid in first.items()}
    for ids in chunks(by_finding):
        for fid, channel, at in session.execute(
            select(Finding.id, Finding.channel, Finding.received_at).where(Finding.id.in_(ids))
        ):
            out[by_finding[fid]] = (channel, at)
    return out


def patrols_ended(
    session: Session, since: datetime, until: datetime, where: ColumnElement[bool]
) -> list[tuple[int, int, datetime]]:
    """``(user_id, region_id, ended_at)`` of the patrols ended in ``[since, until)``."""
    rows = session.execute(
        select(Patrol.user_id, Patrol.region_id, Patrol.ended_at).where(
            Patrol.ended_at.is_not(None), Patrol.ended_at >= since, Patrol.ended_at < until, where
        )
    )
    return [(uid, region, at) for uid, region, at in rows if at is not None]


@dataclass(frozen=True)
class Checked:
    verification: rules.Verification
    user_id: int
    region_id: int


def verifications(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    where: ColumnElement[bool],
    user_ids: Collection[int] | None = None,
) -> list[Checked]:
    """The verifications in ``[since, until)`` of problems matching ``where`` by grid workers
    (``user_ids``, else every grid worker), each with the routing to them before it."""
    rows = session.execute(
        select(ProblemEvent.problem_id, ProblemEvent.actor, ProblemEvent.at, Problem.region_id)
        .join(Problem, ProblemEvent.problem_id == Problem.id)
        .where(
            ProblemEvent.action.in_(rules.VERIFY_ACTIONS),
            ProblemEvent.at >= since,
            ProblemEvent.at < until,
            ProblemEvent.actor.like("user:%"),
            where,
        )
    )
    events: list[tuple[rules.VerifyEvent, int, int]] = []
    for pid, actor, at, region in rows:
        found = ACTOR.match(actor)
        if found is None:
            continue
        events.append((rules.VerifyEvent(pid, user_key(int(found[1])), at), int(found[1]), region))
    users = {uid for _e, uid, _r in events}
    if user_ids is not None:
        users &= set(user_ids)
    else:
        workers: set[int] = set()
        for ids in chunks(users):
            workers.update(
                session.scalars(select(User.id).where(User.id.in_(ids), User.role == "grid_worker"))
            )
        users = workers
    events = [e for e in events if e[1] in users]
    routed: list[rules.Routing] = []
    for ids in chunks(e.problem_id for e, _u, _r in events):
        for pid, at, detail in session.execute(
            select(ProblemEvent.problem_id, ProblemEvent.at, ProblemEvent.detail).where(
                ProblemEvent.problem_id.in_(ids), ProblemEvent.action.in_(rules.ROUTE_ACTIONS)
            )
        ):
            assignee = ((detail or {}).get("internal") or {}).get("assignee_id")
            if isinstance(assignee, int):
                routed.append(rules.Routing(pid, user_key(assignee), at))
    matched = rules.verifications([e for e, _u, _r in events], routed)
    where_of = {(e.problem_id, e.person, e.at): (uid, region) for e, uid, region in events}
    out = []
    for v in matched:
        uid, region = where_of[(v.problem_id, v.person, v.verified_at)]
        out.append(Checked(v, uid, region))
    return out


def in_regions(column: Any, ids: Collection[int] | None) -> ColumnElement[bool]:
    """``column IN ids`` (always true for None: no limit)."""
    if ids is None:
        return true()
    if not ids:
        return false()
    return column.in_(sorted(ids))  # type: ignore[no-any-return]
