"""What the reward API reads and returns. Amounts are decimal strings (``"1234.50"``) in yuan.
No reporter identity is in any of them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecoradar.clues.tracking import display_code
from ecoradar.rewards.claims import ClaimStatus
from ecoradar.rewards.eligibility import Refusal
from ecoradar.rewards.models import ProblemOutcome, Reward
from ecoradar.rewards.outcomes import Outcome
from ecoradar.rewards.service import Assessed

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
OutcomeKind = Literal["warning", "order_to_correct", "fine", "public_security"]
RewardState = Literal["proposed", "approved", "paid", "rejected"]


class _In(BaseModel):
    """Input: unknown fields refused; no text with NUL characters (PostgreSQL cannot store
    them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class OutcomeIn(_In):
    kind: OutcomeKind
    fine_amount: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=14,
        decimal_places=2,
        description='For a fine: its amount in yuan, e.g. "25000.00"',
    )
    decision_ref: str | None = Field(
        default=None, max_length=120, description="The penalty decision's or transfer's number"
    )
    note: str | None = Field(default=None, max_length=2000)


class OutcomeRead(BaseModel):
    problem_id: int
    kind: str
    fine_amount: Decimal | None
    decision_ref: str | None
    derived: bool
    """Derived from a transfer to public security, not recorded."""
    recorded_at: datetime | None
    recorded_by: str | None

    @classmethod
    def of(cls, problem_id: int, outcome: Outcome) -> OutcomeRead:
        return cls(
            problem_id=problem_id,
            kind=outcome.kind,
            fine_amount=outcome.fine_amount,
            decision_ref=outcome.decision_ref,
            derived=outcome.derived,
            recorded_at=outcome.recorded_at,
            recorded_by=outcome.recorded_by,
        )

    @classmethod
    def of_row(cls, row: ProblemOutcome) -> OutcomeRead:
        return cls(
            problem_id=row.problem_id,
            kind=row.kind,
            fine_amount=row.fine_amount,
            decision_ref=row.decision_ref,
            derived=False,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
        )


class RefusalRead(BaseModel):
    reason: str
    message: str
    clue_id: int | None

    @classmethod
    def of(cls, refusal: Refusal) -> RefusalRead:
        return cls(reason=refusal.reason.value, message=refusal.message, clue_id=refusal.clue_id)


class EligibilityRead(BaseModel):
    problem_id: int
    eligible: bool
    clue_id: int | None
    """The clue that would be rewarded."""
    outcome: OutcomeRead | None
    tier: str | None
    amount: Decimal | None
    capped: bool
    rule_version: int
    reasons: list[RefusalRead]

    @classmethod
    def of(cls, assessed: Assessed) -> EligibilityRead:
        problem, given = assessed.problem, assessed.award
        return cls(
            problem_id=problem.id,
            eligible=assessed.assessment.eligible,
            clue_id=assessed.assessment.winner,
            outcome=OutcomeRead.of(problem.id, assessed.outcome) if assessed.outcome else None,
            tier=given.tier if given else None,
            amount=given.amount if given else None,
            capped=given.capped if given else False,
            rule_version=assessed.rules.version,
            reasons=[RefusalRead.of(r) for r in assessed.assessment.refusals],
        )


class NotEligibleRead(BaseModel):
    detail: str
    reasons: list[RefusalRead]


class ProposeIn(_In):
    problem_id: Id


class RejectIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class PayIn(_In):
    payout_reference: str = Field(
        min_length=1, max_length=120, description="The payment's receipt or transfer number"
    )
    claim_reference: str | None = Field(
        default=None,
        max_length=30,
        description="The claim reference the reporter shows (required when they collect by "
        "tracking code and secret)",
    )


class RewardRead(BaseModel):
    id: int
    problem_id: int
    clue_id: int
    tier: str
    outcome: str
    fine_amount: Decimal | None
    amount: Decimal
    capped: bool
    rule_version: int
    state: str
    claim_reference: str
    proposed_at: datetime
    proposed_by: str
    approved_at: datetime | None
    approved_by: str | None
    rejected_at: datetime | None
    rejected_by: str | None
    rejection_reason: str | None
    paid_at: datetime | None
    paid_by: str | None
    payout_reference: str | None

    @classmethod
    def of(cls, r: Reward) -> RewardRead:
        return cls(
            id=r.id,
            problem_id=r.problem_id,
            clue_id=r.clue_id,
            tier=r.tier,
            outcome=r.outcome,
            fine_amount=r.fine_amount,
            amount=r.amount,
            capped=r.capped,
            rule_version=r.rule_version,
            state=r.state,
            claim_reference=r.claim_reference,
            proposed_at=r.proposed_at,
            proposed_by=r.proposed_by,
            approved_at=r.approved_at,
            approved_by=r.approved_by,
            rejected_at=r.rejected_at,
            rejected_by=r.rejected_by,
            rejection_reason=r.rejection_reason,
            paid_at=r.paid_at,
            paid_by=r.paid_by,
            payout_reference=r.payout_reference,
        )


class RewardPageRead(BaseModel):
    items: list[RewardRead]
    total: int
    page: int
    per_page: int


class ClaimIn(_In):
    tracking_code: str = Field(min_length=1, max_length=30)
    secret: str = Field(min_length=1, max_length=256)


class ClaimRead(BaseModel):
    tracking_code: str
    problem_id: int
    status: Literal["none", "proposed", "approved", "paid", "rejected"]
    amount: Decimal | None
    claim_reference: str | None
    """Shown once approved (``ABCDE-FGHJK``): bring it to the bureau to be paid."""
    paid_at: datetime | None

    @classmethod
    def of(cls, status: ClaimStatus) -> ClaimRead:
        return cls(
            tracking_code=display_code(status.tracking_code),
            problem_id=status.problem_id,
            status=status.status,
            amount=status.amount,
            claim_reference=display_code(status.claim_reference)
            if status.claim_reference
            else None,
            paid_at=status.paid_at,
        )
