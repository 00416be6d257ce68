"""The detection depth rules on constructed series: variance collapse (streaming, through the
detector fold), cloned streams and bunching below the limit (pure passes)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from ecoradar.detection import bunching, clones
from ecoradar.detection.depth_pass import bunching_spans
from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, Reading
from ecoradar.detection.runs import Span

T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
SO2, NOX = "a21026", "a21002"
POINT = PointConfig(1, "POINT", "gas", {SO2: FactorConfig(SO2, 100.0, "hour", None)})


def fold(values: list[float | None]) -> list[Span]:
    state = PointState(POINT)
    spans: list[Span] = []
    for i, value in enumerate(values):
        readings = {} if value is None else {SO2: Reading(value, flag="N")}
        spans += update(state, HourRecord(T0 + i * H, readings))
    return spans


def process(hours: int, *, level: float = 50.0, noise: float = 0.05, seed: int = 1) -> list[float]:
    """A process with a diurnal rhythm and its own noise (uniform, ``noise`` x level)."""
    rng = random.Random(seed)
    return [
        round(
            level * (1 + 0.2 * math.sin(2 * math.pi * i / 24)) * rng.uniform(1 - noise, 1 + noise),
            3,
        )
        for i in range(hours)
    ]


def collapses(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.kind == "variance_collapse"]


# -- variance_collapse -------------------------------------------------------------------------
def test_standard_gas_after_a_week_of_real_noise_raises_one_variance_collapse() -> None:
    values: list[float | None] = list(process(24 * 8))
    rng = random.Random(2)
    gas = [round(60.0 * (1 + rng.gauss(0, 0.002)), 3) for _ in range(20)]
    values += gas + list(process(24, seed=3))
    found = collapses(fold(values))
    starts = {s.start for s in found}
    assert starts == {T0 + 24 * 8 * H}
    closed = [s for s in found if s.end is not None]
    assert closed and closed[-1].end is not None and closed[-1].end >= T0 + (24 * 8 + 20) * H
    evidence = found[-1].evidence
    assert evidence["spread_ratio"] < 0.2
    assert evidence["usual_spread"] > 0.02


def test_a_steady_process_with_its_own_low_noise_raises_nothing() -> None:
    rng = random.Random(4)
    values: list[float | None] = [round(40 * rng.uniform(0.99, 1.01), 3) for _ in range(24 * 20)]
    assert collapses(fold(values)) == []


def test_identical_values_are_a_flatline_not_a_variance_collapse() -> None:
    values: list[float | None] = list(process(24 * 8)) + [55.5] * 20
    spans = fold(values)
    assert collapses(spans) == []
    assert any(s.kind == "flatline" for s in spans)


def test_a_collapse_before_the_point_has_a_history_is_not_judged() -> None:
    rng = random.Random(5)
    values: list[float | None] = [round(60 * (1 + rng.gauss(0, 0.002)), 3) for _ in range(40)]
    assert collapses(fold(values)) == []


def test_a_gap_restarts_the_window() -> None:
    rng = random.Random(6)
    values: list[float | None] = list(process(24 * 8))
    for i in range(22):  # never 12 consecutive hours of standard gas
        values.append(None if i % 10 == 9 else round(60 * (1 + rng.gauss(0, 0.002)), 3))
    assert collapses(fold(values)) == []


def test_values_held_just_under_the_limit_are_left_to_near_limit_pinning() -> None:
    rng = random.Random(7)
    values: list[float | None] = list(process(24 * 8))
    values += [round(92 * (1 + rng.gauss(0, 0.002)), 3) for _ in range(30)]
    spans = fold(values)
    assert collapses(spans) == []
    assert any(s.kind == "near_limit_pinning" for s in spans)


# -- cloned_stream -----------------------------------------------------------------------------
DAY0 = datetime(2026, 3, 1, 16, tzinfo=UTC)


def series(values: list[float]) -> dict[datetime, float]:
    return {DAY0 + i * H: v for i, v in enumerate(values)}


def test_a_scaled_and_shifted_copy_is_found_on_both_points_with_its_fit() -> None:
    a = process(72, seed=10)
    b = process(72, seed=11)
    b[24:60] = [round(1.3 * v + 4.0, 2) for v in a[24:60]]
    found = clones.find_clones(
        {(1, SO2): series(a), (2, SO2): series(b), (3, SO2): series(process(72, seed=12))},
        clones.windows(DAY0, DAY0 + 72 * H),
    )
    assert [(c.a, c.b) for c in found] == [((1, SO2), (2, SO2))]
    clone = found[0]
    assert clone.start == DAY0 + 24 * H and clone.end == DAY0 + 60 * H
    evidence = clones.evidence(clone, (2, SO2), {"mn": "A"})
    assert abs(evidence["fit"]["scale"] - 1.3) < 0.01
    assert abs(evidence["fit"]["offset"] - 4.0) < 0.5
    assert evidence["fit"]["residual"] < 0.1 * evidence["fit"]["noise"]
    assert evidence["other"] == {"mn": "A"}
    assert len(evidence["series"]["this"]) == len(evidence["series"]["times"]) == 36


def test_outlets_of_one_process_with_their_own_noise_are_not_clones() -> None:
    rng = random.Random(20)
    load = [1 + 0.3 * math.sin(2 * math.pi * i / 24) * rng.uniform(0.9, 1.1) for i in range(72)]
    a = [round(40 * x * rng.uniform(0.97, 1.03), 3) for x in load]
    b = [round(55 * x * rng.uniform(0.97, 1.03), 3) for x in load]
    assert clones.affine(a, b)[2] > 0.9  # strongly correlated...
    found = clones.find_clones(
        {(1, SO2): series(a), (2, SO2): series(b)}, clones.windows(DAY0, DAY0 + 72 * H)
    )
    assert found == []  # ...but each with its own noise


def test_a_copy_of_another_factor_or_within_one_point_is_not_compared() -> None:
    a = process(48, seed=30)
    found = clones.find_clones(
        {(1, SO2): series(a), (2, NOX): series(a), (3, SO2): series(a), (3, NOX): series(a)},
        clones.windows(DAY0, DAY0 + 48 * H),
    )
    assert {(c.a, c.b) for c in found} == {((1, SO2), (3, SO2)), ((2, NOX), (3, NOX))}


def test_a_day_with_a_missing_hour_or_no_movement_has_no_fingerprint() -> None:
    assert clones.fingerprint([5.0] * 24) is None
    a = series(process(24, seed=31))
    del a[DAY0 + 5 * H]
    assert clones.day_values(a, DAY0) is None


# -- limit_bunching ----------------------------------------------------------------------------
def high_runner(seed: int, *, clip: bool) -> list[float]:
    """Mean 82 % of the limit, a diurnal swing, lognormal-like noise (sd 8 %)."""
    rng = random.Random(seed)
    out = []
    for i in range(28 * 24):
        value = 82 * (1 + 0.1 * math.sin(2 * math.pi * i / 24)) * math.exp(rng.gauss(0, 0.08))
        if clip and value > 95:
            value = rng.uniform(93, 99.5)
        out.append(round(value, 3))
    return out


def test_values_moved_from_above_the_limit_to_just_below_it_bunch() -> None:
    result = bunching.measure(high_runner(40, clip=True), 100.0)
    assert result is not None and bunching.bunches(result)
    assert result.above_observed == 0 and result.above_expected > 15
    evidence = result.evidence()
    assert len(evidence["histogram"]["observed"]) == len(evidence["histogram"]["expected"])


def test_an_honest_high_runner_with_a_smooth_tail_does_not_bunch() -> None:
    for seed in (41, 42, 43):
        result = bunching.measure(high_runner(seed, clip=False), 100.0)
        assert result is not None and not bunching.bunches(result)


def test_too_few_hours_or_none_near_the_limit_are_not_judged() -> None:
    assert bunching.measure(high_runner(44, clip=True)[:200], 100.0) is None
    assert bunching.measure([30.0 + (i % 7) for i in range(700)], 100.0) is None
    assert bunching.measure(high_runner(44, clip=True), 0.0) is None


def test_poisson_tails() -> None:
    assert bunching.poisson_sf(0, 3.0) == 1.0
    assert abs(bunching.poisson_sf(1, 3.0) - (1 - math.exp(-3))) < 1e-12
    assert abs(bunching.poisson_cdf(0, 3.0) - math.exp(-3)) < 1e-12
    assert bunching.poisson_sf(60, 20.0) < 1e-10


def test_hours_of_a_near_limit_pinning_alert_are_left_out_of_the_bunching_test() -> None:
    values = high_runner(40, clip=True)
    records = {
        1: [HourRecord(T0 + i * H, {SO2: Reading(v, flag="N")}) for i, v in enumerate(values)]
    }
    end = T0 + len(values) * H
    assert [s.span.kind for s in bunching_spans({1: POINT}, records, end)] == ["limit_bunching"]
    pinned = {(1, SO2): [(T0, end)]}  # the whole period steered: that alert's, not this one's
    assert bunching_spans({1: POINT}, records, end, pinned) == []
