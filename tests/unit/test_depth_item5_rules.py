"""The detection depth rules "beyond the contract" (issue 20, item 5) on constructed series:
``inspection_drop``, ``dilution`` and ``rounded_values`` (pure), and their labelled set."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from ecoradar.detection import beyond, dilution, inspection, rounding
from ecoradar.detection.daily import china_day
from ecoradar.detection.params import (
    GAS_FLOW,
    OXYGEN,
    FactorConfig,
    HourRecord,
    PointConfig,
    Reading,
)
from ecoradar.simulate.depth_score import detect_beyond, score
from ecoradar.simulate.scenarios_beyond import BEYOND_KINDS, beyond_scenario

T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
SO2 = "a21026"
POINT = PointConfig(1, "POINT", "gas", {SO2: FactorConfig(SO2, 100.0, "hour", None)})


def process(hours: int, *, level: float = 50.0, noise: float = 0.05, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [
        round(
            level * (1 + 0.2 * math.sin(2 * math.pi * i / 24)) * rng.uniform(1 - noise, 1 + noise),
            3,
        )
        for i in range(hours)
    ]


def hours_of(values: list[float]) -> list[tuple[datetime, float]]:
    return [(T0 + i * H, v) for i, v in enumerate(values)]


def visit(day: int) -> inspection.Visit:
    return inspection.Visit(china_day(T0 + day * 24 * H), "inspection", day)


def working(day: int) -> range:
    return range(day * 24 + inspection.VISIT_FROM, day * 24 + inspection.VISIT_TO)


# -- inspection_drop ---------------------------------------------------------------------------
def test_readings_that_drop_only_while_inspected_raise_one_inspection_drop() -> None:
    values = process(24 * 30)
    for h in working(20):
        values[h] = round(values[h] * 0.6, 3)
    (span,) = inspection.spans(SO2, hours_of(values), [visit(10), visit(20)], 100.0)
    assert span.kind == "inspection_drop"
    assert span.start == T0 + (20 * 24 + 9) * H and span.end == T0 + (20 * 24 + 17) * H
    evidence = span.evidence
    assert evidence["relative_drop"] < 0.7 and evidence["similar_days"] == 0
    assert evidence["visit_inspection"] == 20 and evidence["days_compared"] >= 14
    assert len(evidence["series"]["days"]) == len(evidence["series"]["relative"])
    assert evidence["series"]["visit"] == china_day(T0 + 20 * 24 * H).isoformat()


def test_a_load_drop_in_working_hours_that_happens_every_week_is_no_inspection_drop() -> None:
    values = process(24 * 30)
    for day in range(2, 30, 7):  # a weekly stop, one of them the day of the visit
        for h in working(day):
            values[h] = round(values[h] * 0.55, 3)
    assert inspection.spans(SO2, hours_of(values), [visit(23)]) == []


def test_zeros_and_stuck_hours_during_a_visit_are_left_to_their_own_rules() -> None:
    values = process(24 * 30)
    for h in working(20):
        values[h] = 0.0
    assert inspection.spans(SO2, hours_of(values), [visit(20)], 100.0, 5.0) == []


def test_no_visit_no_inspection_drop() -> None:
    values = process(24 * 30)
    for h in working(20):
        values[h] *= 0.5
    assert inspection.spans(SO2, hours_of(values), []) == []


# -- rounded_values ----------------------------------------------------------------------------
def test_the_resolution_is_read_from_the_point_s_own_values() -> None:
    assert rounding.resolution(process(200)) == 0.001
    assert rounding.resolution([float(round(v)) for v in process(200)]) == 1.0
    assert rounding.resolution([round(v, 1) for v in process(200)]) == 0.1
    assert rounding.resolution(process(10)) is None


def test_whole_numbers_typed_in_among_measured_values_are_rounded_values() -> None:
    values = process(24 * 10)
    for h in range(24 * 6, 24 * 7, 2):  # half of one day's hours
        values[h] = float(round(values[h]))
    found = rounding.find(hours_of(values), T0)
    assert [d.day for d in found] == [china_day(T0 + 6 * 24 * H)]
    (span,) = rounding.spans(SO2, found, 100.0)
    assert span.kind == "rounded_values" and span.start == T0 + 24 * 6 * H
    evidence = span.evidence
    assert evidence["resolution"] == 0.001 and evidence["round_unit"] == 1.0
    assert evidence["round_hours"] >= 12 and evidence["expected_round_hours"] < 0.1
    assert (
        evidence["histogram"]["observed"][0] >= 12 and sum(evidence["histogram"]["observed"]) == 24
    )


def test_an_instrument_that_reports_integers_on_every_value_is_not_rounded() -> None:
    values = [float(round(v)) for v in process(24 * 10)]
    assert rounding.find(hours_of(values), T0) == []


def test_a_day_of_nothing_but_half_numbers_reads_as_a_coarser_day_not_a_cheat() -> None:
    values = process(24 * 10)
    for h in range(24 * 6, 24 * 7):
        values[h] = round(values[h] * 2) / 2
    assert rounding.find(hours_of(values), T0) == []


def test_one_round_value_repeated_is_a_flatline_s_not_rounded_values() -> None:
    values = process(24 * 10)
    for h in range(24 * 6, 24 * 6 + 12):
        values[h] = 50.0
    assert rounding.find(hours_of(values), T0) == []


# -- dilution ----------------------------------------------------------------------------------
def gas_records(
    hours: int, *, o2: float = 8.0, flow: float = 60.0, seed: int = 1
) -> list[HourRecord]:
    rng = random.Random(seed)
    out = []
    for i, so2 in enumerate(process(hours, seed=seed)):
        out.append(
            HourRecord(
                T0 + i * H,
                {
                    SO2: Reading(so2, flag="N"),
                    OXYGEN: Reading(round(o2 + rng.uniform(-0.3, 0.3), 2), flag="N"),
                    GAS_FLOW: Reading(round(flow * rng.uniform(0.97, 1.03), 3), flag="N"),
                },
            )
        )
    return out


def diluted(record: HourRecord, factor: float, *, flow: float = 1.0) -> HourRecord:
    r = record.readings
    so2, o2, gas = r[SO2].value, r[OXYGEN].value, r[GAS_FLOW].value
    assert so2 is not None and o2 is not None and gas is not None
    return HourRecord(
        record.data_time,
        {
            SO2: Reading(round(so2 / factor, 3), flag="N"),
            OXYGEN: Reading(round(20.9 - (20.9 - o2) / factor, 2), flag="N"),
            GAS_FLOW: Reading(round(gas * flow, 3), flag="N"),
        },
    )


def test_air_let_in_while_producing_is_dilution_with_its_numbers() -> None:
    records = gas_records(24 * 8)
    for h in range(100, 112):
        records[h] = diluted(records[h], 3.0, flow=1.5)
    (span,) = dilution.spans(POINT, records)
    assert span.kind == "dilution" and span.factor == OXYGEN
    assert span.start == T0 + 100 * H and span.end == T0 + 112 * H
    evidence = span.evidence
    assert 7.5 < evidence["usual_o2"] < 8.5 and evidence["mean_o2"] > 16
    assert 2.5 < evidence["dilution_factor"] < 3.5
    assert evidence["concentration_ratio"] < 0.4 and evidence["metered_hours"] == 0
    assert evidence["series"]["factor"] == SO2 and len(evidence["series"]["o2"]) == 12


def test_start_up_with_little_flow_or_the_line_metered_off_is_not_dilution() -> None:
    records = gas_records(24 * 8)
    for h in range(100, 112):  # a stop: O2 of air, little flow
        records[h] = diluted(records[h], 8.0, flow=0.1)
    assert dilution.spans(POINT, records) == []
    purging = gas_records(24 * 8)
    for h in range(100, 112):  # the fan purges at full flow; the production meter reads off
        purging[h] = diluted(purging[h], 8.0)
    production = {r.data_time: not 100 <= i < 112 for i, r in enumerate(purging)}
    assert dilution.spans(POINT, purging, production) == []
    (span,) = dilution.spans(POINT, purging, dict.fromkeys(production, True))
    assert span.evidence["metered_hours"] == 12


def test_a_short_air_leak_is_o2_anomaly_s_not_dilution() -> None:
    records = gas_records(24 * 8)
    for h in range(100, 104):
        records[h] = diluted(records[h], 3.0, flow=1.5)
    assert dilution.spans(POINT, records) == []


# -- the labelled set --------------------------------------------------------------------------
def test_the_labelled_set_of_an_unseen_seed_reaches_the_goal() -> None:
    scenario = beyond_scenario(16, incidents=4, honest=4)
    found = detect_beyond(
        [(p.config, p.records(), p.visits, p.production) for p in scenario.points]
    )
    labels = [(x.mn, x.kind, x.start, x.end) for x in scenario.labels]
    scores = score(labels, found, BEYOND_KINDS)
    for kind in BEYOND_KINDS:
        assert scores[kind].labels >= 4
        assert scores[kind].f1 >= 0.95, (kind, scores[kind])
    assert set(beyond.KINDS) == set(BEYOND_KINDS)
