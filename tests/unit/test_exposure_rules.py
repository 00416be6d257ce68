"""The exposure rules, pure: what may be exposed, who may approve when, the public status of
the rectification, and when an entry is shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.exposure import rules
from ecoradar.exposure.settings import ExposureSettings

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def facts(
    state: str, *reached: str, enterprise: bool = True, transfer: str | None = None
) -> rules.ProblemFacts:
    return rules.ProblemFacts(state, frozenset({state, *reached}), enterprise, transfer)


@pytest.mark.parametrize(
    ("problem", "refusal"),
    [
        (facts("confirmed"), None),
        (facts("closed", "confirmed", "rectifying"), None),
        (facts("verifying"), "not_confirmed"),
        (facts("unfounded", "confirmed", "closed"), "not_confirmed"),
        (facts("transferred"), "not_confirmed"),
        (facts("confirmed", enterprise=False), "no_enterprise"),
    ],
)
def test_only_a_confirmed_violation_of_an_enterprise_may_be_proposed(
    problem: rules.ProblemFacts, refusal: str | None
) -> None:
    assert rules.exposure_refusal(problem) == refusal


def test_four_eyes_refuses_the_proposer_and_the_waiting_period_refuses_the_early() -> None:
    review = rules.Review(four_eyes=True, review_after=NOW, proposer_user_id=7)
    assert rules.approval_refusal(review, 7, NOW) == "same_person"
    assert rules.approval_refusal(review, None, NOW) == "same_person"
    assert rules.approval_refusal(review, 8, NOW) is None
    waiting = rules.Review(
        four_eyes=False, review_after=NOW + timedelta(hours=1), proposer_user_id=7
    )
    assert rules.approval_refusal(waiting, 7, NOW) == "too_early"
    assert rules.approval_refusal(waiting, 7, NOW + timedelta(hours=1)) is None


@pytest.mark.parametrize(
    ("problem", "status"),
    [
        (facts("confirmed"), "not_ordered"),
        (facts("rectifying", "confirmed"), "ordered"),
        (facts("rectified", "confirmed"), "reported"),
        (facts("closed", "confirmed"), "done"),
        (facts("assigned", "confirmed", "closed", "reopened"), "reopened"),
        (facts("transferred", "confirmed", transfer="public_security"), "transferred_police"),
        (facts("transferred", "confirmed", transfer="department"), "transferred"),
        (facts("unfounded", "confirmed"), None),
    ],
)
def test_the_rectification_status_follows_the_problem_state(
    problem: rules.ProblemFacts, status: str | None
) -> None:
    assert rules.rectification(problem) == status


def test_an_entry_is_shown_only_published_unexpired_and_still_verified() -> None:
    until = NOW + timedelta(days=1)
    assert rules.shown("published", until, "done", NOW)
    assert not rules.shown("published", NOW, "done", NOW)
    assert not rules.shown("published", until, None, NOW)
    for state in ("proposed", "rejected", "withdrawn"):
        assert not rules.shown(state, until, "done", NOW)


def test_names_are_found_ignoring_case_and_spaces() -> None:
    assert rules.names_in("举报人 欧阳 举报人 反映", ["欧阳举报人"])
    assert rules.names_in("checked by Officer-A today", ["officer-a"])
    assert not rules.names_in("该公司偷排", ["王", None, ""])


def test_publication_always_needs_some_review() -> None:
    with pytest.raises(ValueError, match="needs a review"):
        ExposureSettings(four_eyes=False, review_wait_hours=0)
    assert ExposureSettings(four_eyes=False, review_wait_hours=24).review_wait == timedelta(days=1)
