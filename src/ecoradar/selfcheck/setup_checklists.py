"""Checklists from the web app: a new checklist (a new point type with its version 1) and
new versions of one. Administrators edit any; an officer one that is not built in and that no
control point outside their region uses (a checklist is shared by every point of its type).
The questions are judged by ``checks.parse_items`` (through ``checklist_form``), the import's
rules; a refusal is a ``FormRefused`` naming the row and field, raised before anything is
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.checklist_form import Row, items_from_rows
from ecoradar.selfcheck.fields import FormRefused
from ecoradar.selfcheck.models import ControlPoint, PointType
from ecoradar.selfcheck.service import visible
from ecoradar.selfcheck.setup import may_configure, require_configuring
from ecoradar.selfcheck.templates import Issued, add_point_type, ensure_defaults, issue_version


def may_edit_checklist(*, session: Session, principal: Principal, point_type: PointType) -> bool:
    """Administrators edit any checklist; an officer one that is not built in and that no
    control point outside their region uses."""
    if principal.is_admin:
        return True
    if not may_configure(principal) or point_type.builtin:
        return False
    outside = session.scalar(
        select(func.count(ControlPoint.id))
        .join(Enterprise, ControlPoint.enterprise_id == Enterprise.id)
        .where(
            ControlPoint.type_id == point_type.id,
            or_(~visible(principal), Enterprise.region_id.is_(None)),
        )
    )
    return not outside


def point_type(*, session: Session, code: str) -> PointType:
    found = session.scalar(select(PointType).where(PointType.code == code))
    if found is None:
        raise NotFoundError(f"checklist {code!r} does not exist")
    return found


def _fresh_type_code(session: Session) -> str:
    taken = set(session.scalars(select(PointType.code)))
    number = len(taken) + 1
    while f"custom_{number}" in taken:
        number += 1
    return f"custom_{number}"


def _field_of(exc: InputError) -> dict[str, str]:
    head, _, reason = str(exc).partition(": ")
    return {head: reason} if head in ("name", "category", "code") else {"items": str(exc)}


def create_checklist(
    *, session: Session, by: Principal, form: Mapping[str, str], rows: Sequence[Row],
    now: datetime,
) -> PointType:  # fmt: skip
    """A new checklist: a new point type (not built in) with these questions as version 1."""
    require_configuring(by)
    ensure_defaults(session=session, now=now)
    errors: dict[str, str] = {}
    items = []
    try:
        items = items_from_rows(rows)
    except FormRefused as exc:
        errors.update(exc.errors)
    name = form.get("name", "").strip()
    if not name or len(name) > 100:
        errors["name"] = "required, at most 100 characters"
    if errors:
        raise FormRefused(errors)
    try:
        with session.begin_nested():
            return add_point_type(
                session=session, code=_fresh_type_code(session), name=name,
                name_en=form.get("name_en", "").strip(), category=form.get("category", ""),
                items=[i.as_json() for i in items], now=now, actor=by.actor,
                actor_user_id=by.user_id,
            )  # fmt: skip
    except InputError as exc:
        raise FormRefused(_field_of(exc)) from exc


def edit_checklist(
    *, session: Session, by: Principal, type_code: str, form: Mapping[str, str],
    rows: Sequence[Row], now: datetime,
) -> Issued:  # fmt: skip
    """The questions as the checklist's next version (none when they are unchanged); tasks
    already issued keep theirs."""
    require_configuring(by)
    target = point_type(session=session, code=type_code)
    if not may_edit_checklist(session=session, principal=by, point_type=target):
        raise PermissionDenied(
            "permission denied: this checklist is built in or used outside your region"
        )
    items = items_from_rows(rows)
    name = form.get("name", "").strip()
    if len(name) > 200:
        raise FormRefused({"name": "at most 200 characters"})
    return issue_version(
        session=session, point_type_code=target.code, items=[i.as_json() for i in items],
        now=now, actor=by.actor, name=name or None, actor_user_id=by.user_id,
    )  # fmt: skip
