"""Time partitions' bounds and names, retention's cut-offs, and how an hour is derived."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.monitoring import partitions as parts
from ecoradar.monitoring.downsample import hour_of
from ecoradar.monitoring.retention import Retention

NOW = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
"""2027-01-01 01:30 China time: already next year's first day there."""


def china(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)  # type: ignore[misc]


def test_bounds_are_china_days_months_and_years() -> None:
    assert parts.floor(NOW, "day") == china(2027, 1, 1)
    assert parts.floor(NOW, "month") == china(2027, 1, 1)
    assert parts.floor(NOW, "year") == china(2027, 1, 1)
    assert parts.floor(china(2026, 12, 31, 23, 59), "month") == china(2026, 12, 1)
    assert parts.shift(china(2027, 1, 1), "month", -13) == china(2025, 12, 1)
    assert parts.shift(china(2024, 2, 28), "day", 2) == china(2024, 3, 1)
    assert parts.label(china(2026, 12, 1), "month") == "202612"
    assert parts.label(china(2027, 1, 1), "day") == "20270101"


def test_partitions_wanted_are_the_current_step_and_those_ahead() -> None:
    rtd = parts.KIND_SERIES["rtd"]
    wanted = parts.wanted(rtd, NOW)
    assert len(wanted) == rtd.ahead + 1
    assert wanted[0] == (china(2027, 1, 1), china(2027, 1, 2))
    assert all(a[1] == b[0] for a, b in zip(wanted, wanted[1:], strict=False))


def test_a_daily_series_history_goes_in_monthly_partitions() -> None:
    raw = parts.RAW_SERIES
    made = parts.covering(raw, china(2026, 10, 15), china(2027, 1, 1, 1), NOW)
    names = [name for _, _, name in made]
    assert names[:3] == ["raw_packets_202610", "raw_packets_202611", "raw_packets_202612"]
    assert names[3:] == [f"raw_packets_202701{d:02d}" for d in range(1, 9)]
    assert all(a[1] == b[0] for a, b in zip(made, made[1:], strict=False))
    assert parts.covering(raw, None, None, NOW) == [
        (lo, hi, parts.name_of(raw, lo)) for lo, hi in parts.wanted(raw, NOW)
    ]


@pytest.mark.parametrize(
    ("name", "partition"),
    [
        ("measurements_rtd_20261205", True),
        ("measurements_hour_202612", True),
        ("measurements_day_2026", True),
        ("measurements_minute_default", True),
        ("measurements_other", True),
        ("raw_packets_20261205", True),
        ("measurements", False),
        ("raw_packets", False),
        ("measurements_stage", False),
        ("measurement_rtd_2026", False),
    ],
)
def test_partitions_are_known_by_name(name: str, partition: bool) -> None:
    assert parts.is_partition(name) is partition


def test_cut_offs_fall_on_china_day_and_month_boundaries() -> None:
    cut = Retention(rtd_days=7, minute_months=6, raw_days=180).cutoffs(NOW)
    assert cut == {
        "rtd": china(2026, 12, 25),
        "minute": china(2026, 7, 1),
        "raw": china(2026, 7, 5),
    }
    assert Retention(0, 0, 0).cutoffs(NOW) == {}


Group = namedtuple(
    "Group",
    [
        "flag",
        "n",
        "v_sum",
        "v_n",
        "v_min",
        "v_max",
        "z_sum",
        "z_n",
        "z_min",
        "z_max",
        "c_sum",
        "c_n",
    ],
)


def test_an_hour_is_the_mean_of_its_valid_values_flagged_n() -> None:
    hour = hour_of(
        [
            Group("N", 2, 30.0, 2, 9.0, 30.0, None, 0, None, None, 4.0, 2),
            Group(None, 1, 30.0, 1, 30.0, 30.0, 3.0, 1, 3.0, 3.0, None, 0),
            Group("M", 5, 5000.0, 5, 0.0, 999.0, None, 0, None, None, 1.0, 1),
        ]
    )
    assert hour == {
        "avg": 20.0,
        "min": 9.0,
        "max": 30.0,
        "zs_avg": 3.0,
        "zs_min": 3.0,
        "zs_max": 3.0,
        "cou": 4.0,
        "flag": "N",
    }


def test_an_hour_without_valid_values_takes_the_flag_most_of_them_carry() -> None:
    hour = hour_of(
        [
            Group("M", 2, 12.0, 2, 4.0, 8.0, None, 0, None, None, None, 0),
            Group("C", 2, 180.0, 2, 90.0, 90.0, None, 0, None, None, None, 0),
            Group("D", 1, 1.0, 1, 1.0, 1.0, None, 0, None, None, None, 0),
        ]
    )
    assert (hour["avg"], hour["min"], hour["max"], hour["flag"], hour["cou"]) == (
        38.6,
        1.0,
        90.0,
        "C",
        None,
    )
