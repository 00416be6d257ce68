"""The reminders' lifecycle, who may see what, and the facts other domains read.

draft --issue--> issued --acknowledge--> acknowledged --(every issue answered)--> answered
--(every answer accepted)--> resolved. An officer returns an answer (the issue is open to a new
answer, the reminder back to acknowledged). Past ``answer_due`` with an issue unanswered, the
reminder is ``escalated``: a finding in the problem register (``[escalation]`` channel).
Every change is in the audit log.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.reminders.config import Config
from ecoradar.reminders.models import Reminder, ReminderIssue
from ecoradar.reminders.notify import Message, Notifier

S = TypeVar("S", bound=Any)
OPEN_FOR_ANSWER = ("issued", "acknowledged")
MAX_TEXT = 4000


# --- who may see what ------------------------------------------------------------------------


def visible(query: Select[S], principal: Principal) -> Select[S]:
    """An enterprise: its own issued reminders; staff: their region's; an admin: all."""
    if principal.role == "enterprise":
        return query.where(
            Reminder.enterprise_id == (principal.enterprise_id or -1), Reminder.state != "draft"
        )
    if principal.unrestricted:
        return query
    if not principal.is_staff:
        return query.where(Reminder.id == -1)
    return query.where(Reminder.region_id.in_(sorted(principal.region_ids) or [-1]))


def list_reminders(
    *, session: Session, principal: Principal, state: str | None = None, limit: int = 200
) -> list[Reminder]:
    query = visible(select(Reminder), principal)
    if state:
        query = query.where(Reminder.state == state)
    return list(
        session.scalars(query.order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(limit))
    )


def get(*, session: Session, principal: Principal, number: str) -> Reminder:
    found: Reminder | None = session.scalars(
        visible(select(Reminder), principal).where(Reminder.number == number)
    ).first()
    if found is None:
        raise NotFoundError(f"reminder {number} not found")
    return found


def _officer(principal: Principal) -> None:
    if not (principal.is_admin or principal.has_role("officer")):
        raise PermissionDenied("only a bureau officer may do this")


def _own(principal: Principal, reminder: Reminder) -> None:
    if principal.role != "enterprise" or principal.enterprise_id != reminder.enterprise_id:
        raise PermissionDenied("only the enterprise the reminder is for may answer it")


def _issue_of(reminder: Reminder, issue_id: int) -> ReminderIssue:
    for issue in reminder.issues:
        if issue.id == issue_id:
            return issue
    raise NotFoundError(f"issue {issue_id} is not in reminder {reminder.number}")


def _text(value: str, field: str, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InputError(f"{field}: required")
    if len(value) > MAX_TEXT:
        raise InputError(f"{field}: longer than {MAX_TEXT} characters")
    return value


# --- officers: review, edit, issue -----------------------------------------------------------


@dataclass(frozen=True)
class IssueEdit:
    issue_id: int
    suggestion: str
    basis: str
    remove: bool = False


def edit_draft(
    *,
    session: Session,
    principal: Principal,
    number: str,
    intro: str,
    edits: list[IssueEdit],
    now: datetime,
) -> Reminder:
    """An officer's changes to a draft: the covering words, each issue's suggestion and basis,
    issues taken out (at least one stays)."""
    _officer(principal)
    reminder = get(session=session, principal=principal, number=number)
    if reminder.state != "draft":
        raise ConflictError(f"reminder {number} is {reminder.state}: only a draft can be edited")
    before = {
        "intro": reminder.intro,
        "issues": {i.id: [i.suggestion, i.basis] for i in reminder.issues},
    }
    removing = {e.issue_id for e in edits if e.remove}
    if removing and removing >= {i.id for i in reminder.issues}:
        raise InputError("issues: a reminder keeps at least one issue")
    reminder.intro = _text(intro, "intro", required=False)
    for change in edits:
        issue = _issue_of(reminder, change.issue_id)
        if change.remove:
            reminder.issues.remove(issue)
            session.delete(issue)
            continue
        issue.suggestion = _text(change.suggestion, "suggestion")
        issue.basis = _text(change.basis, "basis")
    reminder.updated_at = now
    session.flush()
    audit(
        session=session, at=now, actor=principal.actor, action="reminder.edit",
        entity_type="reminder", entity_id=number, before=before,
        after={"intro": reminder.intro, "removed": sorted(removing),
               "issues": {i.id: [i.suggestion, i.basis] for i in reminder.issues}},
        actor_user_id=principal.user_id,
    )  # fmt: skip
    return reminder


def deliver(
    *, session: Session, reminder: Reminder, notifier: Notifier | None, now: datetime
) -> None:
    """E-mail and SMS to the enterprise's active users with an address or number; each
    delivery (or its failure) is recorded on the reminder."""
    from ecoradar.auth.models import User

    if notifier is None:
        return
    channels = notifier.channels()
    users = session.scalars(
        select(User).where(User.enterprise_id == reminder.enterprise_id, User.is_active.is_(True))
    )
    subject = f"{reminder.bureau_name} 企业环境服务提醒函 {reminder.number}"
    text = (
        f"{reminder.enterprise.name}：{reminder.bureau_name}向贵单位发出企业环境服务提醒函"
        f"（{reminder.number}），共 {len(reminder.issues)} 项，请登录企业端查看并答复。"
    )
    records = list(reminder.deliveries or [])
    for user in users:
        targets = [("email", user.email), ("sms", user.phone)]
        for channel, to in targets:
            if not to or channel not in channels:
                continue
            entry = {"channel": channel, "to": to, "at": now.isoformat(), "ok": True, "error": None}
            try:
                notifier.send(Message(channel, to, subject, text))
            except OSError as exc:
                entry.update(ok=False, error=str(exc)[:200])
            records.append(entry)
    reminder.deliveries = records


def issue_now(
    *,
    session: Session,
    reminder: Reminder,
    config: Config,
    now: datetime,
    actor: str,
    notifier: Notifier | None,
    actor_user_id: int | None = None,
) -> None:
    if reminder.state != "draft":
        raise ConflictError(f"reminder {reminder.number} is {reminder.state} already")
    reminder.state = "issued"
    reminder.issued_at = now
    reminder.issued_by = actor
    reminder.answer_due = now + timedelta(days=config.answer_days)
    reminder.updated_at = now
    deliver(session=session, reminder=reminder, notifier=notifier, now=now)
    audit(
        session=session, at=now, actor=actor, action="reminder.issue", entity_type="reminder",
        entity_id=reminder.number, before={"state": "draft"},
        after={"state": "issued", "answer_due": reminder.answer_due.isoformat(),
               "deliveries": len(reminder.deliveries or [])},
        actor_user_id=actor_user_id,
    )  # fmt: skip


def issue(
    *,
    session: Session,
    principal: Principal,
    number: str,
    config: Config,
    now: datetime,
    notifier: Notifier | None,
) -> Reminder:
    _officer(principal)
    reminder = get(session=session, principal=principal, number=number)
    issue_now(
        session=session, reminder=reminder, config=config, now=now, actor=principal.actor,
        notifier=notifier, actor_user_id=principal.user_id,
    )  # fmt: skip
    return reminder


# --- the enterprise: acknowledge, answer -----------------------------------------------------


def set_state(
    session: Session, reminder: Reminder, to: str, now: datetime, actor: str, user: int | None
) -> None:
    if reminder.state == to:
        return
    before = reminder.state
    reminder.state = to
    reminder.updated_at = now
    audit(
        session=session, at=now, actor=actor, action=f"reminder.{to}", entity_type="reminder",
        entity_id=reminder.number, before={"state": before}, after={"state": to},
        actor_user_id=user,
    )  # fmt: skip


def acknowledge(*, session: Session, principal: Principal, number: str, now: datetime) -> Reminder:
    reminder = get(session=session, principal=principal, number=number)
    _own(principal, reminder)
    if reminder.acknowledged_at is not None:
        return reminder
    if reminder.state not in OPEN_FOR_ANSWER:
        raise ConflictError(f"reminder {number} is {reminder.state}")
    reminder.acknowledged_at = now
    reminder.acknowledged_by = principal.actor
    set_state(session, reminder, "acknowledged", now, principal.actor, principal.user_id)
    return reminder


def answer(
    *,
    session: Session,
    principal: Principal,
    number: str,
    issue_id: int,
    note: str,
    media_ids: list[int],
    now: datetime,
) -> ReminderIssue:
    """The enterprise's rectification note (and evidence, uploaded through ``media``)."""
    reminder = get(session=session, principal=principal, number=number)
    _own(principal, reminder)
    if reminder.state not in (*OPEN_FOR_ANSWER, "answered", "escalated"):
        raise ConflictError(f"reminder {number} is {reminder.state}")
    item = _issue_of(reminder, issue_id)
    if item.state not in ("open", "returned"):
        raise ConflictError(f"issue {issue_id} is {item.state}")
    if reminder.acknowledged_at is None:
        acknowledge(session=session, principal=principal, number=number, now=now)
    before = item.state
    item.answer = _text(note, "answer")
    item.answer_media_ids = [*(item.answer_media_ids or []), *media_ids]
    item.answered_at = now
    item.answered_by = principal.actor
    item.state = "answered"
    audit(
        session=session, at=now, actor=principal.actor, action="reminder_issue.answer",
        entity_type="reminder_issue", entity_id=item.id, before={"state": before},
        after={"state": "answered", "reminder": number, "media_ids": item.answer_media_ids},
        actor_user_id=principal.user_id,
    )  # fmt: skip
    if reminder.state != "escalated" and all(
        i.state in ("answered", "accepted") for i in reminder.issues
    ):
        set_state(session, reminder, "answered", now, principal.actor, principal.user_id)
    return item


# --- officers: accept or return an answer ----------------------------------------------------


def decide(
    *,
    session: Session,
    principal: Principal,
    number: str,
    issue_id: int,
    accept: bool,
    note: str,
    now: datetime,
) -> ReminderIssue:
    _officer(principal)
    reminder = get(session=session, principal=principal, number=number)
    item = _issue_of(reminder, issue_id)
    if item.state != "answered":
        raise ConflictError(f"issue {issue_id} is {item.state}: only an answer can be decided")
    if not accept and not note.strip():
        raise InputError("note: say why the answer is returned")
    item.state = "accepted" if accept else "returned"
    item.decided_at = now
    item.decided_by = principal.actor
    item.decision_note = _text(note, "note", required=False)
    audit(
        session=session, at=now, actor=principal.actor,
        action="reminder_issue.accept" if accept else "reminder_issue.return",
        entity_type="reminder_issue", entity_id=item.id, before={"state": "answered"},
        after={"state": item.state, "reminder": number}, reason=item.decision_note or None,
        actor_user_id=principal.user_id,
    )  # fmt: skip
    if all(i.state == "accepted" for i in reminder.issues):
        set_state(session, reminder, "resolved", now, principal.actor, principal.user_id)
    elif not accept and reminder.state == "answered":
        set_state(session, reminder, "acknowledged", now, principal.actor, principal.user_id)
    return item


# --- facts for the green code ----------------------------------------------------------------


@dataclass(frozen=True)
class Responsiveness:
    sent: int
    """Reminders issued in the window."""
    answered_on_time: int
    """Of those, every issue answered by ``answer_due``."""
    ignored: int
    """Of those, escalated for want of an answer."""
    pending: int = 0
    """Of those, not all answered yet and ``answer_due`` not yet past at ``until``."""
    late_ids: tuple[int, ...] = ()
    """Ids of the reminders past ``answer_due`` at ``until`` and not answered in time."""


def responsiveness_facts(
    *, session: Session, enterprise_ids: Collection[int], since: datetime, until: datetime
) -> dict[int, Responsiveness]:
    """Per enterprise, reminders issued in ``[since, until)`` (absent: none issued)."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(Reminder)
        .where(
            Reminder.enterprise_id.in_(ids),
            Reminder.issued_at.is_not(None),
            Reminder.issued_at >= since,
            Reminder.issued_at < until,
        )
        .order_by(Reminder.id)
    ).all()
    counts: dict[int, list[int]] = {}
    late: dict[int, list[int]] = {}
    for r in rows:
        c = counts.setdefault(r.enterprise_id, [0, 0, 0, 0])
        c[0] += 1
        due = r.answer_due
        on_time = (
            due is not None
            and bool(r.issues)
            and all(i.answered_at is not None and i.answered_at <= due for i in r.issues)
        )
        if on_time:
            c[1] += 1
        elif due is not None and due >= until:
            c[3] += 1
        else:
            late.setdefault(r.enterprise_id, []).append(r.id)
        if r.state == "escalated":
            c[2] += 1
    return {
        k: Responsiveness(v[0], v[1], v[2], v[3], tuple(late.get(k, ()))) for k, v in counts.items()
    }
