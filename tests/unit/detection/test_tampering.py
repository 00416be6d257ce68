"""The ``parameter_tampering`` rule: changes no calibration or maintenance explains."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from ecoradar.detection.tampering import HourValue, ParamRecord, changes, detect

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
CALIBRATED = T0 - timedelta(days=20)
CHANGE = T0 + timedelta(days=3, hours=7)
"""When the analyser is re-parameterised: between the 3rd and the 4th daily record."""


def daily_records(days: int, at_change: ParamRecord | None = None) -> list[ParamRecord]:
    """One record a day at 00:00; from the first record after ``CHANGE``, ``at_change``."""
    honest = ParamRecord(T0, 500.0, CALIBRATED, 0.5, 1.0)
    out = []
    for d in range(days):
        when = T0 + d * DAY
        base = at_change if at_change is not None and when > CHANGE else honest
        out.append(
            ParamRecord(
                when,
                base.range_value,
                base.calibrated_at,
                base.intercept,
                base.slope,
            )
        )
    return out


def hours(
    days: int, ratio: float = 1.0, flag_at: tuple[datetime, str] | None = None
) -> list[HourValue]:
    """Hourly values with a daily cycle and noise; from ``CHANGE`` on times ``ratio``."""
    rng = random.Random(7)
    out = []
    for h in range(-72, days * 24):
        when = T0 + timedelta(hours=h)
        value = 60 * (0.75 + 0.25 * math.sin(h / 24 * 2 * math.pi)) * rng.uniform(0.95, 1.05)
        if when >= CHANGE:
            value *= ratio
        flag = "N"
        if flag_at is not None and abs(when - flag_at[0]) < timedelta(hours=2):
            flag = flag_at[1]
        out.append(HourValue(when, round(value, 3), flag))
    return out


def test_a_slope_cut_with_the_readings_dropping_is_tampering_from_the_hour_they_drop() -> None:
    records = daily_records(7, ParamRecord(T0, 500.0, CALIBRATED, 0.5, 0.6))
    spans = detect(records, hours(7, ratio=0.6), "w01018")
    assert len(spans) == 1
    span = spans[0]
    assert span.kind == "parameter_tampering" and span.factor == "w01018"
    assert span.severity == "high"
    assert abs(span.start - CHANGE) <= timedelta(hours=1)
    assert span.end is None
    assert span.evidence["changes"] == {"slope": [1.0, 0.6]}
    assert span.evidence["readings"]["verdict"] == "shifted"
    assert span.evidence["history"] and span.evidence["calibrations"]


def test_a_real_calibration_explains_a_slope_change() -> None:
    recalibrated = ParamRecord(T0, 500.0, CHANGE, 0.5, 0.93)
    assert changes(daily_records(1)[0], recalibrated)
    assert detect(daily_records(7, recalibrated), hours(7, ratio=0.93), "w01018") == []


def test_a_calibration_time_outside_the_window_explains_nothing() -> None:
    stale = ParamRecord(T0, 500.0, CHANGE - timedelta(days=5), 0.5, 0.6)
    spans = detect(daily_records(7, stale), hours(7, ratio=0.6), "w01018")
    assert [s.severity for s in spans] == ["high"]


def test_maintenance_hours_explain_a_change() -> None:
    serviced = ParamRecord(T0, 1000.0, CALIBRATED, 0.5, 1.0)
    spans = detect(daily_records(7, serviced), hours(7, flag_at=(CHANGE, "M")), "w01018")
    assert spans == []


def test_an_unexplained_change_the_readings_do_not_follow_is_medium_at_the_record() -> None:
    records = daily_records(7, ParamRecord(T0, 500.0, CALIBRATED, 0.5, 0.6))
    spans = detect(records, hours(7, ratio=1.0), "w01018")
    assert len(spans) == 1
    assert spans[0].severity == "medium"
    assert spans[0].evidence["readings"]["verdict"] == "not_shifted"
    assert spans[0].start == T0 + 4 * DAY  # the first record that showed it


def test_without_readings_after_the_change_it_is_pending() -> None:
    records = daily_records(5, ParamRecord(T0, 500.0, CALIBRATED, 0.5, 0.6))
    few = [h for h in hours(5, ratio=0.6) if h.at < CHANGE + timedelta(hours=4)]
    spans = detect(records, few, "w01018")
    assert [s.evidence["readings"]["verdict"] for s in spans] == ["pending"]
    assert spans[0].severity == "medium"


def test_changes_within_tolerance_are_drift_not_tampering() -> None:
    drift = ParamRecord(T0, 500.0, CALIBRATED, 0.52, 0.98)
    assert detect(daily_records(7, drift), hours(7, ratio=0.98), "w01018") == []


def test_restored_parameters_close_the_alert() -> None:
    records = daily_records(7, ParamRecord(T0, 500.0, CALIBRATED, 0.5, 0.6))
    records[-1] = ParamRecord(records[-1].at, 500.0, CALIBRATED, 0.5, 1.0)
    spans = detect(records, hours(7, ratio=0.6), "w01018")
    assert len(spans) == 1  # putting the parameters back is not a second alert
    assert spans[0].end == records[-1].at


def test_a_range_change_is_a_change() -> None:
    assert changes(ParamRecord(T0, 500.0), ParamRecord(T0 + DAY, 2000.0)) == {
        "range": [500.0, 2000.0]
    }
