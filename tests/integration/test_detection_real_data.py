"""Four years of real hourly air-quality data from four Beijing stations through the detectors:
the falsification rules stay quiet on honest instruments, including their long runs at the
instrument floor (SO2 at 2-3 ug/m3 for days)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.params import FactorConfig, HourRecord, PointConfig, Reading
from ecoradar.detection.runs import Span
from tests.shared_data import SHARED_DATA

CST = timezone(timedelta(hours=8))
# GB 3095-2012 grade II limits: 1-hour for gases (ug/m3; CO 10 mg/m3 = 10,000 ug/m3),
# 24-hour for particulates.
FACTORS = {
    "SO2": ("a21026", 500.0, "hour"),
    "NO2": ("a21004", 200.0, "hour"),
    "CO": ("a21005", 10_000.0, "hour"),
    "O3": ("a05024", 200.0, "hour"),
    "PM2.5": ("a34004", 75.0, "day"),
    "PM10": ("a34002", 150.0, "day"),
}
STATIONS = ("Dongsi", "Huairou", "Changping", "Aotizhongxin")
FALSIFICATION = {
    "zero_value",
    "near_limit_pinning",
    "repeated_sequence",
    "negative_value",
    "o2_anomaly",
}
CONFIG = PointConfig(
    1,
    "BEIJING",
    "gas",
    {code: FactorConfig(code, limit, avg) for code, limit, avg in FACTORS.values()},
)


def hours(station: str) -> Iterator[HourRecord]:
    path = SHARED_DATA / "ambient" / "beijing" / f"PRSA_Data_{station}_20130301-20170228.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            when = datetime(
                int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]), tzinfo=CST
            )
            readings = {
                code: Reading(float(row[column]), flag="N")
                for column, (code, _, _) in FACTORS.items()
                if row[column] != "NA"
            }
            if readings:
                yield HourRecord(when, readings)


def floor_runs(
    records: list[HourRecord], code: str, at_most: float, min_hours: int
) -> list[tuple[datetime, datetime]]:
    """Stretches of >= min_hours consecutive hours with the factor at or below ``at_most``."""
    runs, start, last = [], None, None
    for record in records:
        reading = record.readings.get(code)
        low = reading is not None and reading.avg is not None and reading.avg <= at_most
        contiguous = last is not None and record.data_time - last == timedelta(hours=1)
        if low and (start is None or not contiguous):
            if (
                start is not None
                and last is not None
                and (last - start) >= timedelta(hours=min_hours - 1)
            ):
                runs.append((start, last))
            start = record.data_time
        elif not low and start is not None:
            if last is not None and (last - start) >= timedelta(hours=min_hours - 1):
                runs.append((start, last))
            start = None
        last = record.data_time
    return runs


@pytest.mark.parametrize("station", STATIONS)
def test_real_ambient_data_raises_no_falsification_alarm(station: str) -> None:
    records = list(hours(station))
    state = PointState(CONFIG)
    spans: dict[tuple[str, str, datetime], Span] = {}
    for record in records:
        for span in update(state, record):
            spans[(span.kind, span.factor, span.start)] = span
    kinds = {kind for kind, _, _ in spans}
    assert kinds & FALSIFICATION == set()
    # the instrument floor: SO2 at <= 3 ug/m3 for 100+ hours; nothing may fire inside it
    so2_floor = floor_runs(records, "a21026", 3.0, 100)
    assert so2_floor, "the data should hold SO2 floor runs"
    for start, end in so2_floor:
        inside = [
            s
            for s in spans.values()
            if s.factor == "a21026"
            and s.start >= start
            and (s.end or s.start) <= end + timedelta(hours=1)
        ]
        assert inside == []
