"""Inspection draws ("double random, one public"): the conflicts of interest inspectors
declare, the draws (with everything needed to re-run them), the inspections each draw makes
(the inspectors' tasks) and who was drawn to do them.

A draw stores its inputs as they were: the seed, the rates per colour, the colour used for an
enterprise without a code, the green-code model's version, every candidate enterprise with its
colour (``candidates``), and for each drawn enterprise the inspectors that were eligible
(``Inspection.eligible``). With ``inspections.draw`` that is enough to draw it again.
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise

INSPECTION_STATES = ("assigned", "done", "unstaffed")
"""``assigned``: drawn and staffed, to be done; ``done``: the result is recorded;
``unstaffed``: too few inspectors were eligible (listed, not dropped)."""
OUTCOMES = ("clean", "findings", "refused")
"""What an inspection found: nothing, findings (into the problem register), or the enterprise
refused the inspection (a ``refused_inspection`` violation, a green-code veto)."""
COLOURS = ("green", "blue", "yellow", "red", "black")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Conflict(Base):
    """An inspector's declared conflict of interest with an enterprise: while in force
    (``withdrawn_at`` is None) the inspector is never drawn for it."""

    __tablename__ = "inspection_conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[date] = mapped_column(Date)
    """The China date the conflict began (as declared)."""
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declared_by: Mapped[str] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(120))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class Draw(Base):
    """One draw for a period and a region."""

    __tablename__ = "inspection_draws"
    __table_args__ = (
        CheckConstraint(_one_of("uncoded_colour", COLOURS), name="uncoded_colour"),
        CheckConstraint("period_start <= period_end", name="period"),
        CheckConstraint("inspectors_per_inspection >= 1", name="inspectors_per_inspection"),
        Index("ix_inspection_draws_region_period", "region_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(32))
    """As written: ``2026-12``, ``2026-Q4``, ``2026`` or ``2026-12-01..2026-12-15``; part of
    every enterprise's key."""
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    seed: Mapped[str] = mapped_column(String(128))
    algorithm: Mapped[str] = mapped_column(String(16))
    rates: Mapped[dict[str, float]] = mapped_column(JSONType)
    uncoded_colour: Mapped[str] = mapped_column(String(8))
    inspectors_per_inspection: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(8))
    candidates: Mapped[list[list[Any]]] = mapped_column(JSONType)
    """``[[enterprise code, colour or None], ...]`` by code: every enterprise of the region at
    draw time with its green-code colour (public)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship(lazy="joined")
    inspections: Mapped[list[Inspection]] = relationship(
        back_populates="draw", order_by="Inspection.id", lazy="selectin"
    )


class Inspection(Base):
    """One drawn enterprise: the inspectors' task (assigned -> done), or unstaffed."""

    __tablename__ = "inspections"
    __table_args__ = (
        UniqueConstraint("draw_id", "enterprise_id"),
        CheckConstraint(_one_of("state", INSPECTION_STATES), name="state"),
        CheckConstraint(f"outcome IS NULL OR {_one_of('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(_one_of("colour", COLOURS), name="colour"),
        Index("ix_inspections_enterprise", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("inspection_draws.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    colour: Mapped[str] = mapped_column(String(8))
    """The colour whose rate applied (the uncoded colour when the enterprise had no code)."""
    coded: Mapped[bool] = mapped_column(Boolean)
    rate: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(10))
    eligible: Mapped[list[str]] = mapped_column(JSONType)
    """Usernames of the inspectors eligible at draw time, sorted (staff only)."""
    outcome: Mapped[str | None] = mapped_column(String(10))
    result_text: Mapped[str | None] = mapped_column(Text)
    finding_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    problem_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(120))
    done_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    draw: Mapped[Draw] = relationship(back_populates="inspections")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    inspectors: Mapped[list[Inspector]] = relationship(
        order_by="Inspector.position", lazy="selectin", cascade="all, delete-orphan"
    )


class Inspector(Base):
    """An inspector drawn for an inspection, in the order drawn."""

    __tablename__ = "inspection_inspectors"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    username: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
