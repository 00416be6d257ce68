"""Reward eligibility (pure): every refusal has a name, and only the first eligible reporter
of a problem is rewarded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ecoradar.rewards.eligibility import (
    Assessment,
    ClueFacts,
    FindingFacts,
    ProblemFacts,
    Reason,
    assess,
    verified,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
LONG = "化工厂排污口夜间向河道排放黑色污水，气味刺鼻"
"""22 characters: specific enough without an enterprise (the default needs 20)."""
CONFIRMED = ProblemFacts(
    problem_id=7,
    state="rectifying",
    reached=frozenset({"reported", "accepted", "assigned", "verifying", "confirmed", "rectifying"}),
    outcome="fine",
)


def clue(clue_id: int = 1, minutes: int = 0, **over: Any) -> ClueFacts:
    facts = ClueFacts(
        clue_id=clue_id,
        finding_id=100 + clue_id,
        channel="public",
        received_at=T0 + timedelta(minutes=minutes),
        description=LONG,
        photos=1,
    )
    return replace(facts, **over)


def finding_of(c: ClueFacts) -> FindingFacts:
    return FindingFacts(c.finding_id, c.channel, c.received_at)


def judge(
    *clues: ClueFacts, problem: ProblemFacts = CONFIRMED, extra: tuple[FindingFacts, ...] = ()
) -> Assessment:
    findings = [finding_of(c) for c in clues] + list(extra)
    return assess(problem, list(clues), findings, min_description_chars=20)


def reasons_of(assessment: Assessment, clue_id: int | None = None) -> set[Reason]:
    if clue_id is None:
        return {r.reason for r in assessment.problem}
    return {r.reason for r in assessment.clues[clue_id]}


def test_a_specific_public_clue_with_a_photo_on_a_confirmed_problem_is_eligible() -> None:
    result = judge(clue())
    assert result.eligible and result.winner == 1
    assert result.refusals == ()


def test_an_unfounded_or_rejected_problem_was_not_verified() -> None:
    for state in ("unfounded", "rejected"):
        problem = replace(CONFIRMED, state=state)
        result = judge(clue(), problem=problem)
        assert result.winner is None
        assert reasons_of(result) == {Reason.NOT_VERIFIED}
        assert f"it is {state}" in str(result.refusals[0])


def test_a_problem_confirmed_once_stays_verified_until_found_unfounded_on_reopening() -> None:
    closed = replace(CONFIRMED, state="closed", reached=CONFIRMED.reached | {"closed"})
    assert verified(closed)
    reopened = replace(closed, state="verifying", reached=closed.reached | {"reopened"})
    assert verified(reopened)
    assert not verified(replace(reopened, state="unfounded"))
    assert not verified(replace(CONFIRMED, reached=frozenset({"reported", "accepted"})))


def test_a_transfer_to_public_security_counts_as_verified_a_transfer_elsewhere_does_not() -> None:
    early = frozenset({"reported", "accepted"})
    police = ProblemFacts(1, "transferred", early, transfer_kind="public_security")
    elsewhere = ProblemFacts(1, "transferred", early, transfer_kind="department")
    assert verified(police)
    assert not verified(elsewhere)


def test_a_problem_without_an_outcome_or_a_public_clue_cannot_be_rewarded() -> None:
    result = judge(clue(), problem=replace(CONFIRMED, outcome=None))
    assert result.winner is None and reasons_of(result) == {Reason.NO_OUTCOME}
    assert result.clues[1] == ()
    nobody = judge()
    assert reasons_of(nobody) == {Reason.NO_CLUE}


def test_an_alert_that_came_first_makes_the_problem_already_known() -> None:
    alert = FindingFacts(50, "monitoring", T0 - timedelta(hours=1))
    result = judge(clue(), extra=(alert,))
    assert result.winner is None
    assert reasons_of(result, 1) == {Reason.ALREADY_KNOWN}
    assert "finding 50 (monitoring) came first" in str(result.clues[1][0])


def test_an_alert_after_the_clue_does_not_make_it_already_known() -> None:
    later = FindingFacts(150, "monitoring", T0 + timedelta(hours=1))
    inspection = FindingFacts(151, "inspection", T0 + timedelta(days=1))
    assert judge(clue(), extra=(later, inspection)).winner == 1


def test_an_earlier_finding_at_the_same_moment_breaks_the_tie_by_id() -> None:
    same_moment = FindingFacts(99, "grid_worker", T0)
    assert reasons_of(judge(clue(), extra=(same_moment,)), 1) == {Reason.ALREADY_KNOWN}
    after = FindingFacts(102, "grid_worker", T0)
    assert judge(clue(), extra=(after,)).winner == 1


def test_only_the_first_eligible_reporter_is_rewarded() -> None:
    result = judge(clue(2, minutes=30), clue(1))
    assert result.winner == 1
    assert reasons_of(result, 2) == {Reason.NOT_FIRST}
    assert "clue 1 was the first eligible report" in str(result.clues[2][0])


def test_a_second_reporter_wins_when_the_first_was_not_eligible() -> None:
    result = judge(clue(1, photos=0), clue(2, minutes=30, channel="hotline"))
    assert result.winner == 2
    assert reasons_of(result, 1) == {Reason.NO_EVIDENCE}
    assert result.clues[2] == ()


def test_an_enterprise_reporting_itself_is_not_rewarded_another_enterprise_is() -> None:
    problem = replace(CONFIRMED, enterprise_id=5)
    own = clue(reporter_role="enterprise", reporter_enterprise_id=5)
    assert reasons_of(judge(own, problem=problem), 1) == {Reason.OWN_ENTERPRISE}
    rival = clue(reporter_role="enterprise", reporter_enterprise_id=6)
    assert judge(rival, problem=problem).winner == 1


def test_bureau_staff_and_staff_channels_are_not_rewarded() -> None:
    officer = clue(reporter_role="officer")
    assert reasons_of(judge(officer), 1) == {Reason.STAFF}
    registered = clue(reporter_role="public")
    assert judge(registered).winner == 1
    for channel in ("grid_worker", "department", "media", "ngo", "drone", "inspection"):
        result = judge(clue(channel=channel))
        assert reasons_of(result, 1) == {Reason.CHANNEL}, channel
    grid = judge(clue(channel="grid_worker"))
    assert "grid workers are paid staff" in str(grid.clues[1][0])
    for channel in ("public", "open311", "hotline"):
        assert judge(clue(channel=channel)).winner == 1


def test_a_clue_without_a_photo_has_no_evidence() -> None:
    result = judge(clue(photos=0))
    assert result.winner is None and reasons_of(result, 1) == {Reason.NO_EVIDENCE}


def test_a_vague_description_is_specific_only_with_an_enterprise_on_the_problem() -> None:
    vague = clue(description="这里  很臭 \n 快来")
    result = judge(vague)
    assert reasons_of(result, 1) == {Reason.NOT_SPECIFIC}
    assert "description of 6 characters, fewer than 20" in str(result.clues[1][0])
    assert judge(vague, problem=replace(CONFIRMED, enterprise_id=3)).winner == 1
    exactly = clue(description="一" * 10 + " " * 30 + "二" * 10)
    assert judge(exactly).winner == 1
    assert reasons_of(judge(clue(has_place=False)), 1) == {Reason.NOT_SPECIFIC}


def test_every_reason_of_a_clue_is_named_at_once() -> None:
    alert = FindingFacts(50, "monitoring", T0 - timedelta(hours=1))
    bad = clue(channel="grid_worker", photos=0, description="臭", reporter_role="grid_worker")
    result = judge(bad, extra=(alert,))
    assert reasons_of(result, 1) == {
        Reason.CHANNEL,
        Reason.STAFF,
        Reason.NOT_SPECIFIC,
        Reason.NO_EVIDENCE,
        Reason.ALREADY_KNOWN,
    }
