"""Run a labelled deduplication set (:mod:`.clue_scenarios`) against a real database, and score it.

``load_problems`` records every problem the way the channels do: the first report through
``problems.intake.record_finding`` opens it, later reports attach to it (``attach_to``), and its
photos are stored with ``media.service.store_upload`` and attached as evidence. ``run_clues``
asks ``clues.dedupe_service.find_duplicates`` about every clue (nothing is recorded, so each
clue meets the same register) and times each call. ``tally`` counts, per clue kind and in all:

* positives (the clue is about a problem): ``attach_right``, ``attach_other`` (attached to
  another problem), ``suggest_right`` (the problem among the suggestions), ``suggest_other``,
  ``missed``;
* negatives (the clue should open a new problem): ``attach_wrong``, ``suggest``, ``new``.

Attachment precision is right attachments over all attachments, its recall right attachments
over positives; "suggested or attached" counts a clue as flagged when it is attached or has
suggestions, and right when its problem is the one attached or among those suggested.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ecoradar.bootstrap import Container
from ecoradar.clues.dedupe_service import DedupeDecision, find_duplicates
from ecoradar.media.inspect import MediaLimits, inspect_upload
from ecoradar.media.service import store_upload
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import ProblemAttachment
from ecoradar.problems.policy import load_policy
from ecoradar.regions import service as regions
from ecoradar.simulate.city import write_sample_city
from ecoradar.simulate.clue_scenarios import ClueCase, LabelledSet, Photo

ACTOR = "system:clue-scenarios"
POSITIVE_OUTCOMES = ("attach_right", "attach_other", "suggest_right", "suggest_other", "missed")
NEGATIVE_OUTCOMES = ("attach_wrong", "suggest", "new")


def load_sample_regions(box: Container, directory: Path) -> int:
    """Import the sample city's regions (``simulate.city``) only; how many."""
    files = write_sample_city(directory, enterprises=1)
    features = regions.read_regions_file(files.regions)
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="sample-city", now=box.clock.now()
        )
    return len(features)


def load_problems(
    box: Container,
    labelled: LabelledSet,
    *,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Record every problem of ``labelled`` (oldest first), committing every ``batch``;
    the problem id of each key."""
    limits = MediaLimits.from_settings(box.settings)
    ordered = sorted(labelled.problems, key=lambda p: p.reports[0].at)
    ids: dict[str, int] = {}
    for start in range(0, len(ordered), batch):
        with box.transaction() as session:
            index = box.regions.get(session)
            policy = load_policy(session=session, settings=box.settings)
            for problem in ordered[start : start + batch]:
                problem_id: int | None = None
                first_finding: int | None = None
                for number, report in enumerate(problem.reports):
                    recorded = record_finding(
                        session=session,
                        index=index,
                        item=FindingIn(
                            channel="public",
                            category=problem.category,
                            lat=problem.lat,
                            lon=problem.lon,
                            observed_at=report.at - timedelta(minutes=30),
                            description=report.description,
                            source_ref=f"{problem.key}-{number}",
                            attach_to=problem_id,
                        ),
                        now=report.at,
                        actor=ACTOR,
                        policy=policy,
                    )
                    problem_id = recorded.problem.id
                    if number == 0:
                        first_finding = recorded.finding.id
                assert problem_id is not None
                for photo in problem.photos:
                    media = store_upload(
                        session=session,
                        home=box.settings.home,
                        data=photo.render(),
                        filename=f"{problem.key}.jpg",
                        now=problem.reports[0].at,
                        uploaded_by=ACTOR,
                        limits=limits,
                    )
                    session.add(
                        ProblemAttachment(
                            problem_id=problem_id,
                            media_id=media.id,
                            finding_id=first_finding,
                            purpose="evidence",
                            public=False,
                            added_at=problem.reports[0].at,
                            added_by=ACTOR,
                        )
                    )
                ids[problem.key] = problem_id
        if progress is not None:
            progress(len(ids))
    return ids


@dataclass(frozen=True)
class Result:
    clue: ClueCase
    truth: int | None
    decision: DedupeDecision
    seconds: float
    """Wall time of the ``find_duplicates`` call."""

    @property
    def outcome(self) -> str:
        decision, truth = self.decision, self.truth
        suggested = {s.problem_id for s in decision.suggestions}
        if truth is None:
            if decision.attach_to is not None:
                return "attach_wrong"
            return "suggest" if suggested else "new"
        if decision.attach_to == truth:
            return "attach_right"
        if decision.attach_to is not None:
            return "attach_other"
        if truth in suggested:
            return "suggest_right"
        return "suggest_other" if suggested else "missed"


def phashes(photos: tuple[Photo, ...], limits: MediaLimits | None = None) -> tuple[str, ...]:
    """The dHashes media.inspect computes for the photos, as an upload would get them."""
    limits = limits or MediaLimits()
    found = (inspect_upload(photo.render(), "clue.jpg", limits).phash for photo in photos)
    return tuple(h for h in found if h)


def run_clues(box: Container, labelled: LabelledSet, ids: dict[str, int]) -> list[Result]:
    """``find_duplicates`` for every clue, each in a read-only transaction of its own."""
    limits = MediaLimits.from_settings(box.settings)
    results = []
    for clue in labelled.clues:
        hashes = phashes(clue.photos, limits)
        with box.transaction() as session:
            started = time.perf_counter()
            decision = find_duplicates(
                session=session,
                category=clue.category,
                lat=clue.lat,
                lon=clue.lon,
                at=clue.at,
                text=clue.text,
                phashes=hashes,
                settings=box.settings,
            )
            seconds = time.perf_counter() - started
            session.rollback()
        truth = ids[clue.duplicate_of] if clue.duplicate_of is not None else None
        results.append(Result(clue, truth, decision, seconds))
    return results


@dataclass(frozen=True)
class Figures:
    """Counts of one clue kind (or of all) and the figures made of them."""

    counts: Counter[str]

    @property
    def positives(self) -> int:
        return sum(self.counts[o] for o in POSITIVE_OUTCOMES)

    @property
    def attached(self) -> int:
        return sum(self.counts[o] for o in ("attach_right", "attach_other", "attach_wrong"))

    @property
    def attach_precision(self) -> float | None:
        return self.counts["attach_right"] / self.attached if self.attached else None

    @property
    def attach_recall(self) -> float | None:
        return self.counts["attach_right"] / self.positives if self.positives else None

    @property
    def flagged(self) -> int:
        return self.attached + sum(
            self.counts[o] for o in ("suggest_right", "suggest_other", "suggest")
        )

    @property
    def flagged_right(self) -> int:
        return self.counts["attach_right"] + self.counts["suggest_right"]

    @property
    def flag_precision(self) -> float | None:
        return self.flagged_right / self.flagged if self.flagged else None

    @property
    def flag_recall(self) -> float | None:
        return self.flagged_right / self.positives if self.positives else None


def tally(results: list[Result]) -> dict[str, Figures]:
    """Figures per clue kind, and ``all``."""
    per_kind: dict[str, Counter[str]] = {}
    for result in results:
        per_kind.setdefault(result.clue.kind, Counter())[result.outcome] += 1
    everything: Counter[str] = Counter()
    for counts in per_kind.values():
        everything.update(counts)
    figures = {kind: Figures(counts) for kind, counts in per_kind.items()}
    figures["all"] = Figures(everything)
    return figures
