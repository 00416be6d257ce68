"""The station rules (pure): ambient-standard exceedances and a sudden rise at one station that
its neighbours do not share. The service hands in valid hourly values and the range to judge;
what comes back are episodes, each one finding.

**Judged range.** A pass judges the hours in ``[since, until)`` of one station. An episode is
reported by the pass that judges its first hour (first day), so a continuing episode is
reported once however many passes see it; the hours before ``since`` are context only.

**Exceedance** (``standards``): air, GB 3095-2012 grade II — a 1-hour value of SO2, NO2, CO or
O3 above its 1-hour limit; a China-day mean (>= 20 valid hours, GB 3095-2012 §7.1) of SO2,
NO2, CO, PM10 or PM2.5 above its 24-hour limit (ozone's 8-hour and the annual means:
``stations.averages``). Water, GB 3838-2002 of the station's class —
each reading outside the class's limit (pH outside 6-9, dissolved oxygen below the minimum,
the others above the maximum). Consecutive hours (days) above the limit are one episode.

**Sudden rise.** At hour h, station S's value v of factor f rose when

* S's baseline b, the median of S's own values of f in the 24 hours before h (at least
  ``min_baseline_values``), is known, and
* v - b >= ``min_rise[f]`` (an absolute rise that matters: readings at an instrument floor
  never rise by that much) and v >= ``ratio`` x b;

and the rise is S's alone when at least one neighbour (the ``nearest`` stations of the same kind
within ``radius_km``) has a value of f at h and a baseline, and every such neighbour rose by at
most ``neighbour_share`` of S's rise (v_n - b_n <= share x (v - b)). Consecutive such hours are
one episode. Without a neighbour reporting, nothing is judged (a region-wide episode cannot be
told from a local one).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.geo import haversine_m
from ecoradar.stations.standards import AmbientLimit, Averaging

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DAY_MIN_HOURS = 20
"""Valid hours a China day needs for its 24-hour mean (GB 3095-2012 §7.1)."""
CONTEXT = timedelta(hours=48)
"""How far before the judged range the rules read (the previous day, the 24-hour baseline)."""

Rule = Literal["exceedance", "sudden_rise"]


@dataclass(frozen=True)
class Series:
    """One station's valid hourly values: UTC hour start -> factor -> value."""

    code: str
    kind: str
    lat: float
    lon: float
    hours: Mapping[datetime, Mapping[str, float]]

    def value(self, hour: datetime, factor: str) -> float | None:
        values = self.hours.get(hour)
        return None if values is None else values.get(factor)


@dataclass(frozen=True)
class RiseParams:
    ratio: float = 2.0
    baseline_hours: int = 24
    min_baseline_values: int = 6
    neighbour_share: float = 0.3
    nearest: int = 3
    radius_km: float = 50.0
    min_rise: Mapping[str, float] = field(
        default_factory=lambda: {
            "a34004": 75.0,  # PM2.5 µg/m3
            "a34002": 150.0,  # PM10
            "a21026": 50.0,  # SO2
            "a21004": 60.0,  # NO2
            "a21005": 2.0,  # CO mg/m3
            "a05024": 100.0,  # O3
            "w21003": 1.0,  # NH3-N mg/L
            "w01019": 4.0,  # CODMn
            "w21011": 0.2,  # TP
        }
    )


DEFAULT_RISE = RiseParams()


@dataclass(frozen=True)
class Episode:
    """One finding's worth: a rule met at one station over consecutive hours (days)."""

    rule: Rule
    station: str
    factor: str
    averaging: Averaging
    start: datetime
    end: datetime
    """Exclusive: the last hour (day) of the episode seen so far, plus one."""
    peak: float
    values: tuple[tuple[datetime, float], ...]
    """The values that met the rule (hourly values, or day means keyed by the day's start)."""
    limit: AmbientLimit | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """Rule-specific facts: the baseline and the neighbours' values of a sudden rise."""


# --- exceedances ------------------------------------------------------------------------------


def _runs(
    flagged: Iterable[tuple[datetime, float]], step: timedelta
) -> list[list[tuple[datetime, float]]]:
    """Consecutive (time, value) pairs, ``step`` apart, in order."""
    runs: list[list[tuple[datetime, float]]] = []
    for when, value in sorted(flagged):
        if runs and when - runs[-1][-1][0] == step:
            runs[-1].append((when, value))
        else:
            runs.append([(when, value)])
    return runs


def _starting_in(
    runs: list[list[tuple[datetime, float]]], since: datetime, until: datetime
) -> list[list[tuple[datetime, float]]]:
    return [run for run in runs if since <= run[0][0] < until]


def china_day(hour: datetime) -> datetime:
    """The start (UTC) of the China day containing ``hour``."""
    local = hour.astimezone(CHINA_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(hour.tzinfo)


def day_means(series: Series, factor: str) -> dict[datetime, float]:
    """China-day means of ``factor`` with at least :data:`DAY_MIN_HOURS` valid hours, keyed
    by the day's start (UTC)."""
    sums: dict[datetime, list[float]] = {}
    for hour, values in series.hours.items():
        value = values.get(factor)
        if value is not None:
            sums.setdefault(china_day(hour), []).append(value)
    return {day: sum(v) / len(v) for day, v in sums.items() if len(v) >= DAY_MIN_HOURS}


def exceedances(
    series: Series, limits: Sequence[AmbientLimit], since: datetime, until: datetime
) -> list[Episode]:
    """Exceedance episodes of ``series`` beginning in [since, until). ``series`` holds the
    hours of the range and :data:`CONTEXT` before it. A day is judged when it ends within
    (since, until]: its episode begins in the range when the day does."""
    episodes: list[Episode] = []
    for limit in limits:
        if limit.averaging == "hour":
            flagged = [
                (hour, value)
                for hour, values in series.hours.items()
                if hour < until
                and (value := values.get(limit.factor)) is not None
                and limit.exceeded_by(value)
            ]
            runs = _starting_in(_runs(flagged, HOUR), since, until)
            step = HOUR
        elif limit.averaging == "day":
            means = day_means(series, limit.factor)
            flagged = [
                (day, mean)
                for day, mean in means.items()
                if day + DAY <= until and limit.exceeded_by(mean)
            ]
            runs = [run for run in _runs(flagged, DAY) if since < run[0][0] + DAY <= until]
            step = DAY
        else:
            continue  # 8-hour and annual means: ``stations.averages``
        for run in runs:
            worst = max if limit.bound != "min" else min
            episodes.append(
                Episode(
                    "exceedance",
                    series.code,
                    limit.factor,
                    limit.averaging,
                    run[0][0],
                    run[-1][0] + step,
                    worst(v for _, v in run),
                    tuple(run),
                    limit,
                )
            )
    return episodes


# --- sudden rise ------------------------------------------------------------------------------


def neighbours(
    station: Series, others: Iterable[Series], params: RiseParams = DEFAULT_RISE
) -> list[tuple[Series, float]]:
    """The ``nearest`` other stations of the same kind within ``radius_km``, with their
    distance in km, nearest first."""
    found = []
    for other in others:
        if other.code == station.code or other.kind != station.kind:
            continue
        km = haversine_m(station.lat, station.lon, other.lat, other.lon) / 1000.0
        if km <= params.radius_km:
            found.append((other, km))
    found.sort(key=lambda item: (item[1], item[0].code))
    return found[: params.nearest]


def baseline(series: Series, factor: str, hour: datetime, params: RiseParams) -> float | None:
    """The median of the station's own values of ``factor`` in the hours before ``hour``."""
    values = [
        v
        for back in range(1, params.baseline_hours + 1)
        if (v := series.value(hour - back * HOUR, factor)) is not None
    ]
    if len(values) < params.min_baseline_values:
        return None
    return statistics.median(values)


def _rise_at(
    series: Series,
    near: Sequence[tuple[Series, float]],
    factor: str,
    hour: datetime,
    params: RiseParams,
) -> dict[str, Any] | None:
    """The facts of a sudden rise of ``factor`` at ``hour``, or None."""
    value = series.value(hour, factor)
    if value is None or value < params.min_rise[factor]:
        return None  # below the rise itself (concentrations are not negative): no baseline needed
    base = baseline(series, factor, hour, params)
    if base is None:
        return None
    rise = value - base
    if rise < params.min_rise[factor] or value < params.ratio * base:
        return None
    seen = []
    for other, km in near:
        other_value = other.value(hour, factor)
        other_base = baseline(other, factor, hour, params) if other_value is not None else None
        if other_value is None or other_base is None:
            continue
        other_rise = other_value - other_base
        if other_rise > params.neighbour_share * rise:
            return None  # the neighbour rose too: a regional episode, not this station's
        seen.append(
            {
                "station": other.code,
                "km": round(km, 2),
                "value": other_value,
                "baseline": other_base,
                "rise": round(other_rise, 3),
            }
        )
    if not seen:
        return None
    return {"value": value, "baseline": base, "rise": round(rise, 3), "neighbours": seen}


def sudden_rises(
    series: Series,
    others: Iterable[Series],
    since: datetime,
    until: datetime,
    params: RiseParams = DEFAULT_RISE,
) -> list[Episode]:
    """Sudden-rise episodes of ``series`` beginning in [since, until) (module text)."""
    near = neighbours(series, others, params)
    if not near:
        return []
    episodes = []
    hours = sorted(h for h in series.hours if since - HOUR <= h < until)
    for factor in params.min_rise:
        facts: dict[datetime, dict[str, Any]] = {}
        for hour in hours:
            found = _rise_at(series, near, factor, hour, params)
            if found is not None:
                facts[hour] = found
        runs = _runs(((h, f["value"]) for h, f in facts.items()), HOUR)
        for run in _starting_in(runs, since, until):
            first = facts[run[0][0]]
            episodes.append(
                Episode(
                    "sudden_rise",
                    series.code,
                    factor,
                    "hour",
                    run[0][0],
                    run[-1][0] + HOUR,
                    max(v for _, v in run),
                    tuple(run),
                    None,
                    {
                        "baseline": first["baseline"],
                        "rise": first["rise"],
                        "neighbours": first["neighbours"],
                        "ratio": params.ratio,
                        "min_rise": params.min_rise[factor],
                        "neighbour_share": params.neighbour_share,
                    },
                )
            )
    return episodes
