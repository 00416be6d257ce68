"""Alerts raised by the detection engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime

Kind = Literal[
    "exceedance",
    "flatline",
    "zero_value",
    "offline",
    "near_limit_pinning",
    "repeated_sequence",
    "over_range",
    "negative_value",
    "flag_abuse",
    "o2_anomaly",
    "time_anomaly",
    "parameter_tampering",
    "variance_collapse",
    "cloned_stream",
    "limit_bunching",
    "inspection_drop",
    "dilution",
    "rounded_values",
]
KINDS: tuple[str, ...] = get_args(Kind)
"""Every alert kind of issue #4, in the order the documentation lists them."""

DEVICE_LEVEL = ""
"""The ``factor`` stored for device-level alerts (offline, time anomalies); exported as null."""


class Alert(Base):
    """One alert: a condition at a monitoring point (and factor) over ``[start, end)``.

    The natural key is (point, factor, kind, start): re-detecting the same condition after a
    restart or a second replay updates the alert, never duplicates it. ``end`` is ``None`` while
    the condition lasts.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index("uq_alerts_natural", "point_id", "factor", "kind", "start", unique=True),
        Index("ix_alerts_kind_start", "kind", "start"),
        Index("ix_alerts_open", "point_id", "factor", "kind", "end"),
        Index("ix_alerts_start_id", "start", "id"),  # the list's order (0029)
        Index("ix_alerts_updated_id", "updated_at", "id"),  # the newest change (0029)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("monitoring_points.id", ondelete="CASCADE"))
    factor: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    severity: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
