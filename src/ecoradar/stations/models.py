"""Ambient monitoring stations: air-quality (HJ 212 ST=22) and surface-water (ST=21) stations.

A station is not an enterprise. Its data acquisition unit is a row of ``monitoring_points`` with
``station_id`` set and no outlet (migration 0024), so the gateway lets it in by MN and password
and its values go to the same ``measurements`` table as every other device's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, UTCDateTime
from ecoradar.regions.models import Region
from ecoradar.registry.models import MonitoringPoint

KINDS = ("air", "water")
"""``air``: ambient air quality (GB 3095-2012); ``water``: surface water (GB 3838-2002)."""
KIND_MEDIUM = {"air": "gas", "water": "water"}
"""The medium of a station's monitoring point (how 2005 factor codes are read)."""
KIND_SYSTEM = {"air": "22", "water": "21"}
"""The HJ 212 system code (ST) a station of each kind sends."""


class Station(Base):
    """One ambient monitoring station, known by its code, with one data acquisition unit."""

    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("kind IN ('air', 'water')", name="kind"),
        CheckConstraint(
            "(kind = 'water') = (water_class IS NOT NULL)", name="water_class_for_water"
        ),
        CheckConstraint("water_class IS NULL OR water_class BETWEEN 1 AND 5", name="water_class"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    longitude: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float] = mapped_column(Float)
    """WGS84."""
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    water_class: Mapped[int | None] = mapped_column(Integer)
    """The GB 3838-2002 class a water station is judged against (1-5 for I-V; III by default);
    ``None`` for air."""
    evaluated_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Hours before this have been judged by the station rules (``stations.evaluate``)."""
    late_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Packets received up to this time have been looked at for hours that came after their
    time was judged (``stations.rejudge``; migration 0027)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship(lazy="joined")
    point: Mapped[MonitoringPoint] = relationship(
        primaryjoin="Station.id == foreign(MonitoringPoint.station_id)",
        uselist=False,
        lazy="joined",
        viewonly=True,
    )
