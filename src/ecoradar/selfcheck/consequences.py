"""What a self-inspection leads to in the problem register.

- A submitted task with failed items (a reading out of range, "no" on a must-be-yes item) is
  one finding (channel ``self_inspection``, ``source_ref`` ``selfcheck-task:<task id>``, the
  task as evidence). Its ``match_key`` is ``selfcheck:<point id>:<item code>`` of the first
  failed item in checklist order, so the same item failing again at the same point attaches
  to the same open problem; the finding's data lists every failed item.
- ``REPEATED_OVERDUE`` consecutive overdue tasks of a point are one finding "repeated overdue"
  (``source_ref`` ``selfcheck-overdue:<point id>:<id of the last submitted task before the
  streak, or 0>``, ``match_key`` ``selfcheck-overdue:<point id>``): a streak growing longer adds
  nothing; a submission ends it, and the next streak is a new finding.

``record_finding`` records the same ``(channel, source_ref)`` once, so either can run again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.problems.intake import FindingIn, Recorded, record_finding
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex
from ecoradar.selfcheck.checks import FailedItem
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask

CHANNEL = "self_inspection"
REPEATED_OVERDUE = 3
"""This many overdue tasks in a row at one point make a finding."""


def task_ref(task_id: int) -> str:
    return f"selfcheck-task:{task_id}"


def item_key(point_id: int, item_code: str) -> str:
    return f"selfcheck:{point_id}:{item_code}"


def overdue_key(point_id: int) -> str:
    return f"selfcheck-overdue:{point_id}"


def record_failure(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    task: SelfcheckTask,
    failed: Sequence[FailedItem],
    now: datetime,
    actor: str,
) -> Recorded | None:
    """The finding of a task with failed items (``None`` when nothing failed)."""
    if not failed:
        return None
    point = task.point
    enterprise = point.enterprise
    what = "、".join(f"{f.label}（{_value_text(f)}）" for f in failed)
    item = FindingIn(
        channel=CHANNEL,
        category=point.point_type.category,
        lat=point.latitude,
        lon=point.longitude,
        region_id=enterprise.region_id,
        observed_at=min(task.submitted_at or now, now),
        title=f"{enterprise.name} {point.name}: 自查不合格",
        description=f"{enterprise.name}（{enterprise.code}）{point.name} "
        f"{task.due_date.isoformat()} 自查不合格项：{what}",
        severity="medium",
        source_ref=task_ref(task.id),
        enterprise_id=enterprise.id,
        match_key=item_key(point.id, failed[0].code),
        data={
            "task_id": task.id,
            "point_id": point.id,
            "point_code": point.code,
            "due_date": task.due_date.isoformat(),
            "template_version_id": task.template_version_id,
            "failed_items": [f.as_json() for f in failed],
            "photos": [p.get("media_id") for p in task.photos or []],
        },
    )
    return record_finding(
        session=session, index=index, item=item, now=now, actor=actor, policy=policy
    )


def _value_text(failed: FailedItem) -> str:
    if isinstance(failed.value, bool):
        return "是" if failed.value else "否"
    return f"{failed.value:g}" if isinstance(failed.value, float) else str(failed.value)


def overdue_streak(*, session: Session, point_id: int) -> tuple[int, int]:
    """``(id of the last submitted task or 0, overdue tasks after it)`` of a point."""
    last = session.execute(
        select(SelfcheckTask.id, SelfcheckTask.due_date)
        .where(SelfcheckTask.point_id == point_id, SelfcheckTask.state == "submitted")
        .order_by(SelfcheckTask.due_date.desc())
        .limit(1)
    ).first()
    count = select(func.count()).where(
        SelfcheckTask.point_id == point_id, SelfcheckTask.state == "overdue"
    )
    if last is not None:
        count = count.where(SelfcheckTask.due_date > last[1])
    return (last[0] if last else 0), int(session.scalar(count) or 0)


def record_repeated_overdue(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    point_ids: Iterable[int],
    now: datetime,
    actor: str,
    streak: int = REPEATED_OVERDUE,
) -> int:
    """A finding for every point among ``point_ids`` with ``streak`` overdue tasks in a row
    (once per streak); returns how many new findings."""
    made = 0
    for point_id in sorted(set(point_ids)):
        last_submitted, overdue = overdue_streak(session=session, point_id=point_id)
        if overdue < streak:
            continue
        point = session.get(ControlPoint, point_id)
        if point is None:
            continue
        enterprise = point.enterprise
        recorded = record_finding(
            session=session,
            index=index,
            item=FindingIn(
                channel=CHANNEL,
                category=point.point_type.category,
                lat=point.latitude,
                lon=point.longitude,
                region_id=enterprise.region_id,
                observed_at=now,
                title=f"{enterprise.name} {point.name}: 自查任务连续逾期",
                description=f"{enterprise.name}（{enterprise.code}）{point.name} "
                f"连续 {overdue} 次自查任务逾期未完成",
                severity="medium",
                source_ref=f"selfcheck-overdue:{point.id}:{last_submitted}",
                enterprise_id=enterprise.id,
                match_key=overdue_key(point.id),
                data={"point_id": point.id, "point_code": point.code, "overdue": overdue},
            ),
            now=now,
            actor=actor,
            policy=policy,
        )
        made += 0 if recorded.already_known else 1
    return made
