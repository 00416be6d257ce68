"""The power registry (an enterprise's production units and treatment facilities, and the
meters on them), the readings the meters send, and the episodes the rules found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime

UNIT_KINDS = ("production", "treatment")
"""A production unit (产污设施: a line, a kiln, a reactor) or a treatment facility (治污设施)."""
TREATS = ("gas", "water", "other")
"""What a treatment facility treats: waste gas, waste water, something else."""
RULES = ("treatment_idle", "monitoring_offline")
"""The episodes the rules find (``power.rules``)."""
SOURCES = ("mqtt", "http")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PowerUnit(Base):
    """A production unit or a treatment facility of an enterprise, known by its code there.
    A treatment facility ``serves`` some production units (their codes); none listed: all."""

    __tablename__ = "power_units"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "code"),
        CheckConstraint(_one_of("kind", UNIT_KINDS), name="kind"),
        CheckConstraint(f"treats IS NULL OR {_one_of('treats', TREATS)}", name="treats"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    treats: Mapped[str | None] = mapped_column(String(8))
    """A treatment facility's medium; None for a production unit."""
    serves: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PowerMeter(Base):
    """A meter on one unit. ``running_kw``: at or above it the unit runs; ``idle_kw``: below
    it the unit idles (and below ``rules.OFF_SHARE`` of rated it is off). ``interval_s`` is how
    often the meter reports. ``points``: the MNs of the monitoring points it relates to."""

    __tablename__ = "power_meters"
    __table_args__ = (
        CheckConstraint("rated_kw > 0", name="rated"),
        CheckConstraint("idle_kw > 0 AND idle_kw <= running_kw", name="thresholds"),
        CheckConstraint("interval_s >= 1 AND interval_s <= 3600", name="interval"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    """The meter id the gateway sends (the last level of the MQTT topic)."""
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("power_units.id", ondelete="CASCADE"), index=True
    )
    rated_kw: Mapped[float] = mapped_column(Float)
    running_kw: Mapped[float] = mapped_column(Float)
    idle_kw: Mapped[float] = mapped_column(Float)
    interval_s: Mapped[int] = mapped_column(Integer, default=60)
    points: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[PowerUnit] = relationship(lazy="joined")


class PowerReading(Base):
    """One reading: the power at ``at`` (kW) and the meter's counter (kWh) if sent. Keyed by
    meter and time, so a message sent twice is stored once (the first value stays)."""

    __tablename__ = "power_readings"
    __table_args__ = (
        PrimaryKeyConstraint("meter_id", "at"),
        CheckConstraint(_one_of("source", SOURCES), name="source"),
    )

    meter_id: Mapped[int] = mapped_column(ForeignKey("power_meters.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kw: Mapped[float] = mapped_column(Float)
    kwh: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PowerEpisode(Base):
    """A stretch of time in which a rule held: ``subject`` is the treatment facility's code
    (``treatment_idle``) or the monitoring point's MN (``monitoring_offline``). Stored once it
    lasts ``rules.MIN_EPISODE``; it grows while the condition lasts, and becomes one finding.
    Late readings re-judge it: it may shrink, be split, or be withdrawn (never deleted)."""

    __tablename__ = "power_episodes"
    __table_args__ = (
        CheckConstraint(_one_of("rule", RULES), name="rule"),
        UniqueConstraint("enterprise_id", "rule", "subject", "start"),
        Index("ix_power_episodes_enterprise_start", "enterprise_id", "start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(8))
    """What the subject was: ``off`` or ``idle`` (a facility), ``silent`` (a point)."""
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set when readings that came late showed the rule did not hold (``power.revise``):
    the episode and its finding stay, marked, with ``withdrawn_reason``."""
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    split_from: Mapped[int | None] = mapped_column(Integer)
    """The episode this one was split off when late readings broke it in two."""
