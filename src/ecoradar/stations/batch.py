"""The stations' history pass as an engine job (issue 17, item 6): the exceedance episodes of
GB 3095-2012 / GB 3838-2002 over a period, written once as an Ibis expression and run on DuckDB
in-process or on Apache Spark (the engine connection of ``core.engines``, shared with
``linkage.batch``).

The live pass (``stations.evaluate``) judges each station's hours in 31-day units of work in
Python; over a province's years the same judgement is a few aggregations an engine does better:

* 1-hour values against the 1-hour limits (water: every reading against its class);
* China-day means of >= 20 valid hours against the 24-hour limits;
* ozone's daily maximum 8-hour mean (windows 00-08 .. 16-24 of the day, >= 6 valid hours);
* annual means of >= 324 daily means against the annual limits;

then consecutive hours (days) above a limit are one episode (gaps and islands: the hour less
its row number is constant along a run). The rules are ``stations.rules`` and
``stations.averages``; ``tests/integration/test_station_batch.py`` checks that both paths give
the same episodes on the same data, on DuckDB and on Spark in local mode. The sudden rise (a
median baseline and the neighbours' rises) stays in the live pass.

Input: a table of valid hourly values ``station``, ``hour`` (whole hours since 1970-01-01 UTC),
``factor``, ``value`` (:func:`hours_frame`, or Parquet files); the limits of each station
(:func:`limits_frame`) and the calendar of the years concerned are listed beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ecoradar.core.engines import ENGINES, Engine, close, connect
from ecoradar.stations.averages import (
    LAST_WINDOW_START,
    WINDOW_HOURS,
    WINDOW_MIN_HOURS,
    YEAR_MIN_DAYS,
    year_ends,
    year_start,
)
from ecoradar.stations.evaluate import _series
from ecoradar.stations.models import Station
from ecoradar.stations.rules import CONTEXT, DAY_MIN_HOURS, Episode
from ecoradar.stations.standards import AmbientLimit, limits_for

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend
    from sqlalchemy.orm import Session

__all__ = ["ENGINES", "BatchEpisode", "Engine", "close", "connect", "run_episodes"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
CHINA_OFFSET = 8
"""Hours China Standard Time is ahead of UTC: China day ``d`` starts at hour ``24 d - 8``."""


def hour_number(at: datetime) -> int:
    return int((at - EPOCH) // HOUR)


def hour_time(number: int) -> datetime:
    return EPOCH + number * HOUR


def day_hour(day: int) -> int:
    """The first hour of China day ``day``."""
    return 24 * day - CHINA_OFFSET


# --- the inputs -------------------------------------------------------------------------------


def hours_frame(rows: Iterable[tuple[str, datetime, str, float]]) -> pd.DataFrame:
    """Valid hourly values (station, UTC hour start, factor, value) as the job's input."""
    import pandas as pd

    data = [(s, hour_number(t), f, float(v)) for s, t, f, v in rows]
    return pd.DataFrame(data, columns=["station", "hour", "factor", "value"]).astype(
        {"station": "string", "hour": "int64", "factor": "string", "value": "float64"}
    )


def limits_frame(limits: Mapping[str, Sequence[AmbientLimit]]) -> pd.DataFrame:
    """Each station's limits: station, factor, averaging, bound, low, high."""
    import pandas as pd

    rows = [
        (code, x.factor, x.averaging, x.bound, x.low, x.high)
        for code, found in sorted(limits.items())
        for x in found
    ]
    frame = pd.DataFrame(rows, columns=["station", "factor", "averaging", "bound", "low", "high"])
    return frame.astype(
        {
            "station": "string",
            "factor": "string",
            "averaging": "string",
            "bound": "string",
            "low": "float64",
            "high": "float64",
        }
    )


def calendar_frame(since: datetime, until: datetime) -> pd.DataFrame:
    """The China years around [since, until): year, first day, first day of the next year."""
    import pandas as pd

    def day(year: int) -> int:
        return (hour_number(year_start(year)) + CHINA_OFFSET) // 24

    years = range(since.year - 1, until.year + 2)
    rows = [(y, day(y), day(y + 1)) for y in years]
    return pd.DataFrame(rows, columns=["year", "first", "next"]).astype("int64")


# --- the job (one expression, any engine) -----------------------------------------------------


def _exceeds(value: ir.NumericValue, limits: ir.Table) -> ir.BooleanValue:
    import ibis

    below = limits.low.notnull() & (value < limits.low)
    above = limits.high.notnull() & (value > limits.high)
    return ibis.coalesce(below, False) | ibis.coalesce(above, False)


def _islands(flagged: ir.Table, step: str, averaging: str) -> ir.Table:
    """Runs of consecutive ``step`` values per station, factor and bound: start and end (both
    in hours, end exclusive), peak (the least for a ``min`` bound, else the largest), size."""
    import ibis

    order = ibis.row_number().over(
        group_by=[flagged.station, flagged.factor], order_by=flagged[step]
    )
    marked = flagged.mutate(island=flagged[step] - order)
    runs = marked.group_by(["station", "factor", "bound", "island"]).aggregate(
        first=marked[step].min(),
        last=marked[step].max(),
        top=marked.value.max(),
        bottom=marked.value.min(),
        size=marked.count(),
    )
    first, last = runs["first"], runs["last"]
    return runs.select(
        station=runs.station,
        factor=runs.factor,
        averaging=ibis.literal(averaging),
        first=first,
        start=first if step == "hour" else day_hour(first),
        end=last + 1 if step == "hour" else day_hour(last + 1),
        peak=(runs.bound == "min").ifelse(runs.bottom, runs.top),
        size=runs["size"],
    )


def episodes_expr(
    hours: ir.Table, limits: ir.Table, offsets: ir.Table, calendar: ir.Table, until: int
) -> ir.Table:
    """Every exceedance episode in the data before hour ``until``: station, factor,
    averaging, start and end (hours), peak, size (hours, days or 1 for a year)."""
    hours = hours.filter(hours.hour < until)
    hourly_limits = limits.filter(limits.averaging == "hour")
    h = hours.join(hourly_limits, ["station", "factor"])
    hourly = _islands(h.filter(_exceeds(h.value, h)), "hour", "hour")

    days = hours.mutate(day=(hours.hour + CHINA_OFFSET) // 24)
    means = days.group_by(["station", "factor", "day"]).aggregate(
        value=days.value.mean(), n=days.count()
    )
    means = means.filter(means.n >= DAY_MIN_HOURS)
    means = means.filter(day_hour(means.day + 1) <= until)
    d = means.join(limits.filter(limits.averaging == "day"), ["station", "factor"])
    daily = _islands(d.filter(_exceeds(d.value, d)), "day", "day")

    eight = _eight_hours(days, limits, offsets, until)
    yearly = _years(means, limits, calendar, until)
    return hourly.union(daily).union(eight).union(yearly)


def _eight_hours(days: ir.Table, limits: ir.Table, offsets: ir.Table, until: int) -> ir.Table:
    """Days whose largest 8-hour mean exceeds the ``8h`` limit, as runs of days."""
    o3 = days.join(limits.filter(limits.averaging == "8h"), ["station", "factor"])
    spread = o3.cross_join(offsets)
    spread = spread.mutate(
        start=spread.hour - spread.back, of_day=(spread.hour + CHINA_OFFSET) % 24
    )
    spread = spread.filter(
        (spread.of_day >= spread.back) & (spread.of_day - spread.back <= LAST_WINDOW_START)
    )
    windows = spread.group_by(
        ["station", "factor", "bound", "low", "high", "day", "start"]
    ).aggregate(value=spread.value.mean(), n=spread.count())
    windows = windows.filter(windows.n >= WINDOW_MIN_HOURS)
    best = windows.group_by(["station", "factor", "bound", "low", "high", "day"]).aggregate(
        value=windows.value.max()
    )
    best = best.filter(day_hour(best.day + 1) <= until)
    return _islands(best.filter(_exceeds(best.value, best)), "day", "8h")


def _years(means: ir.Table, limits: ir.Table, calendar: ir.Table, until: int) -> ir.Table:
    """Years of >= 324 daily means whose mean exceeds the annual limit (ended before ``until``)."""
    import ibis

    dated = means.join(calendar, [means.day >= calendar["first"], means.day < calendar["next"]])
    years = dated.group_by(["station", "factor", "year", "first", "next"]).aggregate(
        value=dated.value.mean(), n=dated.count()
    )
    years = years.filter((years.n >= YEAR_MIN_DAYS) & (day_hour(years["next"]) <= until))
    y = years.join(limits.filter(limits.averaging == "year"), ["station", "factor"])
    y = y.filter(_exceeds(y.value, y))
    return y.select(
        station=y.station,
        factor=y.factor,
        averaging=ibis.literal("year"),
        first=y["first"],
        start=day_hour(y["first"]),
        end=day_hour(y["next"]),
        peak=y.value,
        size=ibis.literal(1, type="int64"),
    )


# --- running it -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class BatchEpisode:
    """One exceedance episode as the engine finds it (no values: start, end, peak, size)."""

    station: str
    factor: str
    averaging: str
    start: datetime
    end: datetime
    peak: float
    size: int

    @classmethod
    def of(cls, episode: Episode) -> BatchEpisode:
        """The live path's episode in the same terms."""
        return cls(
            episode.station,
            episode.factor,
            episode.averaging,
            episode.start,
            episode.end,
            _peak(episode.averaging, episode.peak),
            1 if episode.averaging == "year" else len(episode.values),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "station": self.station,
            "factor": self.factor,
            "averaging": self.averaging,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "peak": self.peak,
            "size": self.size,
        }


def _peak(averaging: str, value: float) -> float:
    return round(value, 3) if averaging == "year" else round(value, 6)


def run_episodes(
    backend: BaseBackend,
    hours: pd.DataFrame | str,
    limits: pd.DataFrame,
    since: datetime,
    until: datetime,
) -> list[BatchEpisode]:
    """The exceedance episodes beginning in [since, until) (days, years: ending in
    (since, until]), as the live pass judges them. ``hours``: a frame (:func:`hours_frame`)
    or the path of Parquet files holding one; it may start before ``since`` (context)."""
    import pandas as pd

    if isinstance(hours, str):
        table = backend.read_parquet(hours)
    else:
        table = backend.create_table("station_hours", hours, overwrite=True)
    limit_table = backend.create_table("station_limits", limits, overwrite=True)
    offsets = backend.create_table(
        "station_offsets", pd.DataFrame({"back": range(WINDOW_HOURS)}, dtype="int64"),
        overwrite=True,
    )  # fmt: skip
    calendar = backend.create_table(
        "station_calendar", calendar_frame(since, until), overwrite=True
    )
    low, high = hour_number(since), hour_number(until)
    expr = episodes_expr(table, limit_table, offsets, calendar, high)
    rows = expr.to_pandas()
    found = []
    for row in rows.itertuples(index=False):
        values: Any = row
        start, end = int(values.start), int(values.end)
        judged_at = start
        if values.averaging != "hour":
            first_end = end if values.averaging == "year" else day_hour(int(values.first) + 1)
            judged_at = first_end - 1  # a day (year) is judged once it has ended
        if not low <= judged_at < high:
            continue
        found.append(
            BatchEpisode(
                str(values.station),
                str(values.factor),
                str(values.averaging),
                hour_time(start),
                hour_time(end),
                _peak(str(values.averaging), float(values.peak)),
                int(values.size),
            )
        )
    return sorted(found)


# --- from the database ------------------------------------------------------------------------


def history_input(
    session: Session, since: datetime, until: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored stations' valid hours the job needs for [since, until) — the 48 hours
    before it, and whole years for the years ending in it — and every station's limits."""
    stations = list(session.scalars(select(Station).order_by(Station.code)))
    first = since - CONTEXT
    years = year_ends(since, until)
    if years:
        first = min(first, year_start(years[0]))
    series = _series(session, stations, first, until)
    rows = (
        (code, hour, factor, value)
        for code, found in series.items()
        for hour, values in found.hours.items()
        for factor, value in values.items()
    )
    return hours_frame(rows), limits_input(session)


def limits_input(session: Session) -> pd.DataFrame:
    """Every stored station's limits (its kind's, a water station's class)."""
    stations = session.scalars(select(Station).order_by(Station.code))
    return limits_frame({s.code: limits_for(s.kind, s.water_class) for s in stations})
