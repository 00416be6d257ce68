"""What reporters see of their rewards: by tracking code and secret (anonymous collection), or
logged in (registered reporters). No names, no internal reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.clues import tracking
from ecoradar.clues.models import Clue
from ecoradar.core.errors import NotFoundError
from ecoradar.problems.models import Finding
from ecoradar.rewards.models import Reward

UNKNOWN_CLAIM = "no reward claim matches this tracking code and secret"
"""The one answer for an unknown code, a wrong secret and a clue without a secret."""
_DUMMY_HASH = tracking.hash_secret("no secret at all")


@dataclass(frozen=True)
class ClaimStatus:
    """What a reporter learns about their reward: no names, no internal reasons."""

    tracking_code: str
    problem_id: int
    status: str
    """``none`` (no reward for this report, or not yet), ``proposed``, ``approved``, ``paid``
    or ``rejected``."""
    amount: Decimal | None
    claim_reference: str | None
    """Shown once approved: the reporter brings it to the bureau to be paid."""
    paid_at: datetime | None


def _status(clue: Clue, reward: Reward | None) -> ClaimStatus:
    if reward is None or reward.clue_id != clue.id:
        return ClaimStatus(clue.tracking_code, clue.problem_id, "none", None, None, None)
    shown = reward.state in ("approved", "paid")
    return ClaimStatus(
        tracking_code=clue.tracking_code,
        problem_id=reward.problem_id,
        status=reward.state,
        amount=reward.amount if reward.state != "rejected" else None,
        claim_reference=reward.claim_reference if shown else None,
        paid_at=reward.paid_at,
    )


def _reward_of(session: Session, clue: Clue) -> Reward | None:
    return session.scalar(select(Reward).where(Reward.clue_id == clue.id))


def claim_status(*, session: Session, code: str, secret: str) -> ClaimStatus:
    """The reward of the clue with this tracking code, for the holder of its secret. An
    unknown code, a wrong secret and a clue without a secret get the same ``NotFoundError``
    (the secret is compared in constant time, even for an unknown code)."""
    normal = tracking.normalize_tracking_code(code)
    clue = (
        session.scalar(select(Clue).where(Clue.tracking_code == normal))
        if normal is not None
        else None
    )
    stored = clue.secret_hash if clue is not None and clue.secret_hash else _DUMMY_HASH
    matches = tracking.secret_matches(stored, secret)
    if clue is None or clue.secret_hash is None or not matches:
        raise NotFoundError(UNKNOWN_CLAIM)
    return _status(clue, _reward_of(session, clue))


def my_rewards(*, session: Session, principal: Principal) -> list[ClaimStatus]:
    """The rewards of a registered reporter's own clues, newest first."""
    if principal.user_id is None:
        return []
    rows = session.execute(
        select(Clue, Reward)
        .join(Finding, Clue.finding_id == Finding.id)
        .join(Reward, Reward.clue_id == Clue.id)
        .where(Finding.reporter_user_id == principal.user_id)
        .order_by(Reward.proposed_at.desc(), Reward.id.desc())
    ).all()
    return [_status(clue, reward) for clue, reward in rows]
