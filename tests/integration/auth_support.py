"""Test data for the auth tests: one alert at each monitoring point of the small registry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.detection.models import DEVICE_LEVEL, Alert
from ecoradar.registry.models import MonitoringPoint


def add_alerts(box: Container) -> dict[str, int]:
    """An open ``offline`` alert at every monitoring point (committed): MN -> alert id."""
    now = box.clock.now()
    made: dict[str, Alert] = {}
    with box.transaction() as session:
        for point in session.scalars(select(MonitoringPoint).order_by(MonitoringPoint.mn)):
            alert = Alert(
                point_id=point.id,
                factor=DEVICE_LEVEL,
                kind="offline",
                start=now - timedelta(hours=5),
                end=None,
                severity="medium",
                evidence={"rule": "offline", "hours": 5},
                raised_at=now,
                updated_at=now,
            )
            session.add(alert)
            made[point.mn] = alert
        session.flush()
        return {mn: alert.id for mn, alert in made.items()}
