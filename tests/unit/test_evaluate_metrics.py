"""The prediction metrics (pure): AUC, precision at k, and risk-weighted against uniform
inspection draws."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoradar.simulate.evaluate import (
    DrawItem,
    auc,
    compare_draws,
    cutoffs,
    precision_at,
)

RATES = {"green": 0.05, "yellow": 0.3, "red": 1.0}


def test_auc_is_one_when_every_violator_scores_lower_and_zero_when_reversed() -> None:
    scores = [30.0, 40.0, 80.0, 90.0, 95.0]
    assert auc(scores, [True, True, False, False, False]) == 1.0
    assert auc(scores, [False, False, False, True, True]) == 0.0


def test_auc_counts_a_tie_between_a_violator_and_another_as_half() -> None:
    # Pairs (violator, other): (10, 20) 1, (10, 30) 1, (20, 20) 0.5, (20, 30) 1.
    assert auc([10.0, 20.0, 20.0, 30.0], [True, True, False, False]) == pytest.approx(0.875)
    assert auc([50.0] * 6, [True, False] * 3) == 0.5


def test_auc_without_both_outcomes_is_not_a_number() -> None:
    assert math.isnan(auc([1.0, 2.0], [True, True]))
    assert math.isnan(auc([1.0, 2.0], [False, False]))
    with pytest.raises(ValueError, match="length"):
        auc([1.0], [True, False])


@given(
    st.lists(
        st.tuples(st.integers(0, 10).map(float), st.booleans()), min_size=2, max_size=40
    ).filter(lambda rows: len({o for _, o in rows}) == 2)
)
def test_auc_is_the_share_of_violator_and_other_pairs_ranked_right(
    rows: list[tuple[float, bool]],
) -> None:
    scores = [s for s, _ in rows]
    outcomes = [o for _, o in rows]
    pairs = [(p, n) for p, o in rows if o for n, q in rows if not q]
    right = sum(1.0 if p < n else 0.5 if p == n else 0.0 for p, n in pairs)
    assert auc(scores, outcomes) == pytest.approx(right / len(pairs))


def test_precision_at_k_counts_the_lowest_scores_and_a_tie_at_the_cut_in_proportion() -> None:
    scores = [10.0, 20.0, 20.0, 20.0, 90.0]
    outcomes = [True, True, False, False, True]
    assert precision_at(scores, outcomes, 1) == 1.0
    assert precision_at(scores, outcomes, 2) == pytest.approx((1 + 1 / 3) / 2)
    assert precision_at(scores, outcomes, 4) == pytest.approx(2 / 4)
    assert precision_at(scores, outcomes, 5) == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="between 1 and 5"):
        precision_at(scores, outcomes, 6)


def test_the_cut_offs_are_10_20_and_5_percent_of_those_that_fit() -> None:
    assert cutoffs(300) == [10, 15, 20]
    assert cutoffs(1000) == [10, 20, 50]
    assert cutoffs(12) == [1, 10]


def _world(red_violators: int, green_clean: int) -> list[DrawItem]:
    return [DrawItem(f"R{n:03d}", "red", True) for n in range(red_violators)] + [
        DrawItem(f"G{n:03d}", "green", False) for n in range(green_clean)
    ]


def test_draws_weighted_by_colour_find_more_per_inspection_with_the_same_expected_size() -> None:
    items = _world(10, 90)
    result = compare_draws({"2026-12": items}, RATES, seeds=400, find_rate=0.8)
    # Expected: 10 + 90 x 0.05 = 14.5 inspections; risk finds 0.8 x 10 of them, uniform
    # inspects each at 14.5 % and finds 0.8 x 10 % of its inspections.
    assert result.uniform_rate == pytest.approx(0.145)
    assert result.expected_risk == pytest.approx(0.8 * 10 / 14.5)
    assert result.expected_uniform == pytest.approx(0.08)
    assert result.risk.per_draw == pytest.approx(14.5, abs=0.5)
    assert result.uniform.per_draw == pytest.approx(14.5, abs=0.9)
    assert result.risk.per_inspection == pytest.approx(result.expected_risk, abs=0.04)
    assert result.uniform.per_inspection == pytest.approx(0.08, abs=0.01)
    assert result.ratio > 5
    assert result.expected_ratio == pytest.approx(0.8 / 14.5 / 0.008)


def test_with_one_colour_for_everyone_targeting_gains_nothing() -> None:
    items = [DrawItem(f"Y{n:03d}", "yellow", n % 4 == 0) for n in range(200)]
    result = compare_draws({"p": items}, RATES, seeds=200)
    assert result.expected_ratio == pytest.approx(1.0)
    assert result.ratio == pytest.approx(1.0, abs=0.15)


def test_both_arms_use_the_given_draw_function_with_their_own_seeds_per_period() -> None:
    calls: list[tuple[str, str, dict[str, float]]] = []

    def draw(
        candidates: Sequence[tuple[str, str | None]],
        rates: Mapping[str, float],
        seed: str,
        period: str,
    ) -> list[str]:
        calls.append((seed, period, dict(rates)))
        return [code for code, colour in candidates if colour == "red"]

    periods = {"a": _world(2, 8), "b": _world(1, 9)}
    result = compare_draws(periods, RATES, seeds=3, find_rate=1.0, draw=draw)
    assert len(calls) == 2 * 3 * 2
    assert {(seed, period) for seed, period, _ in calls} == {
        (f"{arm}:{n}", p) for arm in ("risk", "uniform") for n in range(3) for p in "ab"
    }
    uniform = [rates for seed, _, rates in calls if seed.startswith("uniform")]
    assert all(len(set(rates.values())) == 1 for rates in uniform)
    assert result.risk.inspections == result.risk.found == 3 * (2 + 1)
    assert result.risk.draws == 6


def test_nothing_to_draw_from_is_refused() -> None:
    with pytest.raises(ValueError, match="no enterprises"):
        compare_draws({}, RATES)
    with pytest.raises(ValueError, match="no enterprises"):
        compare_draws({"p": []}, RATES)
