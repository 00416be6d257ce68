"""Setting up self-inspection from the web app: control points (add, edit, retire, restore),
their schedules, and which checklist (point type) a point uses; new checklists and their
versions are in ``setup_checklists``.

Who: administrators everywhere, officers for the enterprises in their region subtree (anything
else is "not found"). Every field obeys the file import's rules (``fields``, shared with
``importer.check_rows``; ``schedule.check_schedule``); a refusal is a ``FormRefused`` naming
each field, raised before anything is written. Every change is in the audit log
(``record_by``), with only what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecoradar.audit.service import changes, record_by
from ecoradar.auth.principal import Principal
from ecoradar.core.coords import to_wgs84
from ecoradar.core.errors import NotFoundError, PermissionDenied
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck import fields
from ecoradar.selfcheck.fields import FormRefused
from ecoradar.selfcheck.models import ControlPoint, PointType
from ecoradar.selfcheck.schedule import Schedule, china_date
from ecoradar.selfcheck.service import visible
from ecoradar.selfcheck.templates import ensure_defaults

CONFIGURING_ROLES = ("admin", "officer")
LIST_LIMIT = 100


def may_configure(principal: Principal) -> bool:
    return principal.has_role(*CONFIGURING_ROLES)


def require_configuring(principal: Principal) -> None:
    if not may_configure(principal):
        raise PermissionDenied("permission denied: administrators and officers set this up")


@dataclass(frozen=True)
class EnterpriseRow:
    enterprise: Enterprise
    points: int


def enterprises(
    *, session: Session, principal: Principal, search: str = "", limit: int = LIST_LIMIT
) -> list[EnterpriseRow]:
    """Enterprises in reach (name or code containing ``search``) with their active points."""
    require_configuring(principal)
    count = (
        select(func.count(ControlPoint.id))
        .where(ControlPoint.enterprise_id == Enterprise.id, ControlPoint.active.is_(True))
        .scalar_subquery()
    )
    query = select(Enterprise, count).where(visible(principal))
    text = search.strip()
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(Enterprise.name.like(pattern), Enterprise.code.like(pattern)))
    rows = session.execute(query.order_by(count.desc(), Enterprise.code).limit(limit))
    return [EnterpriseRow(e, int(n or 0)) for e, n in rows]


def enterprise(*, session: Session, principal: Principal, code: str) -> Enterprise:
    require_configuring(principal)
    found = session.scalar(
        select(Enterprise).where(Enterprise.code == code.upper(), visible(principal))
    )
    if found is None:
        raise NotFoundError(f"enterprise {code!r} does not exist")
    return found


def points_of(*, session: Session, enterprise_id: int) -> list[ControlPoint]:
    """Every control point of an enterprise, active first."""
    return list(
        session.scalars(
            select(ControlPoint)
            .where(ControlPoint.enterprise_id == enterprise_id)
            .order_by(ControlPoint.active.desc(), ControlPoint.code)
        )
    )


def point(*, session: Session, principal: Principal, point_id: int) -> ControlPoint:
    """A control point (active or retired) in reach."""
    require_configuring(principal)
    found = session.scalar(
        select(ControlPoint)
        .join(Enterprise, ControlPoint.enterprise_id == Enterprise.id)
        .where(ControlPoint.id == point_id, visible(principal))
    )
    if found is None:
        raise NotFoundError(f"control point {point_id} does not exist")
    return found


def point_types(*, session: Session) -> list[PointType]:
    return list(session.scalars(select(PointType).order_by(PointType.builtin.desc(), PointType.id)))


def _snapshot(p: ControlPoint) -> dict[str, Any]:
    return {
        "code": p.code, "name": p.name, "type": p.point_type.code if p.point_type else p.type_id,
        "longitude": p.longitude, "latitude": p.latitude, "crs": p.source_crs,
        "schedule_kind": p.schedule_kind, "schedule_expression": p.schedule_expression,
        "working_days_only": p.working_days_only, "active": p.active,
    }  # fmt: skip


def _audit(by: Principal, session: Session, now: datetime, verb: str, p: ControlPoint,
           before: dict[str, Any] | None) -> None:  # fmt: skip
    after = _snapshot(p)
    if before is not None:
        before, after = changes(before, after)
    record_by(
        by, session=session, at=now, action=f"selfcheck_point.{verb}",
        entity_type="selfcheck_point", entity_id=p.id, before=before, after=after,
    )  # fmt: skip


@dataclass(frozen=True)
class PlaceValues:
    name: str
    type_id: int
    longitude: float
    latitude: float
    crs: str


def _check_place(session: Session, form: Mapping[str, str], errors: dict[str, str]) -> PlaceValues:
    """Name, type and location of a point form, by the import's rules."""
    types = {t.code: t.id for t in point_types(session=session)}
    name = form.get("name", "").strip()
    type_code = form.get("type", "").strip().lower()
    crs = (form.get("crs", "").strip() or "wgs84").lower()
    lon, lon_problem = fields.longitude_of(form.get("longitude", "").strip())
    lat, lat_problem = fields.latitude_of(form.get("latitude", "").strip())
    for field, problem in (
        ("name", fields.name_problem(name)),
        ("type", fields.type_problem(type_code, set(types))),
        ("crs", fields.crs_problem(crs)),
        ("longitude", lon_problem),
        ("latitude", lat_problem),
    ):
        if problem is not None:
            errors[field] = problem
    if errors or lon is None or lat is None:
        return PlaceValues(name, 0, 0.0, 0.0, crs)
    wlon, wlat = to_wgs84(lon, lat, crs)
    return PlaceValues(name, types[type_code], wlon, wlat, crs)


def _check_schedule(form: Mapping[str, str], errors: dict[str, str]) -> Schedule | None:
    kind = form.get("schedule_kind", "").strip()
    expression = {
        "weekly": form.get("weekday", ""), "monthly": form.get("monthday", ""),
        "cron": form.get("cron", ""),
    }.get(kind, "")  # fmt: skip
    flag = form.get("working_days_only", "").strip().lower()
    problem = fields.flag_problem(flag)
    if problem is not None:
        errors["working_days_only"] = problem
    schedule, problem = fields.form_schedule(
        kind, expression.strip(), working_days_only=flag in fields.YES
    )
    if problem is not None:
        errors["cron" if kind == "cron" else "schedule_kind"] = problem
    return schedule


def _place(p: ControlPoint, values: PlaceValues, now: datetime) -> None:
    p.name, p.type_id = values.name, values.type_id
    p.longitude, p.latitude, p.source_crs = values.longitude, values.latitude, values.crs
    p.updated_at = now


def _schedule(p: ControlPoint, schedule: Schedule, now: datetime) -> None:
    p.schedule_kind, p.schedule_expression = schedule.kind, schedule.expression
    p.working_days_only = schedule.working_days_only
    p.updated_at = now


def create_point(
    *, session: Session, by: Principal, enterprise_code: str, form: Mapping[str, str],
    now: datetime,
) -> ControlPoint:  # fmt: skip
    """A new active control point of the enterprise; its tasks begin on the day it is made."""
    ensure_defaults(session=session, now=now)
    owner = enterprise(session=session, principal=by, code=enterprise_code)
    errors: dict[str, str] = {}
    code = form.get("code", "").strip()
    problem = fields.point_code_problem(code)
    if problem is None and session.scalar(
        select(ControlPoint.id).where(
            ControlPoint.enterprise_id == owner.id, ControlPoint.code == code
        )
    ):
        problem = f"point {code} of {owner.code} exists already"
    if problem is not None:
        errors["code"] = problem
    values = _check_place(session, form, errors)
    schedule = _check_schedule(form, errors)
    if errors or schedule is None:
        raise FormRefused(errors)
    created = ControlPoint(
        enterprise_id=owner.id, code=code, created_at=now, active=True, generated_until=None
    )
    _place(created, values, now)
    _schedule(created, schedule, now)
    session.add(created)
    session.flush()
    session.refresh(created)
    _audit(by, session, now, "create", created, None)
    return created


def update_point(
    *, session: Session, by: Principal, point_id: int, form: Mapping[str, str], now: datetime
) -> ControlPoint:
    """Name, type (its checklist) and location; the enterprise and the code stay."""
    target = point(session=session, principal=by, point_id=point_id)
    errors: dict[str, str] = {}
    values = _check_place(session, form, errors)
    if errors:
        raise FormRefused(errors)
    before = _snapshot(target)
    _place(target, values, now)
    session.flush()
    session.refresh(target)
    _audit(by, session, now, "update", target, before)
    return target


def set_schedule(
    *, session: Session, by: Principal, point_id: int, form: Mapping[str, str], now: datetime
) -> ControlPoint:
    """A new schedule: tasks already issued stay; the generator uses it from the next day it
    has no tasks for."""
    target = point(session=session, principal=by, point_id=point_id)
    errors: dict[str, str] = {}
    schedule = _check_schedule(form, errors)
    if errors or schedule is None:
        raise FormRefused(errors)
    before = _snapshot(target)
    _schedule(target, schedule, now)
    session.flush()
    _audit(by, session, now, "schedule", target, before)
    return target


def set_active(
    *, session: Session, by: Principal, point_id: int, active: bool, now: datetime
) -> ControlPoint:
    """Retire a point (no new tasks; issued ones stay) or bring it back."""
    target = point(session=session, principal=by, point_id=point_id)
    if target.active == active:
        return target
    before = _snapshot(target)
    target.active, target.updated_at = active, now
    if active:  # no catch-up for the days it was retired: tasks begin today
        yesterday = china_date(now) - timedelta(days=1)
        target.generated_until = max(target.generated_until or yesterday, yesterday)
    session.flush()
    _audit(by, session, now, "restore" if active else "retire", target, before)
    return target


def attach_checklist(
    *, session: Session, by: Principal, enterprise_code: str, type_code: str,
    point_ids: Sequence[int], now: datetime,
) -> int:  # fmt: skip
    """Give the enterprise's chosen points the checklist (point type) ``type_code``; returns
    how many changed."""
    owner = enterprise(session=session, principal=by, code=enterprise_code)
    errors: dict[str, str] = {}
    types = {t.code: t.id for t in point_types(session=session)}
    problem = fields.type_problem(type_code, set(types))
    if problem is not None:
        errors["type"] = problem
    chosen = list(
        session.scalars(
            select(ControlPoint).where(
                ControlPoint.enterprise_id == owner.id, ControlPoint.id.in_(list(point_ids))
            )
        )
    )
    if not chosen or len(chosen) != len(set(point_ids)):
        errors["points"] = "choose one or more control points of this enterprise"
    if errors:
        raise FormRefused(errors)
    changed = 0
    for target in chosen:
        if target.type_id == types[type_code]:
            continue
        before = _snapshot(target)
        target.type_id, target.updated_at = types[type_code], now
        session.flush()
        session.refresh(target)
        _audit(by, session, now, "checklist", target, before)
        changed += 1
    return changed
