"""The enterprise registry: enterprises, their outlets, monitoring points and factor limits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime
from ecoradar.regions.models import Region


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)
    """Unified social credit code (GB 32100-2015)."""
    name: Mapped[str] = mapped_column(String(200), index=True)
    industry: Mapped[str] = mapped_column(String(8), index=True)
    """Industry code of GB/T 4754."""
    longitude: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float] = mapped_column(Float)
    """WGS84, whatever system the input used."""
    source_crs: Mapped[str] = mapped_column(String(8), default="wgs84")
    address: Mapped[str] = mapped_column(String(400), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    permit_no: Mapped[str | None] = mapped_column(String(64))
    """The pollutant discharge permit's number (排污许可证编号), if recorded."""
    permit_valid_until: Mapped[date | None] = mapped_column(Date)
    """The permit's last valid day (China date), if recorded."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    region: Mapped[Region | None] = relationship(lazy="joined")
    outlets: Mapped[list[Outlet]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="Outlet.code"
    )


class Outlet(Base):
    __tablename__ = "outlets"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")

    enterprise: Mapped[Enterprise] = relationship(back_populates="outlets")
    points: Mapped[list[MonitoringPoint]] = relationship(
        back_populates="outlet", cascade="all, delete-orphan", order_by="MonitoringPoint.mn"
    )


class MonitoringPoint(Base):
    """An HJ 212 data acquisition unit, known by its MN: at an enterprise's outlet, or at an
    ambient monitoring station (``ecoradar.stations``; exactly one of the two is set)."""

    __tablename__ = "monitoring_points"
    __table_args__ = (
        CheckConstraint("medium IN ('gas', 'water')", name="medium"),
        CheckConstraint("(outlet_id IS NULL) <> (station_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int | None] = mapped_column(
        ForeignKey("outlets.id", ondelete="CASCADE"), index=True
    )
    """The outlet of an enterprise's point; ``None`` for a station's point. Queries about
    enterprises reach points through their outlet (an inner join leaves stations out)."""
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), unique=True
    )
    """The ambient station whose data acquisition unit this is; ``None`` at an outlet."""
    mn: Mapped[str] = mapped_column(String(64), unique=True)
    password: Mapped[str | None] = mapped_column(String(64))
    """The device's HJ 212 PW; ``None`` means unprotected (not checked)."""
    medium: Mapped[str] = mapped_column(String(8))
    text_encoding: Mapped[str] = mapped_column(String(16), default="utf-8")
    accept_modbus_crc: Mapped[bool] = mapped_column(Boolean, default=False)
    detection: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """Detection thresholds overridden for this point (see ``detection.params.Params``)."""

    outlet: Mapped[Outlet] = relationship(back_populates="points")
    """Typed as always there: every path that reads it reached the point through its outlet
    (a station's point has none; see ``station_id``)."""
    limits: Mapped[list[PointLimit]] = relationship(
        back_populates="point", cascade="all, delete-orphan", order_by="PointLimit.factor"
    )

    @property
    def protected(self) -> bool:
        return bool(self.password)


class PointLimit(Base):
    """The limit of one factor at one monitoring point: explicit, or from a named standard."""

    __tablename__ = "point_limits"
    __table_args__ = (
        UniqueConstraint("point_id", "factor"),
        CheckConstraint("averaging IN ('hour', 'day')", name="averaging"),
        CheckConstraint("limit_value IS NULL OR limit_value >= 0", name="limit_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_points.id", ondelete="CASCADE"), index=True
    )
    factor: Mapped[str] = mapped_column(String(16))
    limit_value: Mapped[float | None] = mapped_column(Float)
    """As imported; ``None`` when the limit comes from ``standard``."""
    unit: Mapped[str] = mapped_column(String(16))
    averaging: Mapped[str] = mapped_column(String(4))
    o2_reference: Mapped[float | None] = mapped_column(Float)
    standard: Mapped[str | None] = mapped_column(String(64))
    effective_limit: Mapped[float] = mapped_column(Float)
    """The limit that applies: ``limit_value``, else the standard's value for the factor."""
    detection: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """Detection thresholds overridden for this factor at this point."""

    point: Mapped[MonitoringPoint] = relationship(back_populates="limits")
