"""Rewards: rule sets and their tiers, the enforcement outcome recorded for a problem, and the
ledger of rewards (one per problem at most: ``UNIQUE(problem_id)``).

Amounts are ``Numeric`` (``Decimal`` in Python), never floats. PostgreSQL stores them exactly;
SQLite keeps NUMERIC columns as 8-byte reals, exact to 15 significant digits, which covers every
amount the columns allow (at most 12 digits for a reward, 14 for a fine), and SQLAlchemy reads
them back as ``Decimal`` rounded to the column's two decimal places. Sums are taken in Python.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, UTCDateTime

OUTCOMES = ("warning", "order_to_correct", "fine", "public_security")
"""Enforcement outcomes a reward tier is chosen by: a warning, an order to correct, a fine (in
brackets by amount), a transfer to public security for a suspected crime."""
REWARD_STATES = ("proposed", "approved", "paid", "rejected")
CLAIM_REFERENCE_LENGTH = 10
ACTOR_MAX = 120
REFERENCE_MAX = 120

AMOUNT = Numeric(12, 2)
"""A reward in yuan: up to 9,999,999,999.99."""
FINE = Numeric(14, 2)
"""A fine in yuan: up to 999,999,999,999.99."""
PERCENT = Numeric(7, 4)
"""A share of the fine in percent, four decimal places."""


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RewardRuleSet(Base):
    """One version of the reward rules, as imported (``ecoradar rewards rules import``). The
    newest version is in force; without any, the built-in defaults (version 0) are."""

    __tablename__ = "reward_rule_sets"
    __table_args__ = (
        CheckConstraint("max_amount > 0", name="max_amount"),
        CheckConstraint("min_description_chars >= 0", name="min_description_chars"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    max_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    """The upper bound of one reward."""
    min_description_chars: Mapped[int] = mapped_column(Integer)
    """A clue without an enterprise on its problem needs a description this long (not counting
    white space) to be specific."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    source: Mapped[str] = mapped_column(String(200), default="")

    tiers: Mapped[list[RewardTier]] = relationship(
        back_populates="rule_set", order_by="RewardTier.position", lazy="selectin"
    )


class RewardTier(Base):
    """One tier of a rule set: an outcome (a fine within ``[fine_from, fine_below)``) and its
    reward, a fixed amount or a percentage of the fine."""

    __tablename__ = "reward_tiers"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome"),
        CheckConstraint("(fixed_amount IS NULL) <> (percent IS NULL)", name="fixed_or_percent"),
        UniqueConstraint("rule_set_id", "code", name="uq_reward_tiers_rule_set_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("reward_rule_sets.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(24))
    fine_from: Mapped[Decimal | None] = mapped_column(FINE)
    """The smallest fine of the bracket (inclusive); None for tiers of other outcomes."""
    fine_below: Mapped[Decimal | None] = mapped_column(FINE)
    """The bracket's upper end (exclusive); None: no upper end."""
    fixed_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    percent: Mapped[Decimal | None] = mapped_column(PERCENT)

    rule_set: Mapped[RewardRuleSet] = relationship(back_populates="tiers")


class ProblemOutcome(Base):
    """The enforcement outcome an officer recorded for a verified problem."""

    __tablename__ = "problem_outcomes"
    __table_args__ = (
        CheckConstraint(_one_of("kind", OUTCOMES), name="kind"),
        CheckConstraint(
            "(kind = 'fine' AND fine_amount IS NOT NULL AND fine_amount > 0) OR "
            "(kind <> 'fine' AND fine_amount IS NULL)",
            name="fine_amount",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    fine_amount: Mapped[Decimal | None] = mapped_column(FINE)
    decision_ref: Mapped[str | None] = mapped_column(String(REFERENCE_MAX))
    """The number of the penalty decision (行政处罚决定书文号) or transfer letter."""
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Reward(Base):
    """The ledger: one reward per problem at most, for its first eligible reporter's clue.

    ``proposed`` -> ``approved`` (by someone other than the proposer: four eyes, also a
    database check) -> ``paid``; ``proposed`` or ``approved`` -> ``rejected`` (final, with a
    reason). ``claim_reference`` is what the reporter shows at the bureau to be paid.
    """

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint(_one_of("state", REWARD_STATES), name="state"),
        CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint(
            "approved_by_user_id IS NULL OR approved_by_user_id <> proposed_by_user_id",
            name="four_eyes",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), unique=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id"), index=True)
    tier: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(24))
    fine_amount: Mapped[Decimal | None] = mapped_column(FINE)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    """The tier gave more than the upper bound; ``amount`` is the bound."""
    rule_version: Mapped[int] = mapped_column(Integer)
    """The rule set the amount was computed with (0: the built-in defaults)."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    claim_reference: Mapped[str] = mapped_column(String(CLAIM_REFERENCE_LENGTH), unique=True)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    proposed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    payout_reference: Mapped[str | None] = mapped_column(String(REFERENCE_MAX))
    """The payment's own reference (receipt or transfer number)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
