"""The five-step record's workflow (pure): every transition, the follow-up's guard, reopening."""

from __future__ import annotations

import pytest

from ecoradar.core.errors import InputError
from ecoradar.fivestep.models import STEPS
from ecoradar.fivestep.workflow import (
    CHECKS,
    StepRefused,
    StepState,
    allowed,
    apply,
    record_state,
)

PENDING = {s: StepState() for s in STEPS}


def finished(**overrides: StepState) -> dict[str, StepState]:
    steps = {s: StepState("done", "clean") for s in CHECKS}
    steps["follow_up"] = StepState()
    steps.update(overrides)
    return steps


def test_a_new_record_is_open_and_offers_complete_or_skip_on_every_check() -> None:
    assert record_state(PENDING) == "open"
    for step in CHECKS:
        assert allowed(PENDING, step) == ("complete", "skip")
    assert allowed(PENDING, "follow_up") == ()


def test_completing_a_check_records_its_outcome_and_puts_the_record_in_progress() -> None:
    change = apply(PENDING, "third_party", "complete", outcome="findings")
    assert (change.from_state, change.to_state, change.outcome) == ("pending", "done", "findings")
    assert change.record_state == "in_progress"


def test_completing_needs_an_outcome_of_clean_or_findings() -> None:
    with pytest.raises(InputError, match="outcome"):
        apply(PENDING, "enforcement", "complete")
    with pytest.raises(InputError, match="outcome"):
        apply(PENDING, "enforcement", "complete", outcome="fine")


def test_skipping_needs_a_reason_and_leaves_no_outcome() -> None:
    with pytest.raises(InputError, match="reason"):
        apply(PENDING, "monitoring_review", "skip", reason="  ")
    change = apply(PENDING, "monitoring_review", "skip", reason="no online monitoring")
    assert (change.to_state, change.outcome) == ("skipped", None)


def test_a_finished_step_cannot_be_finished_again() -> None:
    steps = finished()
    with pytest.raises(StepRefused, match="self_screening is done"):
        apply(steps, "self_screening", "complete", outcome="clean")
    with pytest.raises(StepRefused):
        apply(steps, "self_screening", "skip", reason="x")


def test_a_pending_step_cannot_be_reopened() -> None:
    with pytest.raises(StepRefused, match="pending"):
        apply(PENDING, "enforcement", "reopen", reason="why not")


def test_the_follow_up_waits_for_every_check_and_names_the_ones_missing() -> None:
    steps = finished(enforcement=StepState(), monitoring_review=StepState())
    with pytest.raises(StepRefused, match="enforcement, monitoring_review"):
        apply(steps, "follow_up", "complete", outcome="clean")
    assert allowed(steps, "follow_up") == ()


def test_a_skipped_check_counts_as_finished_for_the_follow_up() -> None:
    steps = finished(monitoring_review=StepState("skipped"))
    change = apply(steps, "follow_up", "complete", outcome="findings")
    assert change.record_state == "complete"


def test_the_follow_up_cannot_be_skipped() -> None:
    with pytest.raises(StepRefused, match="cannot be skipped"):
        apply(finished(), "follow_up", "skip", reason="in a hurry")


def test_a_complete_record_refuses_to_reopen_a_check_until_the_follow_up_is_reopened() -> None:
    complete = finished(follow_up=StepState("done", "clean"))
    assert record_state(complete) == "complete"
    with pytest.raises(StepRefused, match="reopen the follow-up"):
        apply(complete, "enforcement", "reopen", reason="new evidence")
    assert allowed(complete, "enforcement") == ()
    change = apply(complete, "follow_up", "reopen", reason="new evidence")
    assert (change.to_state, change.record_state) == ("pending", "in_progress")
    reopened = {**complete, "follow_up": StepState()}
    change = apply(reopened, "enforcement", "reopen", reason="new evidence")
    assert change.to_state == "pending"


def test_reopening_every_step_brings_the_record_back_to_open() -> None:
    steps = {**PENDING, "self_screening": StepState("done", "clean")}
    change = apply(steps, "self_screening", "reopen", reason="wrong period")
    assert change.record_state == "open"


def test_unknown_steps_and_actions_are_input_errors() -> None:
    with pytest.raises(InputError, match="step"):
        apply(PENDING, "sixth_step", "complete", outcome="clean")
    with pytest.raises(InputError, match="action"):
        apply(PENDING, "enforcement", "approve")  # type: ignore[arg-type]
