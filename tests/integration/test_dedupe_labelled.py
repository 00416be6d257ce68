"""A small labelled set through find_duplicates on each backend: the precision and recall the
README reports must hold (this fails if scoring regresses)."""

from __future__ import annotations

from pathlib import Path

from ecoradar.bootstrap import Container
from ecoradar.simulate.clue_scenarios import labelled_set
from ecoradar.simulate.clue_scenarios_load import (
    load_problems,
    load_sample_regions,
    run_clues,
    tally,
)

ATTACH_PRECISION_GOAL = 0.98
FLAGGED_RECALL_GOAL = 0.95
ATTACH_RECALL_FLOOR = 0.35
"""Not a goal: a guard against a rule so timid it never attaches."""
COUNTS = {
    "near_duplicate": 24,
    "updated_recently": 6,
    "photo_only": 8,
    "two_sites": 8,
    "far": 5,
    "other_category": 5,
    "outside_window": 5,
    "nearby_different": 12,
}


def test_a_labelled_set_meets_the_precision_and_recall_goals(
    container: Container, tmp_path: Path
) -> None:
    labelled = labelled_set(seed=1, counts=COUNTS, background=150)
    load_sample_regions(container, tmp_path / "city")
    ids = load_problems(container, labelled)
    assert len(ids) == len(labelled.problems)

    results = run_clues(container, labelled, ids)
    figures = tally(results)
    everything = figures["all"]

    assert everything.positives == 46
    assert everything.attach_precision is not None
    assert everything.attach_precision >= ATTACH_PRECISION_GOAL, everything.counts
    assert everything.flag_recall is not None
    assert everything.flag_recall >= FLAGGED_RECALL_GOAL, everything.counts
    assert everything.attach_recall is not None
    assert everything.attach_recall >= ATTACH_RECALL_FLOOR, everything.counts
    assert figures["photo_only"].counts["attach_right"] >= 7
    for kind in ("far", "other_category", "outside_window", "nearby_different"):
        assert figures[kind].counts["attach_wrong"] == 0, kind
