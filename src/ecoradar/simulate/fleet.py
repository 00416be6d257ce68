"""The simulated device fleet: one profile per registered monitoring point."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ecoradar.registry.models import MonitoringPoint
from ecoradar.simulate.traffic import FactorProfile, PointProfile


def load_profiles(session: Session, *, limit: int | None = None) -> list[PointProfile]:
    """Profiles of the registered points (by MN), each factor with its limit and reference O2."""
    query = (
        select(MonitoringPoint)
        .where(MonitoringPoint.outlet_id.is_not(None))  # enterprises' points, not stations
        .options(selectinload(MonitoringPoint.limits))
        .order_by(MonitoringPoint.mn)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        PointProfile(
            mn=point.mn,
            password=point.password or "123456",
            medium=point.medium,
            factors=tuple(
                FactorProfile(x.factor, x.effective_limit, x.o2_reference) for x in point.limits
            ),
        )
        for point in session.scalars(query)
    ]
