"""The detector fold, rule by rule, on hand-made hours."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, Reading
from ecoradar.detection.runs import Span

T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
SO2, NOX, FLOW, O2, COD, WFLOW = "a21026", "a21002", "a00000", "a19001", "w01018", "w00000"

GAS = PointConfig(
    1,
    "GAS",
    "gas",
    {
        SO2: FactorConfig(SO2, 35.0, "hour", 6.0),
        NOX: FactorConfig(NOX, 50.0, "hour", None),
    },
)
WATER = PointConfig(2, "WATER", "water", {COD: FactorConfig(COD, 50.0, "day")})


def noise(i: int, base: float, spread: float, salt: str = "") -> float:
    """A value around ``base`` that never repeats in a pattern (real data does not either)."""
    return round(base + random.Random(f"{salt}{i}").uniform(-spread, spread), 3)


def gas_hour(
    i: int,
    so2: float = 20.0,
    *,
    nox: float | None = None,
    flag: str = "N",
    flow: float | None = 50.0,
    flow_flag: str = "N",
    o2: float | None = None,
    zs: bool = True,
) -> HourRecord:
    readings = {
        SO2: Reading(so2 * 0.8, so2 if zs else None, flag=flag),
        NOX: Reading(nox if nox is not None else noise(i, 30.0, 5.0, "nox"), flag="N"),
        O2: Reading(o2 if o2 is not None else noise(i, 9.0, 0.5, "o2"), flag="N"),
    }
    if flow is not None:
        readings[FLOW] = Reading(flow + noise(i, 0, 2, "flow") if flow else flow, flag=flow_flag)
    return HourRecord(T0 + i * H, readings)


def water_hour(i: int, cod: float, flag: str = "N") -> HourRecord:
    return HourRecord(
        T0 + i * H, {COD: Reading(cod, flag=flag), WFLOW: Reading(noise(i, 20, 2, "w"), flag="N")}
    )


def fold(
    config: PointConfig, records: Iterable[HourRecord]
) -> dict[tuple[str, str, datetime], Span]:
    """The final state of every alert (the last span per kind, factor and start)."""
    state = PointState(config)
    final: dict[tuple[str, str, datetime], Span] = {}
    for record in records:
        for span in update(state, record):
            final[(span.kind, span.factor, span.start)] = span
    return final


def kinds(
    alerts: dict[tuple[str, str, datetime], Span],
) -> list[tuple[str, str, datetime, datetime | None]]:
    return sorted((s.kind, s.factor, s.start, s.end) for s in alerts.values())


def varied(i: int) -> float:
    return noise(i, 15.0, 5.0, "so2")  # well under the limits


def test_normal_operation_raises_nothing() -> None:
    assert fold(GAS, [gas_hour(i, varied(i)) for i in range(200)]) == {}


def test_consecutive_exceeding_hours_form_one_alert_on_the_converted_value() -> None:
    hours = [gas_hour(i, 40.0 if 10 <= i < 13 else varied(i)) for i in range(20)]
    (alert,) = fold(GAS, hours).values()
    assert (alert.kind, alert.factor, alert.start, alert.end) == (
        "exceedance",
        SO2,
        T0 + 10 * H,
        T0 + 13 * H,
    )
    assert alert.evidence["limit"] == 35.0 and len(alert.evidence["values"]) == 3


def test_an_exceedance_still_going_is_open() -> None:
    hours = [gas_hour(i, 40.0 if i >= 10 else varied(i)) for i in range(14)]
    (alert,) = fold(GAS, hours).values()
    assert alert.end is None and alert.evidence["hours"] == 4


def test_the_converted_value_is_computed_from_avg_and_o2_when_zsavg_is_missing() -> None:
    # Avg 24 at 12 % O2 -> 24 x (21 - 6) / (21 - 12) = 40 > 35
    record = HourRecord(T0, {SO2: Reading(24.0, None, flag="N"), O2: Reading(12.0, flag="N")})
    (alert,) = fold(GAS, [record]).values()
    assert alert.kind == "exceedance"


def test_a_value_exactly_at_the_limit_is_not_an_exceedance() -> None:
    assert fold(GAS, [gas_hour(i, 35.0 if i % 2 else varied(i)) for i in range(12)]) == {}


def test_a_gap_splits_an_exceedance_and_flagged_hours_do_not_count() -> None:
    hours = [gas_hour(i, 40.0) for i in (0, 1, 3)] + [gas_hour(4, 80.0, flag="M")]
    assert [a[2] for a in kinds(fold(GAS, hours))] == [T0, T0 + 3 * H]


def test_a_day_whose_mean_exceeds_a_daily_limit_is_one_alert_spanning_the_day() -> None:
    hours = [water_hour(i, noise(i, 56.0, 2.0)) for i in range(24)]
    (alert,) = fold(WATER, hours).values()
    assert (alert.start, alert.end) == (T0, T0 + 24 * H)
    assert alert.evidence["valid_hours"] == 24


def test_a_short_spike_in_a_day_under_its_daily_limit_raises_nothing() -> None:
    hours = [water_hour(i, 200.0 if i == 5 else noise(i, 30.0, 4.0)) for i in range(48)]
    assert fold(WATER, hours) == {}


def test_a_day_with_fewer_than_20_valid_hours_is_not_judged() -> None:
    hours = [water_hour(i, noise(i, 80.0, 5.0), flag="N" if i < 19 else "D") for i in range(24)]
    assert fold(WATER, hours) == {}


def test_consecutive_exceeding_days_extend_one_alert() -> None:
    hours = [water_hour(i, noise(i, 62.0, 2.0)) for i in range(48)]
    (alert,) = fold(WATER, hours).values()
    assert (alert.start, alert.end) == (T0, T0 + 48 * H)


def test_six_identical_values_above_the_floor_are_a_flatline() -> None:
    hours = [gas_hour(i, varied(i), nox=42.0 if 4 <= i < 10 else None) for i in range(14)]
    assert kinds(fold(GAS, hours)) == [("flatline", NOX, T0 + 4 * H, T0 + 10 * H)]


def test_five_identical_values_or_a_run_at_the_instrument_floor_are_not() -> None:
    five = [gas_hour(i, varied(i), nox=42.0 if 4 <= i < 9 else None) for i in range(14)]
    floor = [gas_hour(i, varied(i), nox=1.0 if 4 <= i < 40 else None) for i in range(44)]
    assert fold(GAS, five) == {}
    assert fold(GAS, floor) == {}


def test_three_zero_hours_while_the_flow_runs_are_zero_values() -> None:
    hours = [gas_hour(i, 0.0 if 5 <= i < 8 else varied(i)) for i in range(12)]
    assert kinds(fold(GAS, hours)) == [("zero_value", SO2, T0 + 5 * H, T0 + 8 * H)]


def test_zeros_during_a_shutdown_flagged_f_are_not_zero_values() -> None:
    hours = [
        gas_hour(i, 0.0, flag="F", flow=0.0, flow_flag="F")
        if 5 <= i < 15
        else gas_hour(i, varied(i))
        for i in range(20)
    ]
    assert fold(GAS, hours) == {}


def test_three_silent_hours_are_offline_and_two_are_not() -> None:
    three = [gas_hour(i, varied(i)) for i in [0, 1, 2, 6, 7]]
    two = [gas_hour(i, varied(i)) for i in [0, 1, 2, 5, 6]]
    assert kinds(fold(GAS, three)) == [("offline", "", T0 + 3 * H, T0 + 6 * H)]
    assert fold(GAS, two) == {}


def test_values_held_just_under_the_limit_for_a_day_are_pinning() -> None:
    hours = [gas_hour(i, noise(i, 33.5, 0.6) if i >= 10 else varied(i)) for i in range(40)]
    ((kind, factor, start, end),) = kinds(fold(GAS, hours))
    assert (kind, factor, start, end) == ("near_limit_pinning", SO2, T0 + 10 * H, None)


def test_high_but_varying_values_are_not_pinning() -> None:
    hours = [gas_hour(i, noise(i, 26.0, 8.5)) for i in range(60)]
    assert fold(GAS, hours) == {}


def test_a_copied_stretch_of_values_is_a_repeated_sequence() -> None:
    source = [noise(i, 30.0, 5.0, "src") for i in range(100)]
    values = list(source)
    values[60:75] = source[20:35]  # 15 hours copied from 40 hours earlier
    hours = [gas_hour(i, varied(i), nox=values[i]) for i in range(100)]
    alerts = [a for a in kinds(fold(GAS, hours)) if a[0] == "repeated_sequence"]
    assert alerts == [("repeated_sequence", NOX, T0 + 60 * H, T0 + 75 * H)]


def test_a_copy_of_eleven_hours_or_from_the_same_day_is_not_a_repeated_sequence() -> None:
    source = [noise(i, 30.0, 5.0, "src") for i in range(100)]
    short, recent = list(source), list(source)
    short[60:71] = source[20:31]
    recent[60:75] = source[45:60]  # began only 15 hours earlier
    for values in (short, recent):
        hours = [gas_hour(i, varied(i), nox=values[i]) for i in range(100)]
        assert [a for a in kinds(fold(GAS, hours)) if a[0] == "repeated_sequence"] == []


def test_values_flagged_t_are_over_range_and_negative_values_are_reported() -> None:
    hours = [gas_hour(i, varied(i)) for i in range(10)]
    hours[3] = gas_hour(3, 30.0, flag="T")
    hours[6] = gas_hour(6, -2.0)
    assert [(k, f) for k, f, _, _ in kinds(fold(GAS, hours))] == [
        ("negative_value", SO2),
        ("over_range", SO2),
    ]


@pytest.mark.parametrize(
    ("flagged", "flow_flag", "expected"), [(5, "N", 1), (4, "N", 0), (5, "F", 0)]
)
def test_more_than_four_maintenance_hours_a_day_while_running_are_flag_abuse(
    flagged: int, flow_flag: str, expected: int
) -> None:
    hours = [
        gas_hour(i, 99.0, flag="M", flow_flag=flow_flag)
        if 8 <= i < 8 + flagged
        else gas_hour(i, varied(i))
        for i in range(24)
    ]
    abuse = [a for a in kinds(fold(GAS, hours)) if a[0] == "flag_abuse"]
    assert len(abuse) == expected
    if expected:
        assert abuse[0][2:] == (T0, T0 + 24 * H)


def test_o2_near_air_while_operating_or_constant_is_an_o2_anomaly() -> None:
    high = [gas_hour(i, varied(i), o2=19.5 if i == 4 else None) for i in range(8)]
    stopped = [gas_hour(i, varied(i), o2=20.9, flow=0.0) for i in range(8)]
    constant = [gas_hour(i, varied(i), o2=8.5 if 2 <= i < 9 else None) for i in range(12)]
    assert kinds(fold(GAS, high)) == [("o2_anomaly", O2, T0 + 4 * H, T0 + 5 * H)]
    assert [a for a in kinds(fold(GAS, stopped)) if a[0] == "o2_anomaly"] == []
    assert kinds(fold(GAS, constant)) == [("o2_anomaly", O2, T0 + 2 * H, T0 + 9 * H)]


def test_hours_must_come_in_order() -> None:
    state = PointState(GAS)
    update(state, gas_hour(5))
    with pytest.raises(ValueError, match="is not after"):
        update(state, gas_hour(4))
