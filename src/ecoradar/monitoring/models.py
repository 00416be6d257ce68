"""Measurements (one row per point, factor, kind and data time) and the raw packet archive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit keys on PostgreSQL; SQLite's rowid alias must be declared INTEGER."""

KINDS = ("rtd", "minute", "hour", "day")
"""Kinds of value, by the HJ 212 command that carried them: 2011, 2051, 2061, 2031."""
VALUE_FIELDS = ("rtd", "avg", "min", "max", "zs_rtd", "zs_avg", "zs_min", "zs_max", "cou")
"""The numeric fields of a measurement, from the suffixes Rtd, Avg, ... ZsMax, Cou."""


class Measurement(Base):
    """Keyed by its natural key, so a retransmission can never double a value. On SQLite the
    table is WITHOUT ROWID: one B-tree instead of a table plus a unique index."""

    __tablename__ = "measurements"
    __table_args__ = {"sqlite_with_rowid": False}

    point_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_points.id", ondelete="CASCADE"), primary_key=True
    )
    factor: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    data_time: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
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


class RawPacket(Base):
    """Every packet received, as received, with what became of it. Nothing is dropped."""

    __tablename__ = "raw_packets"
    __table_args__ = (
        Index("ix_raw_packets_mn_received_at", "mn", "received_at"),
        Index("ix_raw_packets_outcome", "outcome", "reason"),
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
