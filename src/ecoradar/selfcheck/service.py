"""Self-inspection tasks for the people who see and answer them.

Who sees what: an enterprise user its own enterprise's points and tasks, an officer or grid
worker those of the enterprises in their region subtree, an administrator everything; anything
else answers "not found" (404), so another enterprise's task does not even show it exists.
Only a user of the task's enterprise answers it; submitting locks the task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import enterprise_criteria
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.core.geo import haversine_m as distance_m
from ecoradar.greencode.stale import mark as mark_stale
from ecoradar.media.inspect import MediaLimits
from ecoradar.media.service import store_upload
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.checks import FAR_METRES, PhotoFact, judge
from ecoradar.selfcheck.consequences import record_failure
from ecoradar.selfcheck.models import ControlPoint, SelfcheckNotification, SelfcheckTask
from ecoradar.selfcheck.templates import items_of

MAX_PHOTOS_PER_ITEM = 5


def visible(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``enterprises`` for what ``principal`` may see of self-inspection."""
    if not principal.has_role("admin", "officer", "grid_worker", "enterprise"):
        return Enterprise.id.is_(None)  # nothing: no enterprise has no id
    condition = enterprise_criteria(principal)
    return true() if condition is None else condition


def _tasks(principal: Principal) -> Select[SelfcheckTask]:
    return (
        select(SelfcheckTask)
        .join(Enterprise, SelfcheckTask.enterprise_id == Enterprise.id)
        .where(visible(principal))
    )


def get_task(*, session: Session, principal: Principal, task_id: int) -> SelfcheckTask:
    task = session.scalar(_tasks(principal).where(SelfcheckTask.id == task_id))
    if task is None:
        raise NotFoundError(f"self-inspection task {task_id} does not exist")
    return task


def get_point(*, session: Session, principal: Principal, point_id: int) -> ControlPoint:
    point = session.scalar(
        select(ControlPoint)
        .join(Enterprise, ControlPoint.enterprise_id == Enterprise.id)
        .where(ControlPoint.id == point_id, visible(principal))
    )
    if point is None:
        raise NotFoundError(f"control point {point_id} does not exist")
    return point


def list_points(
    *, session: Session, principal: Principal, enterprise_code: str | None = None
) -> list[ControlPoint]:
    query = (
        select(ControlPoint)
        .join(Enterprise, ControlPoint.enterprise_id == Enterprise.id)
        .where(visible(principal), ControlPoint.active.is_(True))
        .order_by(Enterprise.code, ControlPoint.code)
    )
    if enterprise_code:
        query = query.where(Enterprise.code == enterprise_code.upper())
    return list(session.scalars(query))


def open_condition(today: date, now: datetime) -> ColumnElement[bool]:
    """Open tasks a person should do now: due today, or past due and not submitted."""
    return and_(
        SelfcheckTask.state != "submitted",
        or_(
            SelfcheckTask.due_date == today,
            SelfcheckTask.state == "overdue",
            SelfcheckTask.due_at < now,
        ),
        SelfcheckTask.due_date <= today,
    )


@dataclass(frozen=True)
class TaskFilter:
    open_only: bool = False
    state: str | None = None
    enterprise_code: str | None = None
    point_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None


@dataclass(frozen=True)
class TaskPage:
    tasks: list[SelfcheckTask]
    total: int
    page: int
    per_page: int


def list_tasks(
    *,
    session: Session,
    principal: Principal,
    filters: TaskFilter,
    today: date,
    now: datetime,
    page: int = 1,
    per_page: int = 50,
) -> TaskPage:
    """Visible tasks, overdue first, then by due date and point."""
    query = _tasks(principal)
    if filters.open_only:
        query = query.where(open_condition(today, now))
    if filters.state == "overdue":
        query = query.where(SelfcheckTask.state != "submitted", SelfcheckTask.due_at < now)
    elif filters.state == "pending":
        query = query.where(SelfcheckTask.state != "submitted", SelfcheckTask.due_at >= now)
    elif filters.state:
        query = query.where(SelfcheckTask.state == filters.state)
    if filters.enterprise_code:
        query = query.where(Enterprise.code == filters.enterprise_code.upper())
    if filters.point_id is not None:
        query = query.where(SelfcheckTask.point_id == filters.point_id)
    if filters.due_from is not None:
        query = query.where(SelfcheckTask.due_date >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(SelfcheckTask.due_date <= filters.due_to)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    overdue_first = (SelfcheckTask.state != "submitted") & (SelfcheckTask.due_at < now)
    rows = session.scalars(
        query.order_by(overdue_first.desc(), SelfcheckTask.due_date.desc(), SelfcheckTask.point_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return TaskPage(list(rows), total, page, per_page)


def current_task(
    *, session: Session, principal: Principal, point_id: int, today: date, now: datetime
) -> SelfcheckTask | None:
    """The task a QR code on the point opens: the oldest open one due by today, else the
    latest one (perhaps submitted)."""
    get_point(session=session, principal=principal, point_id=point_id)
    base = _tasks(principal).where(SelfcheckTask.point_id == point_id)
    task = session.scalar(
        base.where(open_condition(today, now)).order_by(SelfcheckTask.due_date).limit(1)
    )
    if task is None:
        task = session.scalar(
            base.where(SelfcheckTask.due_date <= today)
            .order_by(SelfcheckTask.due_date.desc())
            .limit(1)
        )
    return task


def _answerable(principal: Principal, task: SelfcheckTask) -> None:
    if principal.role != "enterprise" or principal.enterprise_id != task.enterprise_id:
        raise PermissionDenied("permission denied: only the enterprise's own users answer tasks")
    if task.state == "submitted":
        when = task.submitted_at.isoformat() if task.submitted_at else "earlier"
        raise ConflictError(f"task {task.id} was submitted at {when} and is locked")


def add_photo(
    *,
    session: Session,
    principal: Principal,
    task_id: int,
    item: str,
    data: bytes,
    filename: str,
    home: Path,
    limits: MediaLimits,
    now: datetime,
) -> dict[str, Any]:
    """Store a photo for a photo item of an open task; returns its record (with the distance
    of its EXIF position from the control point, and whether that is far)."""
    task = get_task(session=session, principal=principal, task_id=task_id)
    _answerable(principal, task)
    items = {i.code: i for i in items_of(task.template_version)}
    if item not in items or items[item].kind != "photo":
        raise InputError(f"item: {item!r} is not a photo item of this checklist")
    photos = list(task.photos or [])
    if sum(1 for p in photos if p["item"] == item) >= MAX_PHOTOS_PER_ITEM:
        raise InputError(f"item: at most {MAX_PHOTOS_PER_ITEM} photos for {item!r}")
    media = store_upload(
        session=session,
        home=home,
        data=data,
        filename=filename,
        now=now,
        uploaded_by=principal.actor,
        limits=limits,
    )
    if media.kind != "image":
        raise InputError(f"file: {filename!r} is not a photo (JPEG, PNG or WebP)")
    far: float | None = None
    if media.gps_lat is not None and media.gps_lon is not None:
        point = task.point
        far = distance_m(point.latitude, point.longitude, media.gps_lat, media.gps_lon)
    record = {
        "item": item,
        "media_id": media.id,
        "gps_lat": media.gps_lat,
        "gps_lon": media.gps_lon,
        "taken_at": media.taken_at_local,
        "distance_m": None if far is None else round(far),
        "far": far is not None and far > FAR_METRES,
        "uploaded_at": now.isoformat(),
    }
    task.photos = [*photos, record]
    return record


def submit_task(
    *,
    session: Session,
    principal: Principal,
    task_id: int,
    answers: Mapping[str, Any],
    position: tuple[float, float] | None,
    now: datetime,
    index: RegionIndex,
    policy: Policy,
    ip: str | None = None,
) -> SelfcheckTask:
    """Judge and lock the task; failed items become a finding. ``InputError`` lists what is
    missing or malformed (nothing changes); a second submission is a ``ConflictError``."""
    get_task(session=session, principal=principal, task_id=task_id)
    task = session.scalar(
        select(SelfcheckTask).where(SelfcheckTask.id == task_id).with_for_update(of=SelfcheckTask)
    )
    assert task is not None
    _answerable(principal, task)
    if position is not None and not (-90 <= position[0] <= 90 and -180 <= position[1] <= 180):
        raise InputError(f"position: {position} is not a WGS84 latitude/longitude")
    items = items_of(task.template_version)
    photos = [PhotoFact(p["item"], p.get("gps_lat"), p.get("gps_lon")) for p in task.photos or []]
    point = task.point
    verdict = judge(
        items,
        answers,
        photos=photos,
        point=(point.latitude, point.longitude),
        position=position,
    )
    if not verdict.acceptable:
        problems = [*verdict.invalid, *(f"answers.{code}: required" for code in verdict.missing)]
        raise InputError("; ".join(problems))
    before = {"state": task.state}
    task.answers = verdict.values
    task.warnings = verdict.warnings
    task.failed = bool(verdict.failed)
    task.failed_items = [f.as_json() for f in verdict.failed]
    task.state = "submitted"
    task.submitted_at = now
    task.submitted_by = principal.actor
    task.submitted_by_user_id = principal.user_id
    if position is not None:
        task.latitude, task.longitude = position
    session.flush()
    recorded = record_failure(
        session=session,
        index=index,
        policy=policy,
        task=task,
        failed=verdict.failed,
        now=now,
        actor=principal.actor,
    )
    task.finding_ids = [recorded.finding.id] if recorded else []
    mark_stale(session=session, enterprise_ids=[task.enterprise_id], reason="task", at=now)
    audit(
        session=session,
        at=now,
        actor=principal.actor,
        action="selfcheck_task.submit",
        entity_type="selfcheck_task",
        entity_id=task.id,
        before=before,
        after={
            "state": task.state,
            "on_time": task.on_time,
            "failed_items": [f.code for f in verdict.failed],
            "warnings": [w["kind"] for w in verdict.warnings],
            "finding_ids": task.finding_ids,
        },
        ip=ip,
        actor_user_id=principal.user_id,
    )
    return task


def notifications_for(*, session: Session, enterprise_id: int, limit: int = 20) -> Sequence[Any]:
    """The latest reminders of an enterprise with their task and point, newest first."""
    rows = session.execute(
        select(SelfcheckNotification, SelfcheckTask, ControlPoint)
        .join(SelfcheckTask, SelfcheckNotification.task_id == SelfcheckTask.id)
        .join(ControlPoint, SelfcheckTask.point_id == ControlPoint.id)
        .where(SelfcheckNotification.enterprise_id == enterprise_id)
        .order_by(SelfcheckNotification.created_at.desc(), SelfcheckNotification.id.desc())
        .limit(limit)
    )
    return list(rows)
