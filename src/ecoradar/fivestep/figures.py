"""What the self-screening and monitoring-review steps are judged on, computed from what the
platform holds over the campaign's period (reads only).

- Self-screening: the enterprise's self-inspection tasks due in the period: sent, submitted,
  submitted on time, overdue (open past their due time), failed (an item failed), and the
  findings the failures became.
- Monitoring review: per monitoring point, the hours it should have sent hourly values
  (from the period's start, or its first value ever, to the period's end or the data's "as
  of", whichever comes first) and the hours it did (online rate); the share of those hourly
  values that are valid (flag ``N`` or none: data quality); and the alerts of its points that
  overlap the period, by kind.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecoradar.detection.models import Alert
from ecoradar.monitoring.models import Measurement
from ecoradar.registry.models import MonitoringPoint, Outlet
from ecoradar.selfcheck.models import SelfcheckTask

VALID_FLAGS = ("N",)
ONLINE_RATE_TARGET = 0.9
"""Below this online rate (or data-quality share) the review counts as having findings."""


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def self_screening(
    *, session: Session, enterprise_id: int, first: date, last: date, now: datetime
) -> dict[str, Any]:
    tasks = list(
        session.scalars(
            select(SelfcheckTask)
            .where(
                SelfcheckTask.enterprise_id == enterprise_id,
                SelfcheckTask.due_date >= first,
                SelfcheckTask.due_date <= last,
            )
            .order_by(SelfcheckTask.due_date, SelfcheckTask.id)
        )
    )
    submitted = [t for t in tasks if t.submitted_at is not None]
    on_time = [t for t in submitted if t.submitted_at is not None and t.submitted_at <= t.due_at]
    overdue = [t for t in tasks if t.submitted_at is None and t.due_at < now]
    failed = [t for t in tasks if t.failed]
    finding_ids = sorted({f for t in failed for f in (t.finding_ids or [])})
    return {
        "tasks": len(tasks),
        "submitted": len(submitted),
        "on_time": len(on_time),
        "overdue": len(overdue),
        "failed": len(failed),
        "completion_rate": _share(len(submitted), len(tasks)),
        "task_ids": [t.id for t in tasks],
        "overdue_task_ids": [t.id for t in overdue],
        "failed_task_ids": [t.id for t in failed],
        "finding_ids": finding_ids,
    }


def self_screening_outcome(figures: dict[str, Any]) -> str:
    return "findings" if figures["overdue"] or figures["failed"] else "clean"


def _hours(start: datetime, end: datetime) -> int:
    return max(0, int((end - start) / timedelta(hours=1)))


def monitoring(
    *, session: Session, enterprise_id: int, since: datetime, until: datetime, as_of: datetime
) -> dict[str, Any]:
    end = min(until, as_of)
    points = session.execute(
        select(MonitoringPoint.id, MonitoringPoint.mn, Outlet.code)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .where(Outlet.enterprise_id == enterprise_id)
        .order_by(Outlet.code, MonitoringPoint.id)
    ).all()
    rows = []
    expected_total = with_data_total = values_total = valid_total = 0
    for point_id, mn, outlet in points:
        first = session.scalar(
            select(func.min(Measurement.data_time)).where(
                Measurement.point_id == point_id, Measurement.kind == "hour"
            )
        )
        start = max(since, first) if first is not None else since
        expected = _hours(start, end) if first is not None and first < end else 0
        hours = session.scalar(
            select(func.count(func.distinct(Measurement.data_time))).where(
                Measurement.point_id == point_id,
                Measurement.kind == "hour",
                Measurement.data_time >= since,
                Measurement.data_time < end,
            )
        )
        values, valid = session.execute(
            select(
                func.count(),
                func.count().filter(
                    or_(Measurement.flag.is_(None), Measurement.flag.in_(VALID_FLAGS))
                ),
            ).where(
                Measurement.point_id == point_id,
                Measurement.kind == "hour",
                Measurement.data_time >= since,
                Measurement.data_time < end,
            )
        ).one()
        hours = min(int(hours or 0), expected)
        expected_total += expected
        with_data_total += hours
        values_total += int(values or 0)
        valid_total += int(valid or 0)
        rows.append(
            {
                "point_id": point_id,
                "mn": mn,
                "outlet": outlet,
                "expected_hours": expected,
                "hours_with_data": hours,
                "online_rate": _share(hours, expected),
                "values": int(values or 0),
                "valid_share": _share(int(valid or 0), int(values or 0)),
            }
        )
    point_ids = [p[0] for p in points]
    alerts = Counter(
        kind
        for (kind,) in session.execute(
            select(Alert.kind).where(
                Alert.point_id.in_(point_ids),
                Alert.start < until,
                or_(Alert.end.is_(None), Alert.end >= since),
            )
        )
    )
    return {
        "points": rows,
        "expected_hours": expected_total,
        "hours_with_data": with_data_total,
        "online_rate": _share(with_data_total, expected_total),
        "values": values_total,
        "valid_share": _share(valid_total, values_total),
        "alerts": dict(sorted(alerts.items())),
        "alerts_total": sum(alerts.values()),
        "as_of": end.isoformat(),
    }


def monitoring_outcome(figures: dict[str, Any]) -> str:
    low = [
        figures[key] is not None and figures[key] < ONLINE_RATE_TARGET
        for key in ("online_rate", "valid_share")
    ]
    return "findings" if figures["alerts_total"] or any(low) else "clean"
