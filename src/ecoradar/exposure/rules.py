"""The exposure rules, pure: which problems may be exposed, who may approve when, what the
public reads of the rectification, and whether an entry is on the public page now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

TEXT_MIN = 10
TEXT_MAX = 1000
REASON_MAX = 2000

RECTIFICATION = (
    "not_ordered",
    "ordered",
    "reported",
    "done",
    "reopened",
    "transferred_police",
    "transferred",
)
"""What the public reads of the rectification, from the problem's state now: confirmed, no order
yet; ordered (due date); reported done by the enterprise, under review; done (closed); reopened
after a closure; transferred to public security; transferred to another department."""

REOPENED_STATES = ("reopened", "accepted", "assigned", "verifying")


@dataclass(frozen=True)
class ProblemFacts:
    state: str
    reached: frozenset[str]
    """Every state the problem was ever in."""
    has_enterprise: bool
    transfer_kind: str | None = None


def verified(facts: ProblemFacts) -> bool:
    """A violation found true: confirmed once and neither rejected nor unfounded now."""
    return "confirmed" in facts.reached and facts.state not in ("unfounded", "rejected")


def exposure_refusal(facts: ProblemFacts) -> str | None:
    """Why the problem cannot be proposed (``no_enterprise``, ``not_confirmed``), or None."""
    if not facts.has_enterprise:
        return "no_enterprise"
    if not verified(facts):
        return "not_confirmed"
    return None


@dataclass(frozen=True)
class Review:
    four_eyes: bool
    review_after: datetime
    proposer_user_id: int | None


def approval_refusal(review: Review, approver_user_id: int | None, now: datetime) -> str | None:
    """Why ``approver_user_id`` may not approve now (``same_person``, ``too_early``), or None."""
    if review.four_eyes and (
        approver_user_id is None or approver_user_id == review.proposer_user_id
    ):
        return "same_person"
    if now < review.review_after:
        return "too_early"
    return None


def rectification(facts: ProblemFacts) -> str | None:
    """The public status of the rectification; None when the problem is no longer a verified
    violation (then the entry is not shown)."""
    if not verified(facts):
        return None
    state = facts.state
    if state == "transferred":
        return "transferred_police" if facts.transfer_kind == "public_security" else "transferred"
    if state == "rectifying":
        return "ordered"
    if state == "rectified":
        return "reported"
    if state == "closed":
        return "done"
    if state in REOPENED_STATES:
        return "reopened"
    return "not_ordered"


def expires_at(published_at: datetime, days: int) -> datetime:
    return published_at + timedelta(days=days)


def shown(
    state: str, expires: datetime | None, rectification_status: str | None, now: datetime
) -> bool:
    """On the public page and feed: published, not expired, still a verified violation."""
    return (
        state == "published"
        and expires is not None
        and now < expires
        and rectification_status is not None
    )


def names_in(text: str, names: Iterable[str | None]) -> bool:
    """Whether ``text`` holds any of ``names`` (2+ characters, case and white space ignored)."""
    folded = "".join(text.split()).casefold()
    for name in names:
        if name is None:
            continue
        needle = "".join(name.split()).casefold()
        if len(needle) >= 2 and needle in folded:
            return True
    return False
