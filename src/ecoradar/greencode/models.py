"""The green code: the current code of each enterprise, its history, the queue of enterprises
whose code is stale, the nightly passes, and repair applications.

``greencode_codes`` holds one row per enterprise (the code in force); ``greencode_history``
one row per change of colour and at least one per China day (the chart's series), each with
the indicators and the events behind it. ``greencode_stale`` is filled by the writers of the
inputs in their own transactions (cheap: one upsert) and emptied by the scheduler's pass.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime

COLOURS = ("green", "blue", "yellow", "red", "black")
"""Every colour of both schemes: ``three`` uses green, yellow, red; ``five`` all five."""
HISTORY_KINDS = ("colour", "daily", "first")
"""Why a history row was written: the colour changed, the first computation of a China day,
or the enterprise's first code."""
REPAIR_STATES = ("pending", "approved", "rejected")
STALE_REASON_MAX = 32


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class GreenCode(Base):
    """The code in force for one enterprise."""

    __tablename__ = "greencode_codes"
    __table_args__ = (
        CheckConstraint(_one_of("colour", COLOURS), name="colour"),
        CheckConstraint("score >= 0 AND score <= 100", name="score"),
        Index("ix_greencode_codes_colour_score", "colour", "score"),
        Index("ix_greencode_codes_score", "score"),
    )

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    colour: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    """0-100, higher is better (capped under a veto, see ``model.toml`` ``veto.score_cap``)."""
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """``{name: {"score": float | None, "weight", "has_data", "detail": {...},
    "events": [event, ...]}}``; an event is ``{"type", "id", "text", "public_text", "at"}``."""
    vetoes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """``[{"key", "rule", "problem_id", "event": event}]``: the vetoes in force."""
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """``[{"indicator", "text", "public_text", "events": [{"type", "id"}]}]``; empty when
    green."""
    model_version: Mapped[str] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(8))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The end of the newest stored hour of monitoring data the code saw (replayed data may be
    old); None without any monitoring data."""
    colour_since: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the code took its present colour."""


class GreenCodeHistory(Base):
    """One point of an enterprise's history: every change of colour, and the first computation
    of every China day."""

    __tablename__ = "greencode_history"
    __table_args__ = (
        CheckConstraint(_one_of("colour", COLOURS), name="colour"),
        CheckConstraint(
            f"previous_colour IS NULL OR {_one_of('previous_colour', COLOURS)}",
            name="previous_colour",
        ),
        CheckConstraint(_one_of("kind", HISTORY_KINDS), name="kind"),
        Index("ix_greencode_history_enterprise_at", "enterprise_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(8))
    colour: Mapped[str] = mapped_column(String(8))
    previous_colour: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSONType)
    vetoes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    model_version: Mapped[str] = mapped_column(String(32))
    data_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaleCode(Base):
    """An enterprise whose code must be recomputed: one row per enterprise at most (the first
    reason is kept), written in the transaction that changed the input."""

    __tablename__ = "greencode_stale"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(STALE_REASON_MAX))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GreenCodePass(Base):
    """A completed recomputation of every enterprise ("nightly"), one per China day."""

    __tablename__ = "greencode_passes"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    """The China calendar day of the pass."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enterprises: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(String(32))


class RepairApplication(Base):
    """An enterprise's application to repair a red code after rectification: it covers the
    vetoes in force when filed (``covers``: their keys); approval lifts them."""

    __tablename__ = "greencode_repairs"
    __table_args__ = (
        CheckConstraint(_one_of("state", REPAIR_STATES), name="state"),
        Index("ix_greencode_repairs_enterprise_state", "enterprise_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10))
    covers: Mapped[list[str]] = mapped_column(JSONType)
    """The veto keys (``problem:<id>:<rule>``) the application asks to lift."""
    statement: Mapped[str] = mapped_column(Text)
    """What the enterprise did to rectify."""
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by: Mapped[str] = mapped_column(String(120))
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
