"""Measurements (one row per point, factor, kind and data time) and the raw packet archive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit keys on PostgreSQL; SQLite's rowid alias must be declared INTEGER."""

KINDS = ("rtd", "minute", "hour", "day")
"""Kinds of value, by the HJ 212 command that carried them: 2011, 2051, 2061, 2031."""
UNKNOWN_DEVICE = "outcome = 'unknown_device'"
"""The condition of the archive's partial index of unknown devices' packets: a query must say
it in these words (not with a bound value) for SQLite to use the index."""
VALUE_FIELDS = ("rtd", "avg", "min", "max", "zs_rtd", "zs_avg", "zs_min", "zs_max", "cou")
"""The numeric fields of a measurement, from the suffixes Rtd, Avg, ... ZsMax, Cou."""


class Measurement(Base):
    """Keyed by its natural key, so a retransmission can never double a value. The key is
    point-first, then kind and time (the factor last): a point's values of a kind over a time
    range, its newest value and its oldest ones are ranges of the key. On SQLite the table is
    WITHOUT ROWID: one B-tree instead of a table plus a unique index. On PostgreSQL it is
    partitioned by kind and time (``ecoradar.monitoring.partitions``) and the key's index
    carries Avg, Rtd and the flag, so a point's aggregates are read from the index alone."""

    __tablename__ = "measurements"
    __table_args__ = (
        PrimaryKeyConstraint(
            "point_id", "kind", "data_time", "factor", postgresql_include=["avg", "rtd", "flag"]
        ),
        {"sqlite_with_rowid": False},
    )

    point_id: Mapped[int] = mapped_column(ForeignKey("monitoring_points.id", ondelete="CASCADE"))
    factor: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))
    data_time: Mapped[datetime] = mapped_column(UTCDateTime)
    rtd: Mapped[float | None] = mapped_column(Float)
    avg: Mapped[float | None] = mapped_column(Float)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    zs_rtd: Mapped[float | None] = mapped_column(Float)
    zs_avg: Mapped[float | None] = mapped_column(Float)
    zs_min: Mapped[float | None] = mapped_column(Float)
    zs_max: Mapped[float | None] = mapped_column(Float)
    cou: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(4))
    """The item's data flag as sent (N, F, M, S, D, C, T, B, P); ``None`` when not sent."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """An hourly value made from minute or real-time values before those were deleted
    (``ecoradar.monitoring.retention``), not one a device sent."""


class RawPacket(Base):
    """Every packet received, as received, with what became of it. Nothing is dropped on
    arrival; retention deletes packets older than ``ECORADAR_KEEP_RAW_DAYS``. On PostgreSQL
    the table is partitioned by ``received_at`` and its key is (id, received_at)."""

    __tablename__ = "raw_packets"
    __table_args__ = (
        # The monitoring pages read these alone (no table reads): a device's latest packet
        # and its counts by outcome and reason; the counts overall; the unknown devices.
        Index("ix_raw_packets_mn_received_at", "mn", "received_at", "outcome", "reason"),
        Index("ix_raw_packets_outcome", "outcome", "reason"),
        Index(
            "ix_raw_packets_unknown_device",
            "mn",
            "received_at",
            "id",
            sqlite_where=text(UNKNOWN_DEVICE),
            postgresql_where=text(UNKNOWN_DEVICE),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    peer: Mapped[str] = mapped_column(String(128))
    mn: Mapped[str | None] = mapped_column(String(64))
    cn: Mapped[str | None] = mapped_column(String(8))
    qn: Mapped[str | None] = mapped_column(String(32))
    data_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_points.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    """stored, duplicate, message (no data to store), unknown_device, auth_failed, refused."""
    reason: Mapped[str | None] = mapped_column(String(32))
    """Why it was refused: a codec reason (bad_crc, ...) or wrong_password."""
    detail: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class InboxProgress(Base):
    """How far a gateway writer's inbox (``ecoradar.monitoring.inbox``) has been stored: every
    item up to ``item`` of batch ``batch_id`` (0-based; a whole batch is its last item's index).
    Written in the transaction that stores those items, so none is stored twice."""

    __tablename__ = "gateway_inbox_progress"

    generation: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The inbox file's random id: a new file never inherits an old one's progress."""
    batch_id: Mapped[int] = mapped_column(BigId)
    item: Mapped[int] = mapped_column(Integer)
