"""Does the green code predict? Pure metrics over scored enterprises (no I/O).

* :func:`auc` — the probability that an enterprise with the outcome scores lower (is riskier)
  than one without: a lower score is a higher risk. Ties count half (the Mann-Whitney
  statistic), so a score that tells nothing gives 0.5.
* :func:`precision_at` — the share with the outcome among the ``k`` lowest scores. Where the
  ``k``-th place falls inside a run of equal scores, the run counts in proportion (the
  expectation over every order of the tie), so the figure does not depend on how ties sort.
* :func:`compare_draws` — inspections drawn with the colour rates against uniform draws of the
  same expected size, over many seeds: violations found per inspection. Draws are made with
  the inspections' own draw function (``ecoradar.inspections.draw.draw_enterprises``); an
  inspection finds a violation that is there with ``find_rate``, drawn once per seed and
  enterprise, the same in both arms.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from ecoradar.inspections.draw import draw_enterprises

DrawFunction = Callable[
    [Sequence[tuple[str, str | None]], Mapping[str, float], str, str], list[str]
]


def _check(scores: Sequence[float], outcomes: Sequence[bool]) -> None:
    if len(scores) != len(outcomes):
        raise ValueError("scores and outcomes differ in length")


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Area under the ROC curve of ``-score`` against ``outcomes`` (NaN without both kinds)."""
    _check(scores, outcomes)
    positives = sum(1 for o in outcomes if o)
    negatives = len(outcomes) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    # Rank by risk (score descending = risk ascending); average ranks within ties.
    ordered = sorted(zip(scores, outcomes, strict=True), key=lambda p: -p[0])
    rank_sum, position = 0.0, 0
    for _, group in groupby(ordered, key=lambda p: p[0]):
        members = list(group)
        mean_rank = position + (len(members) + 1) / 2
        rank_sum += mean_rank * sum(1 for _, o in members if o)
        position += len(members)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def precision_at(scores: Sequence[float], outcomes: Sequence[bool], k: int) -> float:
    """Share with the outcome among the ``k`` lowest scores (ties in proportion)."""
    _check(scores, outcomes)
    if not 0 < k <= len(scores):
        raise ValueError(f"k: between 1 and {len(scores)}")
    ordered = sorted(zip(scores, outcomes, strict=True), key=lambda p: p[0])
    hits, taken = 0.0, 0
    for _, group in groupby(ordered, key=lambda p: p[0]):
        members = list(group)
        room = k - taken
        positive = sum(1 for _, o in members if o)
        if len(members) <= room:
            hits += positive
            taken += len(members)
        else:
            hits += positive * room / len(members)
            taken = k
        if taken >= k:
            break
    return hits / k


def cutoffs(count: int) -> list[int]:
    """The ``k`` of the report: 10, 20 and 5 % of the enterprises (those that fit)."""
    wanted = [10, 20, max(1, round(0.05 * count))]
    return sorted({k for k in wanted if k <= count})


@dataclass(frozen=True)
class DrawItem:
    code: str
    colour: str
    violating: bool
    """Has a real violation an inspection could find (hidden truth)."""


@dataclass(frozen=True)
class DrawArm:
    inspections: int
    found: int
    draws: int

    @property
    def per_inspection(self) -> float:
        return self.found / self.inspections if self.inspections else 0.0

    @property
    def per_draw(self) -> float:
        return self.inspections / self.draws if self.draws else 0.0


@dataclass(frozen=True)
class DrawComparison:
    risk: DrawArm
    uniform: DrawArm
    uniform_rate: float
    """Every enterprise's chance in the uniform draw: the risk draw's expected size / N (of
    the last period; the same in every period when the colours are)."""
    expected_risk: float
    """Expected violations found per inspection, risk-weighted (no sampling)."""
    expected_uniform: float

    @property
    def ratio(self) -> float:
        """Found per inspection, risk-weighted over uniform."""
        if self.uniform.per_inspection == 0:
            return math.inf if self.risk.per_inspection else math.nan
        return self.risk.per_inspection / self.uniform.per_inspection

    @property
    def expected_ratio(self) -> float:
        return self.expected_risk / self.expected_uniform if self.expected_uniform else math.nan


def _found(chosen: Sequence[str], truth: Mapping[str, bool], seed: str, find_rate: float) -> int:
    return sum(
        1
        for code in chosen
        if truth[code] and random.Random(f"find:{seed}:{code}").random() < find_rate
    )


def compare_draws(
    periods: Mapping[str, Sequence[DrawItem]],
    rates: Mapping[str, float],
    *,
    seeds: int = 1000,
    find_rate: float = 0.8,
    draw: DrawFunction = draw_enterprises,
) -> DrawComparison:
    """Risk-weighted draws (each enterprise at its colour's rate) against uniform draws with
    every enterprise at one rate, chosen so both have the same expected size: ``seeds`` draws
    of each for every period (period name -> the enterprises and whether each violates then).
    """
    if not periods or not all(periods.values()):
        raise ValueError("no enterprises to draw from")
    counts = {"risk": [0, 0], "uniform": [0, 0]}
    expected = {"risk": 0.0, "uniform": 0.0, "size": 0.0}
    rate = 0.0
    for period, items in sorted(periods.items()):
        size = sum(rates[i.colour] for i in items)
        rate = size / len(items)
        flat = dict.fromkeys({i.colour for i in items}, rate)
        candidates: list[tuple[str, str | None]] = [(i.code, i.colour) for i in items]
        truth = {i.code: i.violating for i in items}
        for seed in range(seeds):
            for arm, arm_rates in (("risk", rates), ("uniform", flat)):
                chosen = draw(candidates, arm_rates, f"{arm}:{seed}", period)
                counts[arm][0] += len(chosen)
                counts[arm][1] += _found(chosen, truth, f"{period}:{seed}", find_rate)
        expected["risk"] += find_rate * sum(rates[i.colour] for i in items if i.violating)
        expected["uniform"] += find_rate * rate * sum(1 for i in items if i.violating)
        expected["size"] += size
    draws = seeds * len(periods)
    size = expected["size"]
    return DrawComparison(
        risk=DrawArm(counts["risk"][0], counts["risk"][1], draws),
        uniform=DrawArm(counts["uniform"][0], counts["uniform"][1], draws),
        uniform_rate=rate,
        expected_risk=expected["risk"] / size if size else 0.0,
        expected_uniform=expected["uniform"] / size if size else 0.0,
    )
