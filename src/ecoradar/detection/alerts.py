"""Writing detected spans as alerts: one alert per point, factor, kind and stretch of time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoradar.detection.models import Alert
from ecoradar.greencode.stale import mark_points

if TYPE_CHECKING:
    from ecoradar.detection.engine import PointSpan
    from ecoradar.detection.params import PointConfig


def record_spans(
    session: Session,
    configs: Mapping[int, PointConfig],
    spans: Sequence[PointSpan],
    now: datetime,
) -> list[Alert]:
    """Create or update an alert per span.

    A span updates the stored alert of the same point, factor and kind that it overlaps or
    shares its start with (a continuing condition extends its alert; re-detection after a
    restart or a refold finds the alert it raised before); otherwise it opens a new alert.
    """
    touched: list[Alert] = []
    opened_or_closed: set[int] = set()
    for item in spans:
        span = item.span
        query = select(Alert).where(
            Alert.point_id == item.point_id,
            Alert.factor == span.factor,
            Alert.kind == span.kind,
            or_(Alert.end.is_(None), Alert.end > span.start),
        )
        if span.end is not None:
            query = query.where(Alert.start < span.end)
        existing = session.scalars(query.order_by(Alert.start).limit(1)).first()
        if existing is None:
            existing = session.scalars(
                select(Alert).where(
                    Alert.point_id == item.point_id,
                    Alert.factor == span.factor,
                    Alert.kind == span.kind,
                    Alert.start == span.start,
                )
            ).first()
        if existing is None:
            alert = Alert(
                point_id=item.point_id,
                factor=span.factor,
                kind=span.kind,
                start=span.start,
                end=span.end,
                severity=span.severity,
                evidence=span.evidence,
                raised_at=now,
                updated_at=now,
            )
            session.add(alert)
            session.flush()
            touched.append(alert)
            opened_or_closed.add(item.point_id)
            continue
        if span.start < existing.start:
            existing.start = span.start
        if existing.end is None or span.end is None or span.end > existing.end:
            if (existing.end is None) != (span.end is None):
                opened_or_closed.add(item.point_id)
            existing.end = span.end
        existing.severity = _worse(existing.severity, span.severity)
        existing.evidence = span.evidence
        existing.updated_at = now
        touched.append(existing)
    if touched:
        session.flush()
    if opened_or_closed:  # one statement per written batch: the green code's queue
        mark_points(session=session, point_ids=opened_or_closed, reason="alert", at=now)
    return touched


_RANK = {"low": 0, "medium": 1, "high": 2}


def _worse(a: str, b: str) -> str:
    return a if _RANK.get(a, 0) >= _RANK.get(b, 0) else b
