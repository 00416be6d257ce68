"""Clues: one row per report that came in through a channel, beside the finding it became, and
the intake attempts the rate limits count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime
from ecoradar.problems.models import CATEGORIES, Finding

CLUE_CHANNELS = (
    "public",
    "open311",
    "grid_worker",
    "drone",
    "unmanned_ship",
    "department",
    "hotline",
    "media",
    "ngo",
    "referral",
    "inspection",
    "third_party",
    "supervisor",
)
"""The channels a clue comes through (a subset of the finding channels)."""
ANONYMOUS_CHANNELS = ("public", "open311")
"""Channels anyone may use without an account: rate-limited per client."""
OFFICER_CHANNELS = ("hotline", "department", "media", "ngo", "referral", "inspection")
"""Entered by an officer (or sent by a department's system, for ``department``)."""
DETECTION_CHANNELS = ("drone", "unmanned_ship")
REWARD_CHANNELS = ("public", "open311", "hotline")
"""Channels whose unregistered reporter gets a secret to collect a reward with."""
FEEDBACK = ("confirmed", "disputed")
ATTEMPT_KINDS = ("public", "open311", "tracking")
"""What an intake attempt was: a clue by an anonymous channel, or a tracking-code use."""

TRACKING_CODE_LENGTH = 10
ADDRESS_MAX = 400


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Clue(Base):
    """A report as it came in: its channel, the catalogue service and attributes, its photos,
    what deduplication said, the tracking code (and, for an anonymous reporter, the hash of the
    secret they collect a reward with) and the reporter's follow-up after closure.

    The reporter's identity is not here: it is on the finding (``reporter_*``, protected).
    """

    __tablename__ = "clues"
    __table_args__ = (
        CheckConstraint(_one_of("channel", CLUE_CHANNELS), name="channel"),
        CheckConstraint(_one_of("service_code", CATEGORIES), name="service_code"),
        CheckConstraint("feedback IS NULL OR " + _one_of("feedback", FEEDBACK), name="feedback"),
        CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
            name="satisfaction",
        ),
        Index("ix_clues_channel_received_id", "channel", "received_at", "id"),  # lists (0029)
        Index("ix_clues_region_received_id", "region_id", "received_at", "id"),  # scope (0031)
        Index("ix_clues_channel_region", "channel", "region_id"),  # scope by channel (0031)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), unique=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    """The finding's problem, copied here (0031) so the lists apply an officer's scope
    (``clues.service.clue_scope``) without joining every clue to its finding and problem. Set
    at intake and kept equal to ``finding.problem_id`` by ``desk_actions`` (attach), the one
    place a clue's finding moves to another problem."""
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    """The problem's region, copied like ``problem_id``: set at intake, on attach, and by
    ``problems.service.reassign_region`` (the one place a problem changes region)."""
    channel: Mapped[str] = mapped_column(String(16))
    service_code: Mapped[str] = mapped_column(String(24))
    """The catalogue code: the problem category and the Open311 ``service_code``."""
    tracking_code: Mapped[str] = mapped_column(String(TRACKING_CODE_LENGTH), unique=True)
    """Crockford base32, from ``secrets``: the reporter's key to the tracking page."""
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    """sha256 (hex) of the secret shown once to an anonymous reporter; None otherwise."""
    anonymous: Mapped[bool] = mapped_column(Boolean)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType)
    address_string: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))
    media_ids: Mapped[list[int]] = mapped_column(JSONType)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    duplicate: Mapped[bool] = mapped_column(Boolean)
    """Attached automatically to an existing problem by deduplication."""
    dedupe_score: Mapped[float | None] = mapped_column(Float)
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """Uncertain matches for the officer: problem_id, score, distance_m, reasons."""
    feedback: Mapped[str | None] = mapped_column(String(16))
    """The reporter's answer after closure: ``confirmed`` or ``disputed``."""
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_text: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    """1 (very dissatisfied) to 5 (very satisfied)."""
    satisfaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    finding: Mapped[Finding] = relationship()


class IntakeAttempt(Base):
    """One use of an anonymous channel or of a tracking code by ``client`` (``ip:1.2.3.4``,
    ``token:5``, ``user:7``): the rate limits count these across processes. Rows older than a
    day are pruned as new ones are written."""

    __tablename__ = "clue_intake_attempts"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ATTEMPT_KINDS), name="kind"),
        Index("ix_clue_intake_attempts_client_kind_at", "client", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
