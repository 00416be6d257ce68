"""Batch jobs over history, written once (Ibis expressions) and run on DuckDB in-process or on
Apache Spark for a province's years of data (issue 17, item 6).

The live system judges hotspots as events arrive (``hotspots.run_hotspots``, once an hour);
rebuilding them over history — every day of a year, tens of millions of findings — is an
aggregation an engine does better than one Python process. The job here counts, for every day
``end`` asked for and every H3 cell with an event in the week before it, the events of the
cell's neighbourhood in that week and in the baseline weeks before, and the area's totals; the
Poisson judgement of each neighbourhood is then the very function the live search uses
(``hotspots_rules.judge``), so both paths give the same hot neighbourhoods on the same data
(``tests/integration/test_linkage_batch.py`` checks it on DuckDB and on Spark in local mode).

Input: a table of events with ``cell`` (H3, resolution ``hotspots_rules.RESOLUTION``) and
``day`` (whole days since :data:`ORIGIN`, China midnights), from the database
(:func:`events_frame`) or Parquet files (``ecoradar linkage batch --events``); the cells'
neighbourhoods are listed beside it (:func:`disks_frame`), since neither engine knows H3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.engines import ENGINES as ENGINES  # where the engines come from (shared)
from ecoradar.core.engines import Engine as Engine
from ecoradar.core.engines import close as close
from ecoradar.core.engines import connect as connect
from ecoradar.linkage.hotspots_rules import (
    DEFAULT_SETTINGS,
    Event,
    Neighbourhood,
    Settings,
    area_level,
    cell_of,
    judge,
    neighbourhood,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend

ORIGIN = date(2000, 1, 1)
"""Day 0 of the ``day`` column (China calendar)."""


def day_number(at: datetime) -> int:
    return (at.astimezone(CHINA_TZ).date() - ORIGIN).days


def day_start(number: int) -> datetime:
    """The China midnight that starts day ``number`` (a window ending there is whole days)."""
    return datetime.combine(ORIGIN + timedelta(days=number), time(0), tzinfo=CHINA_TZ)


# --- the inputs -------------------------------------------------------------------------------


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    import pandas as pd

    rows = [(cell_of(e.lat, e.lon), day_number(e.at)) for e in events]
    return pd.DataFrame(rows, columns=["cell", "day"]).astype({"cell": "string", "day": "int64"})


def disks_frame(cells: Iterable[str]) -> pd.DataFrame:
    """Each cell's neighbourhood as rows ``(centre, cell)``."""
    import pandas as pd

    rows = [(centre, cell) for centre in sorted(set(cells)) for cell in neighbourhood(centre)]
    return pd.DataFrame(rows, columns=["centre", "cell"]).astype("string")


# --- the job (one expression, any engine) -----------------------------------------------------


def hotspot_counts(
    events: ir.Table, disks: ir.Table, ends: ir.Table, settings: Settings = DEFAULT_SETTINGS
) -> ir.Table:
    """Per ``end`` day and neighbourhood centre with an event in the window: ``count`` (the
    window's events in the neighbourhood), ``usual`` (the baseline's), and the area's
    ``history_total`` and ``active`` cells. Windows are whole days (``settings.window``)."""
    window = settings.window.days
    span = window * (settings.baseline_windows + 1)
    per_day = events.group_by(["cell", "day"]).aggregate(n=events.count())
    dated = per_day.join(ends, [per_day.day < ends.end, per_day.day >= ends.end - span])
    dated = dated.mutate(
        now=(dated.day >= dated.end - window).ifelse(dated.n, 0),
        before=(dated.day < dated.end - window).ifelse(dated.n, 0),
    )
    per_cell = dated.group_by(["end", "cell"]).aggregate(
        now=dated.now.sum(), before=dated.before.sum()
    )
    area = per_cell.group_by("end").aggregate(
        history_total=per_cell.before.sum(), active=per_cell.count()
    )
    centres = per_cell.filter(per_cell.now > 0).select(end=per_cell.end, centre=per_cell.cell)
    around = centres.join(disks, centres.centre == disks.centre).select(
        end=centres.end, centre=centres.centre, cell=disks.cell
    )
    cells = per_cell.rename(cell_end="end", cell_id="cell")
    filled = around.left_join(
        cells, [around.end == cells.cell_end, around.cell == cells.cell_id]
    ).select(
        end=around.end,
        centre=around.centre,
        now=cells.now.fill_null(0),
        before=cells.before.fill_null(0),
    )
    sums = filled.group_by(["end", "centre"]).aggregate(
        count=filled.now.sum(), usual=filled.before.sum()
    )
    joined = sums.join(area, sums.end == area.end).select(
        end=sums.end,
        centre=sums.centre,
        count=sums["count"],
        usual=sums.usual,
        history_total=area.history_total,
        active=area.active,
    )
    return joined.order_by(["end", "centre"])


# --- running it -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayHotspots:
    day: date
    """The day the window ends before (the search as of that day's China midnight)."""
    hot: list[Neighbourhood]


def run_hotspots(
    backend: BaseBackend,
    events: pd.DataFrame | str,
    days: Sequence[date],
    settings: Settings = DEFAULT_SETTINGS,
) -> list[DayHotspots]:
    """The hot neighbourhoods as of each of ``days`` (the search at its China midnight): the
    counts on ``backend``, the judgement in Python. ``events``: a frame of ``cell``/``day``,
    or the path of Parquet files holding them."""
    import pandas as pd

    if isinstance(events, str):
        table = backend.read_parquet(events)
        cells = table.select("cell").distinct().to_pandas()["cell"]
    else:
        table = backend.create_table("linkage_events", events, overwrite=True)
        cells = events["cell"].unique()
    disks = backend.create_table("linkage_disks", disks_frame(cells), overwrite=True)
    ends_frame = pd.DataFrame({"end": [(d - ORIGIN).days for d in days]}, dtype="int64")
    ends = backend.create_table("linkage_ends", ends_frame, overwrite=True)
    rows = hotspot_counts(table, disks, ends, settings).to_pandas()
    by_day: dict[int, list[Neighbourhood]] = {(d - ORIGIN).days: [] for d in days}
    for row in rows.itertuples(index=False):
        values: Any = row
        level = area_level(int(values.history_total), int(values.active), settings)
        spot = judge(str(values.centre), int(values.count), int(values.usual), level, settings)
        if spot is not None:
            by_day[int(values.end)].append(spot)
    return [
        DayHotspots(ORIGIN + timedelta(days=end), sorted(found, key=_order))
        for end, found in sorted(by_day.items())
    ]


def _order(n: Neighbourhood) -> tuple[float, str]:
    return n.p_value, n.centre
