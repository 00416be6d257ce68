"""The station rules on constructed data: ambient-standard exceedances (hourly, daily, water
classes) and a sudden rise at one station that its neighbours do not share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.core.clock import CHINA_TZ
from ecoradar.stations.rules import (
    DEFAULT_RISE,
    Series,
    china_day,
    day_means,
    exceedances,
    neighbours,
    sudden_rises,
)
from ecoradar.stations.standards import AIR_LIMITS, limits_for, water_limits

H = timedelta(hours=1)
DAY0 = datetime(2015, 7, 1, 0, 0, tzinfo=CHINA_TZ).astimezone(UTC)


def hours(values: dict[str, list[float | None]], start: datetime = DAY0) -> dict:
    """factor -> hourly values from ``start`` (None: missing)."""
    out: dict[datetime, dict[str, float]] = {}
    for factor, series in values.items():
        for n, value in enumerate(series):
            if value is not None:
                out.setdefault(start + n * H, {})[factor] = value
    return out


def air(code: str = "S1", lat: float = 40.0, lon: float = 116.0, **values: list) -> Series:
    return Series(code, "air", lat, lon, hours(values))


def judged(series: Series, since: datetime = DAY0, days: int = 3):
    return exceedances(series, AIR_LIMITS, since, since + days * 24 * H)


# --- standards --------------------------------------------------------------------------------


def test_air_is_judged_against_gb_3095_grade_ii() -> None:
    limits = {(x.factor, x.averaging): x.high for x in limits_for("air", None)}
    assert limits[("a05024", "hour")] == 200
    assert limits[("a21004", "hour")] == 200
    assert limits[("a21026", "hour")] == 500
    assert limits[("a21005", "hour")] == 10
    assert limits[("a34004", "day")] == 75
    assert limits[("a34002", "day")] == 150


def test_water_limits_follow_the_class_and_default_to_iii() -> None:
    third = {x.factor: x for x in limits_for("water", None)}
    assert third["w21003"].high == 1.0 and third["w21003"].grade == "III"
    assert third["w01009"].low == 5.0 and third["w01009"].bound == "min"
    assert (third["w01001"].low, third["w01001"].high) == (6.0, 9.0)
    second = {x.factor: x for x in water_limits(2)}
    assert second["w21011"].high == 0.1 and second["w01019"].high == 4.0
    with pytest.raises(ValueError, match="water class"):
        water_limits(6)


# --- exceedances ------------------------------------------------------------------------------


def test_consecutive_hours_above_the_1_hour_limit_are_one_episode() -> None:
    o3 = [80.0] * 12 + [210.0, 250.0, 230.0] + [120.0] * 3 + [205.0] + [90.0] * 5
    found = judged(air(a05024=o3), days=1)
    assert [(e.factor, e.start, e.end, e.peak) for e in found] == [
        ("a05024", DAY0 + 12 * H, DAY0 + 15 * H, 250.0),
        ("a05024", DAY0 + 18 * H, DAY0 + 19 * H, 205.0),
    ]
    assert found[0].values == (
        (DAY0 + 12 * H, 210.0),
        (DAY0 + 13 * H, 250.0),
        (DAY0 + 14 * H, 230.0),
    )
    assert found[0].limit is not None and found[0].limit.high == 200


def test_a_value_exactly_at_the_limit_does_not_exceed_it() -> None:
    found = judged(air(a21004=[200.0] * 24), days=1)
    assert [e.averaging for e in found] == ["day"]  # the 24-hour limit is 80; the 1-hour 200


def test_a_missing_hour_splits_an_episode() -> None:
    found = judged(air(a21004=[250.0, 250.0, None, 250.0]), days=1)
    assert [e.start for e in found] == [DAY0, DAY0 + 3 * H]


def test_an_episode_is_reported_by_the_pass_that_judges_its_first_hour() -> None:
    series = air(a05024=[100.0] * 10 + [220.0] * 6 + [100.0] * 8)
    first = exceedances(series, AIR_LIMITS, DAY0, DAY0 + 12 * H)
    second = exceedances(series, AIR_LIMITS, DAY0 + 12 * H, DAY0 + 24 * H)
    assert [e.start for e in first] == [DAY0 + 10 * H]
    assert first[0].end == DAY0 + 12 * H  # seen so far
    assert second == []  # the continuing episode is not reported again


def test_daily_means_need_20_valid_hours_and_a_china_day() -> None:
    pm = [100.0] * 24 + [100.0] * 19 + [None] * 5
    means = day_means(air(a34004=pm), "a34004")
    assert means == {DAY0: 100.0}  # the second day has 19 hours: no mean
    assert china_day(DAY0 + 23 * H) == DAY0
    assert china_day(DAY0 + 24 * H) == DAY0 + 24 * H
    assert DAY0.astimezone(CHINA_TZ).hour == 0


def test_consecutive_days_above_the_24_hour_limit_are_one_episode() -> None:
    pm25 = [80.0] * 24 + [90.0] * 24 + [50.0] * 24 + [76.0] * 24
    found = judged(air(a34004=pm25), days=4)
    assert [(e.averaging, e.start, e.end, e.peak) for e in found] == [
        ("day", DAY0, DAY0 + 48 * H, 90.0),
        ("day", DAY0 + 72 * H, DAY0 + 96 * H, 76.0),
    ]


def test_a_day_is_judged_only_once_it_has_ended_within_the_range() -> None:
    series = air(a34004=[120.0] * 48)
    assert exceedances(series, AIR_LIMITS, DAY0, DAY0 + 23 * H) == []
    found = exceedances(series, AIR_LIMITS, DAY0 + 23 * H, DAY0 + 48 * H)
    assert [(e.start, e.end) for e in found] == [(DAY0, DAY0 + 48 * H)]


def test_a_short_spike_inside_a_clean_day_is_no_daily_exceedance() -> None:
    assert judged(air(a34004=[30.0] * 20 + [150.0] * 4), days=1) == []  # mean 50


def test_instrument_floor_values_raise_nothing() -> None:
    floor = air(a21026=[2.0] * 240, a34004=[3.0] * 240, a05024=[2.0] * 240)
    assert exceedances(floor, AIR_LIMITS, DAY0, DAY0 + 240 * H) == []
    near = air("S2", 40.02, 116.0, a21026=[2.0] * 240)
    assert sudden_rises(floor, [near], DAY0, DAY0 + 240 * H) == []


def test_water_readings_outside_their_class_are_exceedances() -> None:
    series = Series(
        "W1",
        "water",
        30.0,
        120.0,
        hours({"w21003": [0.5, 1.4, 0.8], "w01009": [6.0, 4.2, 6.5], "w01001": [7.0, 9.4, 7.1]}),
    )
    found = exceedances(series, water_limits(3), DAY0, DAY0 + 3 * H)
    assert sorted((e.factor, e.start, e.peak) for e in found) == [
        ("w01001", DAY0 + H, 9.4),
        ("w01009", DAY0 + H, 4.2),  # dissolved oxygen below the class III minimum of 5
        ("w21003", DAY0 + H, 1.4),
    ]
    assert exceedances(series, water_limits(4), DAY0, DAY0 + 3 * H)[0].factor == "w01001"


# --- sudden rise ------------------------------------------------------------------------------

BASE = [40.0, 42.0, 38.0, 41.0, 39.0, 40.0] * 4  # a day around 40 µg/m3


def rise_scene(own: list[float], other: list[float], *, far: bool = False) -> tuple[Series, Series]:
    s1 = air("S1", 40.0, 116.0, a34004=BASE + own)
    s2 = air("S2", 40.5 if far else 40.05, 116.0, a34004=BASE + other)
    return s1, s2


def rises(series: Series, others: list[Series]):
    return sudden_rises(series, others, DAY0 + 24 * H, DAY0 + 30 * H)


def test_a_rise_at_one_station_and_not_at_its_neighbour_is_a_sudden_rise() -> None:
    s1, s2 = rise_scene(
        [45.0, 160.0, 180.0, 60.0, 40.0, 40.0], [41.0, 45.0, 50.0, 40.0, 40.0, 40.0]
    )
    found = rises(s1, [s2])
    assert len(found) == 1
    episode = found[0]
    assert (episode.rule, episode.factor, episode.start, episode.end, episode.peak) == (
        "sudden_rise",
        "a34004",
        DAY0 + 25 * H,
        DAY0 + 27 * H,
        180.0,
    )
    assert episode.evidence["baseline"] == 40.0
    assert episode.evidence["neighbours"][0]["station"] == "S2"
    assert episode.evidence["neighbours"][0]["value"] == 45.0
    assert episode.evidence["neighbours"][0]["km"] == pytest.approx(5.56, abs=0.01)
    assert rises(s2, [s1]) == []


def test_a_rise_the_neighbour_shares_is_regional_not_local() -> None:
    s1, s2 = rise_scene(
        [45.0, 160.0, 180.0, 60.0, 40.0, 40.0], [45.0, 120.0, 140.0, 60.0, 40.0, 40.0]
    )
    assert rises(s1, [s2]) == []


def test_a_neighbour_rising_less_than_the_share_does_not_stop_the_finding() -> None:
    # S1 rises by 120; S2 by 30 (a quarter: below 0.3) -> still S1's own
    s1, s2 = rise_scene([160.0] + [40.0] * 5, [70.0] + [40.0] * 5)
    assert [e.start for e in rises(s1, [s2])] == [DAY0 + 24 * H]
    # by 40 (a third): shared
    s1, s2 = rise_scene([160.0] + [40.0] * 5, [80.0] + [40.0] * 5)
    assert rises(s1, [s2]) == []


def test_without_a_neighbour_reporting_nothing_is_judged() -> None:
    s1, far = rise_scene([160.0] * 2 + [40.0] * 4, [40.0] * 6, far=True)  # 55 km: out of range
    assert neighbours(s1, [far]) == []
    assert rises(s1, [far]) == []
    s1, silent = rise_scene([160.0] * 2 + [40.0] * 4, [])
    assert rises(s1, [silent]) == []


def test_a_small_absolute_rise_is_not_a_sudden_rise_even_when_it_triples() -> None:
    s1 = air("S1", 40.0, 116.0, a21026=[2.0] * 24 + [9.0, 12.0])
    s2 = air("S2", 40.05, 116.0, a21026=[2.0] * 26)
    assert sudden_rises(s1, [s2], DAY0 + 24 * H, DAY0 + 26 * H) == []


def test_a_continuing_rise_is_reported_once_across_passes() -> None:
    s1, s2 = rise_scene([160.0, 170.0, 180.0, 175.0, 40.0, 40.0], [40.0] * 6)
    first = sudden_rises(s1, [s2], DAY0 + 24 * H, DAY0 + 26 * H)
    second = sudden_rises(s1, [s2], DAY0 + 26 * H, DAY0 + 30 * H)
    assert [e.start for e in first] == [DAY0 + 24 * H] and second == []


def test_neighbours_are_the_nearest_of_the_same_kind_within_the_radius() -> None:
    me = air("S0")
    others = [air(f"A{n}", 40.0 + 0.05 * (n + 1), 116.0) for n in range(4)]
    water = Series("W", "water", 40.01, 116.0, {})
    found = neighbours(me, [*others, water, me])
    assert [s.code for s, _ in found] == ["A0", "A1", "A2"]
    assert DEFAULT_RISE.nearest == 3 and DEFAULT_RISE.radius_km == 50.0
