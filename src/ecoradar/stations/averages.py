"""The long averages of GB 3095-2012 (pure): ozone's daily maximum 8-hour mean and the annual
means, judged like the other exceedances (``stations.rules``) — each episode one finding.

**Ozone, daily maximum 8-hour mean** (GB 3095-2012 table 1, grade II 160 µg/m3; HJ 663-2013
§5): the 8-hour moving means of a China day are those of the windows ending at 08:00 ... 24:00
of the day, i.e. of the hours starting at s .. s+7 for s = 0 .. 16 (an hour is keyed by its
start, the HJ 212 ``DataTime``); a window's mean needs at least :data:`WINDOW_MIN_HOURS` (6)
valid hours (GB 3095-2012 table 4). The day's value is the largest of them; it counts when the
day has at least :data:`DAY_MIN_WINDOWS` (14) valid windows, or fewer but above the limit
(HJ 663-2013 table 1: an exceedance stands on less data). Consecutive days above the limit are
one episode, reported by the pass that judges its first day (a day is judged once it has ended).

**Annual means** (grade II: SO2 60, NO2 40, PM10 70, PM2.5 35 µg/m3): the mean of a China
calendar year's daily means (``rules.day_means``: >= 20 valid hours each), judged once the year
has ended and only when it has at least :data:`YEAR_MIN_DAYS` (324) daily means (GB 3095-2012
table 4; its per-month minimum of 27 days, 25 in February, is not applied). One finding per
station, factor and year; the monthly means of the daily means are its values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ecoradar.core.clock import CHINA_TZ
from ecoradar.stations.rules import DAY, HOUR, Episode, Series, _runs, china_day, day_means
from ecoradar.stations.standards import AmbientLimit

WINDOW_HOURS = 8
WINDOW_MIN_HOURS = 6
"""Valid hours an 8-hour mean needs (GB 3095-2012 table 4)."""
LAST_WINDOW_START = 16
"""The last window of a day starts at 16:00 and ends at 24:00 (HJ 663-2013)."""
DAY_MIN_WINDOWS = 14
"""Valid 8-hour means a day's maximum needs, unless it exceeds the limit (HJ 663-2013)."""
YEAR_MIN_DAYS = 324
"""Daily means a year's mean needs (GB 3095-2012 table 4)."""


@dataclass(frozen=True)
class DayMax:
    value: float
    windows: int
    """Valid 8-hour windows of the day."""


def eight_hour_maxima(series: Series, factor: str) -> dict[datetime, DayMax]:
    """Each China day's maximum 8-hour moving mean of ``factor`` and its valid windows, keyed
    by the day's start (UTC); days without a valid window are left out."""
    days = {china_day(hour) for hour, values in series.hours.items() if factor in values}
    out: dict[datetime, DayMax] = {}
    for day in days:
        means = []
        for start in range(LAST_WINDOW_START + 1):
            values = [
                v
                for n in range(start, start + WINDOW_HOURS)
                if (v := series.value(day + n * HOUR, factor)) is not None
            ]
            if len(values) >= WINDOW_MIN_HOURS:
                means.append(sum(values) / len(values))
        if means:
            out[day] = DayMax(max(means), len(means))
    return out


def eight_hour_exceedances(
    series: Series, limit: AmbientLimit, since: datetime, until: datetime
) -> list[Episode]:
    """Episodes of days whose maximum 8-hour mean exceeds ``limit``, beginning with a day that
    ends within (since, until]."""
    flagged = [
        (day, found.value)
        for day, found in eight_hour_maxima(series, limit.factor).items()
        if day + DAY <= until and limit.exceeded_by(found.value)
        # a day short of windows still counts when it is above the limit (module text)
    ]
    runs = [run for run in _runs(flagged, DAY) if since < run[0][0] + DAY <= until]
    return [
        Episode(
            "exceedance",
            series.code,
            limit.factor,
            "8h",
            run[0][0],
            run[-1][0] + DAY,
            max(v for _, v in run),
            tuple((day, round(v, 3)) for day, v in run),
            limit,
        )
        for run in runs
    ]


def year_start(year: int) -> datetime:
    """China midnight of 1 January ``year``, in UTC."""
    return datetime(year, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)


def china_year(hour: datetime) -> int:
    """The China calendar year of ``hour``."""
    return hour.astimezone(CHINA_TZ).year


def year_ends(since: datetime, until: datetime) -> list[int]:
    """The years whose last China day ends within (since, until]."""
    first = since.astimezone(CHINA_TZ).year
    last = until.astimezone(CHINA_TZ).year
    return [y for y in range(first, last + 1) if since < year_start(y + 1) <= until]


@dataclass(frozen=True)
class YearMean:
    mean: float
    days: int
    months: tuple[tuple[datetime, float], ...]
    """The mean of each month's daily means, keyed by the month's start (UTC)."""


def annual_mean(series: Series, factor: str, year: int) -> YearMean | None:
    """The mean of ``year``'s daily means of ``factor`` (None without a daily mean)."""
    start, end = year_start(year), year_start(year + 1)
    means = {d: m for d, m in day_means(series, factor).items() if start <= d < end}
    if not means:
        return None
    by_month: dict[datetime, list[float]] = {}
    for day, mean in means.items():
        local = day.astimezone(CHINA_TZ)
        month = datetime(local.year, local.month, 1, tzinfo=CHINA_TZ).astimezone(UTC)
        by_month.setdefault(month, []).append(mean)
    months = tuple((m, round(sum(v) / len(v), 3)) for m, v in sorted(by_month.items()))
    return YearMean(sum(means.values()) / len(means), len(means), months)


def annual_exceedances(
    series: Series, limit: AmbientLimit, since: datetime, until: datetime
) -> list[Episode]:
    """One episode per year ending within (since, until] whose mean of >= 324 daily means
    exceeds ``limit``; ``series`` holds the year's hours."""
    episodes = []
    for year in year_ends(since, until):
        found = annual_mean(series, limit.factor, year)
        if found is None or found.days < YEAR_MIN_DAYS or not limit.exceeded_by(found.mean):
            continue
        episodes.append(
            Episode(
                "exceedance",
                series.code,
                limit.factor,
                "year",
                year_start(year),
                year_start(year + 1),
                round(found.mean, 3),
                found.months,
                limit,
                {"year": year, "days": found.days, "min_days": YEAR_MIN_DAYS},
            )
        )
    return episodes


def long_exceedances(
    series: Series, limits: Sequence[AmbientLimit], since: datetime, until: datetime
) -> list[Episode]:
    """The 8-hour episodes of ``limits`` (``series`` holds the range and ``rules.CONTEXT``)."""
    episodes: list[Episode] = []
    for limit in limits:
        if limit.averaging == "8h":
            episodes += eight_hour_exceedances(series, limit, since, until)
    return episodes


def yearly_exceedances(
    series: Series, limits: Sequence[AmbientLimit], since: datetime, until: datetime
) -> list[Episode]:
    """The annual episodes of ``limits`` for the years ending in (since, until] (``series``
    holds those years' hours)."""
    episodes: list[Episode] = []
    for limit in limits:
        if limit.averaging == "year":
            episodes += annual_exceedances(series, limit, since, until)
    return episodes
