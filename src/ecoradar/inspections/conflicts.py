"""Conflicts of interest: an inspector (an officer) declares one with an enterprise — a reason
and the date it began — and is then never drawn to inspect it; withdrawing it makes them
eligible again. Both are audited (``inspection_conflict.declare`` / ``.withdraw``).

An officer declares their own conflicts, an administrator for any officer. Officers see the
conflicts with enterprises within their region scope (and their own); administrators all.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from ecoradar.audit.service import record_by
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.core.clock import CHINA_TZ
from ecoradar.inspections.errors import BadInput, Clash, Denied, Missing
from ecoradar.inspections.models import Conflict
from ecoradar.registry.models import Enterprise

REASON_MAX = 2000


def visible(principal: Principal) -> ColumnElement[bool]:
    if principal.unrestricted:
        return true()
    if principal.role != "officer":
        return Conflict.id.is_(None)
    in_scope = Conflict.enterprise_id.in_(
        select(Enterprise.id).where(Enterprise.region_id.in_(sorted(principal.region_ids)))
    )
    return or_(in_scope, Conflict.inspector_id == principal.user_id)


def list_conflicts(
    *, session: Session, principal: Principal, active_only: bool = True
) -> list[Conflict]:
    query = select(Conflict).where(visible(principal)).order_by(Conflict.declared_at.desc())
    if active_only:
        query = query.where(Conflict.withdrawn_at.is_(None))
    return list(session.scalars(query))


def usernames(session: Session, conflicts: list[Conflict]) -> dict[int, str]:
    ids = sorted({c.inspector_id for c in conflicts})
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return dict(rows.all())


def _inspector(session: Session, principal: Principal, username: str | None) -> User:
    if username is None or username == principal.username:
        if principal.role != "officer" or principal.user_id is None:
            raise Denied("not_officer", "only an inspector (an officer) declares a conflict")
        user = session.get(User, principal.user_id)
    else:
        if not principal.is_admin:
            raise Denied(
                "not_officer", "only an administrator declares a conflict for someone else"
            )
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or user.role != "officer":
        raise BadInput("inspector", f"inspector: {username!r} is not an officer")
    return user


def declare(
    *,
    session: Session,
    principal: Principal,
    enterprise_code: str,
    reason: str,
    since: date | None,
    now: datetime,
    inspector: str | None = None,
    ip: str | None = None,
) -> Conflict:
    """Declare (or declare again, after a withdrawal) a conflict of interest."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX or "\x00" in reason:
        raise BadInput("reason", f"reason: required, at most {REASON_MAX} characters")
    user = _inspector(session, principal, inspector)
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.code == enterprise_code.strip().upper())
    )
    if enterprise is None:
        raise Missing("enterprise", f"enterprise: no enterprise {enterprise_code!r}")
    today = now.astimezone(CHINA_TZ).date()
    since = since or today
    if since > today:
        raise BadInput("since_future", "since: a date in the future")
    row = session.scalar(
        select(Conflict).where(
            Conflict.inspector_id == user.id, Conflict.enterprise_id == enterprise.id
        )
    )
    if row is not None and row.withdrawn_at is None:
        raise Clash(
            "already", f"{user.username} already declared a conflict with {enterprise.code}"
        )
    if row is None:
        row = Conflict(inspector_id=user.id, enterprise_id=enterprise.id)
        session.add(row)
    row.reason, row.since = reason, since
    row.declared_at, row.declared_by = now, principal.actor
    row.withdrawn_at, row.withdrawn_by = None, None
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="inspection_conflict.declare",
        entity_type="inspection_conflict",
        entity_id=row.id,
        after={
            "inspector": user.username,
            "enterprise": enterprise.code,
            "since": since.isoformat(),
        },
        reason=reason,
        ip=ip,
    )
    return row


def withdraw(
    *,
    session: Session,
    principal: Principal,
    conflict_id: int,
    now: datetime,
    ip: str | None = None,
) -> Conflict:
    """Withdraw a conflict in force: its inspector, or an administrator."""
    row = session.scalar(select(Conflict).where(Conflict.id == conflict_id, visible(principal)))
    if row is None:
        raise Missing("conflict", f"no conflict {conflict_id}")
    if not principal.is_admin and row.inspector_id != principal.user_id:
        raise Denied("not_yours", "only the inspector who declared it, or an administrator")
    if row.withdrawn_at is not None:
        raise Clash("withdrawn", f"conflict {conflict_id} is already withdrawn")
    row.withdrawn_at, row.withdrawn_by = now, principal.actor
    session.flush()
    record_by(
        principal,
        session=session,
        at=now,
        action="inspection_conflict.withdraw",
        entity_type="inspection_conflict",
        entity_id=row.id,
        before={"withdrawn": False},
        after={"withdrawn": True},
        ip=ip,
    )
    return row
