"""Supervisors, the problems they follow (and raised), and their questions to the bureau."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, UTCDateTime

SUPERVISOR_KINDS = ("deputy", "cppcc", "media", "discipline")
"""People's congress deputy, CPPCC member, the media, a discipline inspection and supervision
body."""
CHANNEL = "supervisor"
"""The finding and clue channel of a problem a supervisor raised (never counted as public)."""
ORGANISATION_MAX = 200
QUESTION_MAX = 2000
ANSWER_MAX = 5000


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Supervisor(Base):
    """What a user of the role ``supervisor`` is: the kind and the organisation (a county's
    people's congress, a newspaper...). The region is the user's own (``users.region_id``)."""

    __tablename__ = "supervisors"
    __table_args__ = (CheckConstraint(_one_of("kind", SUPERVISOR_KINDS), name="kind"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_MAX), default="")


class SupervisedProblem(Base):
    """A problem a supervisor follows; ``raised_at`` set when they raised it (their finding is
    ``finding_id``). ``kind`` and ``region_id`` are the supervisor's kind and the problem's
    region at the time, for the statistics."""

    __tablename__ = "supervised_problems"
    __table_args__ = (
        CheckConstraint(_one_of("kind", SUPERVISOR_KINDS), name="kind"),
        UniqueConstraint("user_id", "problem_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))


class SupervisionQuestion(Base):
    """A supervisor's question ("问政") on a problem, and the bureau's answer, due by
    ``due_at`` (the end of a China working day)."""

    __tablename__ = "supervision_questions"
    __table_args__ = (
        CheckConstraint(_one_of("kind", SUPERVISOR_KINDS), name="kind"),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    asker_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answerer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
