"""Monitoring alerts become findings: each alert once (``source_ref`` ``alert:<id>``), attached
to the open problem about the same point, factor and kind, or opening one.

This runs from the scheduler rather than inside the ingest transaction, so detection stays as
fast as the stream needs and a problem-register failure can never hold up measurements.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session

from ecoradar.detection.models import DEVICE_LEVEL, Alert
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Finding
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet

CATEGORY_BY_MEDIUM = {"gas": "air", "water": "water"}


def alert_ref(alert_id: int) -> str:
    return f"alert:{alert_id}"


def match_key(point_id: int, factor: str, kind: str) -> str:
    return f"alert:{point_id}:{factor or '-'}:{kind}"


def pending_alerts(*, session: Session, limit: int) -> list[Alert]:
    """Alerts that have no finding yet, oldest first."""
    ref = literal("alert:") + cast(Alert.id, String)
    known = exists().where(Finding.channel == "monitoring", Finding.source_ref == ref)
    routable = (
        select(Alert)
        .join(MonitoringPoint, Alert.point_id == MonitoringPoint.id)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
        .where(~known, Enterprise.region_id.is_not(None))
    )
    return list(session.scalars(routable.order_by(Alert.id).limit(limit)))


def promote_alerts(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    now: datetime,
    actor: str = "system:scheduler",
    limit: int = 500,
) -> int:
    """Turn up to ``limit`` alerts without a finding into findings; returns how many."""
    count = 0
    for alert in pending_alerts(session=session, limit=limit):
        owner = _owner(session, alert.point_id)
        if owner is None:
            continue
        record_finding(
            session=session,
            index=index,
            item=finding_for(alert, *owner, now=now),
            now=now,
            actor=actor,
            policy=policy,
        )
        count += 1
    return count


def finding_for(
    alert: Alert, point: MonitoringPoint, enterprise: Enterprise, *, now: datetime
) -> FindingIn:
    """The finding an alert becomes: place and enterprise from the registry. It is observed
    when the alert starts, but never after ``now``: a device whose clock runs ahead raises a
    ``time_anomaly`` alert that starts in the future (its data keeps the real start)."""
    factor = None if alert.factor == DEVICE_LEVEL else alert.factor
    what = f"{alert.kind} {factor}" if factor else alert.kind
    return FindingIn(
        channel="monitoring",
        category=CATEGORY_BY_MEDIUM.get(point.medium, "other"),
        lat=enterprise.latitude,
        lon=enterprise.longitude,
        region_id=enterprise.region_id,
        observed_at=min(alert.start, now),
        title=f"{enterprise.name} {point.mn}: {what}",
        description=f"{enterprise.name} ({enterprise.code}), {point.mn}: {what}",
        severity=alert.severity,
        source_ref=alert_ref(alert.id),
        enterprise_id=enterprise.id,
        point_id=point.id,
        match_key=match_key(point.id, alert.factor, alert.kind),
        data={
            "alert_id": alert.id,
            "kind": alert.kind,
            "factor": factor,
            "mn": point.mn,
            "start": alert.start.isoformat(),
            "end": alert.end.isoformat() if alert.end else None,
            "evidence": alert.evidence,
        },
    )


def _owner(session: Session, point_id: int) -> tuple[MonitoringPoint, Enterprise] | None:
    row = session.execute(
        select(MonitoringPoint, Enterprise)
        .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
        .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
        .where(MonitoringPoint.id == point_id)
    ).first()
    return None if row is None else (row[0], row[1])


__all__ = ["finding_for", "match_key", "pending_alerts", "promote_alerts", "record_finding"]
