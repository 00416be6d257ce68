"""An exposure entry: one confirmed violation proposed for the public page, its review, its
publication with an expiry, and its end (rejected, withdrawn).

The review policy in force when it was proposed is kept on the entry (``four_eyes``,
``review_after``), so a later change of the settings does not change a pending review, and the
database refuses an approval by the proposer wherever four eyes applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, UTCDateTime
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise

STATES = ("proposed", "published", "rejected", "withdrawn")
"""``proposed`` -> ``published`` (approved) or ``rejected``; ``proposed`` or ``published`` ->
``withdrawn``. An entry past its ``expires_at`` stays ``published`` but is no longer shown."""
ACTOR_MAX = 120


class ExposureEntry(Base):
    __tablename__ = "exposure_entries"
    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name="state"),
        CheckConstraint("expiry_days > 0", name="expiry_days"),
        CheckConstraint(
            "NOT four_eyes OR approved_by_user_id IS NULL "
            "OR approved_by_user_id <> proposed_by_user_id",
            name="four_eyes",
        ),
        CheckConstraint(
            "state <> 'published' OR (published_at IS NOT NULL AND expires_at IS NOT NULL)",
            name="published",
        ),
        Index("ix_exposure_entries_state_expires_at", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    state: Mapped[str] = mapped_column(String(12))
    public_text: Mapped[str] = mapped_column(Text)
    """What was found, in the proposing officer's words, as the public reads it."""
    expiry_days: Mapped[int] = mapped_column(Integer)
    """Days the entry is shown once published."""
    four_eyes: Mapped[bool] = mapped_column(Boolean)
    """The approver must be another person than the proposer (the policy at proposal)."""
    review_after: Mapped[datetime] = mapped_column(UTCDateTime)
    """No approval before this time (the waiting period at proposal)."""
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    proposed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was rejected or withdrawn."""
    ended_by: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    end_reason: Mapped[str | None] = mapped_column(Text)
    """Why it was rejected or withdrawn (internal)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    problem: Mapped[Problem] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
