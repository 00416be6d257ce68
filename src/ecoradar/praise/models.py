"""Praise notices (表扬通报): an officer praises a grid worker or a reporter for a month, with a
numbered notice and a certificate (PDF)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime

PERSON_KINDS = ("grid_worker", "reporter")


class PraiseNotice(Base):
    """One praise notice. ``number`` is ``BY-2026-0001`` (表扬, the year it was issued, a
    sequence per year). ``person`` is the ranking's key (``user:7``, or ``contact:<hmac>`` for a
    reporter known only by a contact); ``name`` the name on the certificate, protected like a
    reporter's identity: only officers covering ``region_id`` and the person themselves see it.
    ``metrics`` keeps the figures, score and rank the notice was issued on."""

    __tablename__ = "praise_notices"
    __table_args__ = (
        CheckConstraint("person_kind IN ('grid_worker', 'reporter')", name="person_kind"),
        UniqueConstraint("year", "sequence", name="uq_praise_notices_year_sequence"),
        Index("ix_praise_notices_region_month", "region_id", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    person_kind: Mapped[str] = mapped_column(String(16))
    person: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    month: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM``: the month praised."""
    reason: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    bureau_name: Mapped[str] = mapped_column(String(200))
    bureau_name_en: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    issued_by: Mapped[str] = mapped_column(String(120))
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
