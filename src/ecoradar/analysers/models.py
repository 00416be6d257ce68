"""The parameter history of each point's analysers: one row per point, factor and data time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime


class AnalyserParameter(Base):
    """The parameters one analyser (``factor``: the packet's ``PolId``) reported at
    ``data_time``. Keyed by (point, factor, data time), so a retransmission never doubles a
    record; the first stands and every copy stays in the raw archive."""

    __tablename__ = "analyser_parameters"
    __table_args__ = (UniqueConstraint("point_id", "factor", "data_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_points.id", ondelete="CASCADE"), index=True
    )
    factor: Mapped[str] = mapped_column(String(16))
    data_time: Mapped[datetime] = mapped_column(UTCDateTime)
    range_value: Mapped[float | None] = mapped_column(Float)
    """i13001 measuring range."""
    calibrated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """i13006 time of the last calibration."""
    intercept: Mapped[float | None] = mapped_column(Float)
    """i13007."""
    slope: Mapped[float | None] = mapped_column(Float)
    """i13008."""
    info: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Every i13xxx item as sent (``{"i13004": "168.0", ...}``)."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
