"""The five-step check: campaigns (name, period, region, enterprises), one record per
enterprise in a campaign, and the state of each of its five steps.

A record is unique per campaign and enterprise (``UNIQUE(campaign_id, enterprise_id)``), a step
per record and step code; the transitions live in ``fivestep.workflow`` (pure).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
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

STEPS = ("self_screening", "third_party", "enforcement", "monitoring_review", "follow_up")
"""The five steps in their order: the enterprise's self-screening (its self-inspection tasks),
the accredited third party's technical check, the enforcement inspection, the bureau's review
of the online monitoring, and the follow-up that sends what was found on (reminders or the
problem register) and closes the record."""
STEP_STATES = ("pending", "done", "skipped")
OUTCOMES = ("clean", "findings")
RECORD_STATES = ("open", "in_progress", "complete")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FiveStepCampaign(Base):
    """A five-step campaign: a name, a period (China days, both included), a region and the
    enterprises chosen (or those of some industries in the region), created by an officer."""

    __tablename__ = "fivestep_campaigns"
    __table_args__ = (CheckConstraint("period_start <= period_end", name="period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    industries: Mapped[list[str]] = mapped_column(JSONType)
    """The industry codes the enterprises were chosen by; empty when chosen one by one."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship(lazy="joined")
    records: Mapped[list[FiveStepRecord]] = relationship(
        back_populates="campaign", order_by="FiveStepRecord.id", cascade="all, delete-orphan"
    )


class FiveStepRecord(Base):
    """One enterprise's five-step record in a campaign; ``state`` follows its steps."""

    __tablename__ = "fivestep_records"
    __table_args__ = (
        UniqueConstraint("campaign_id", "enterprise_id"),
        CheckConstraint(_one_of("state", RECORD_STATES), name="state"),
        Index("ix_fivestep_records_enterprise", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("fivestep_campaigns.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    state: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    campaign: Mapped[FiveStepCampaign] = relationship(back_populates="records", lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    steps: Mapped[list[FiveStepStep]] = relationship(
        back_populates="record", order_by="FiveStepStep.position", lazy="selectin",
        cascade="all, delete-orphan",
    )  # fmt: skip

    def step(self, code: str) -> FiveStepStep:
        for step in self.steps:
            if step.step == code:
                return step
        raise KeyError(code)


class FiveStepStep(Base):
    """One step of a record: its state, outcome, what it found (``result``: the figures it was
    judged on, the findings, the clues, problems and inspection it links to) and who did it."""

    __tablename__ = "fivestep_steps"
    __table_args__ = (
        UniqueConstraint("record_id", "step"),
        CheckConstraint(_one_of("step", STEPS), name="step"),
        CheckConstraint(_one_of("state", STEP_STATES), name="state"),
        CheckConstraint("outcome IS NULL OR " + _one_of("outcome", OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("fivestep_records.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    outcome: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by: Mapped[str | None] = mapped_column(String(120))

    record: Mapped[FiveStepRecord] = relationship(back_populates="steps")
