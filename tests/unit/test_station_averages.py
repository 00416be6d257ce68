"""GB 3095-2012's long averages on constructed series: ozone's daily maximum 8-hour mean
(windows within the China day, >= 6 valid hours each) and the annual means (>= 324 daily
means, judged once the year has ended)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.stations.averages import (
    YEAR_MIN_DAYS,
    annual_mean,
    eight_hour_maxima,
    long_exceedances,
    year_ends,
    year_start,
    yearly_exceedances,
)
from ecoradar.stations.rules import Series, exceedances
from ecoradar.stations.standards import AIR_LIMITS

H = timedelta(hours=1)
D = timedelta(days=1)
DAY0 = datetime(2015, 7, 1, tzinfo=CHINA_TZ).astimezone(UTC)


def o3(days: list[list[float | None]], start: datetime = DAY0) -> Series:
    """Ozone hour by hour, one list of 24 per China day."""
    hours = {
        start + d * D + h * H: {"a05024": v}
        for d, day in enumerate(days)
        for h, v in enumerate(day)
        if v is not None
    }
    return Series("S1", "air", 40.0, 116.0, hours)


def day_with(high: float, hours: range, base: float | None = 100.0) -> list[float | None]:
    return [high if h in hours else base for h in range(24)]


def eight(series: Series, since: datetime = DAY0, days: int = 5):
    return long_exceedances(series, AIR_LIMITS, since, since + days * D)


def test_a_day_whose_best_8_hours_average_above_160_is_an_exceedance() -> None:
    series = o3([day_with(170.0, range(10, 18)), day_with(150.0, range(10, 18))])
    found = eight(series)
    assert [(e.factor, e.averaging, e.start, e.end, e.peak) for e in found] == [
        ("a05024", "8h", DAY0, DAY0 + D, 170.0)
    ]
    maxima = eight_hour_maxima(series, "a05024")
    assert maxima[DAY0].windows == 17 and maxima[DAY0 + D].value == 150.0


def test_an_8_hour_mean_needs_6_valid_hours() -> None:
    five = o3([day_with(250.0, range(10, 15), base=None)])
    assert eight(five) == [] and eight_hour_maxima(five, "a05024") == {}
    six = o3([day_with(250.0, range(9, 15), base=None)])
    assert [e.peak for e in eight(six)] == [250.0]


def test_the_windows_stay_inside_the_china_day() -> None:
    # 200 from 20:00 to 04:00: 8 such hours across midnight, but no window of either day
    # holds more than four of them
    series = o3([day_with(200.0, range(20, 24)), day_with(200.0, range(4))])
    assert eight(series) == []
    assert eight_hour_maxima(series, "a05024")[DAY0].value == 150.0


def test_consecutive_days_are_one_episode_judged_once_the_first_day_has_ended() -> None:
    days = [day_with(200.0, range(9, 17))] * 3 + [day_with(120.0, range(9, 17))]
    series = o3(days)
    found = eight(series)
    assert [(e.start, e.end, len(e.values)) for e in found] == [(DAY0, DAY0 + 3 * D, 3)]
    assert eight(series, DAY0, 0) == []
    assert long_exceedances(series, AIR_LIMITS, DAY0, DAY0 + 12 * H) == []  # not ended yet
    assert eight(series, DAY0 + D) == []  # its first day was judged by an earlier pass


def test_the_1_hour_rules_leave_the_long_averages_alone() -> None:
    series = o3([day_with(190.0, range(24))] * 2)
    found = exceedances(series, AIR_LIMITS, DAY0, DAY0 + 2 * D)
    assert found == []  # 190 is within the 1-hour limit (200); the 8-hour one is not judged here
    assert [e.averaging for e in eight(series)] == ["8h"]


# --- annual -----------------------------------------------------------------------------------

Y2015 = year_start(2015)


def pm25_year(days: int, value: float, year: int = 2015) -> Series:
    start = year_start(year)
    hours = {start + d * D + h * H: {"a34004": value} for d in range(days) for h in range(24)}
    return Series("S1", "air", 40.0, 116.0, hours)


def annual(series: Series, since: datetime, until: datetime):
    return yearly_exceedances(series, AIR_LIMITS, since, until)


def test_a_year_of_324_daily_means_above_35_is_one_annual_exceedance() -> None:
    series = pm25_year(YEAR_MIN_DAYS, 40.0)
    found = annual(series, Y2015, year_start(2016))
    assert [(e.factor, e.averaging, e.start, e.end, e.peak) for e in found] == [
        ("a34004", "year", Y2015, year_start(2016), 40.0)
    ]
    assert found[0].evidence["days"] == 324 and found[0].evidence["year"] == 2015
    assert found[0].values[0] == (Y2015, 40.0)  # January's mean
    assert len(found[0].values) == 11  # 324 days: January to November


def test_a_year_short_of_324_daily_means_or_at_the_limit_is_not_judged() -> None:
    assert annual(pm25_year(YEAR_MIN_DAYS - 1, 80.0), Y2015, year_start(2016)) == []
    assert annual(pm25_year(365, 35.0), Y2015, year_start(2016)) == []
    mean = annual_mean(pm25_year(YEAR_MIN_DAYS - 1, 80.0), "a34004", 2015)
    assert mean is not None and mean.days == 323


def test_a_year_is_judged_by_the_pass_whose_range_holds_its_end_and_no_other() -> None:
    series = pm25_year(365, 50.0)
    end = year_start(2016)
    assert annual(series, Y2015, end - H) == []
    assert len(annual(series, end - H, end)) == 1
    assert annual(series, end, end + 30 * D) == []
    assert year_ends(Y2015, end) == [2015] and year_ends(Y2015 + H, end - H) == []
