"""The annual means of GB 3095-2012 on a real year: Dongsi's 2014 (the shared Beijing data) sent
as HJ 212 hourly uploads and judged by the station pass; the annual findings are exactly the
factors whose mean of >= 324 daily means, computed here from the CSV, is above its grade II
limit — one finding per factor for the year (NO2, above its limit on only 318 valid days, is
not judged)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.models import Finding
from ecoradar.stations.evaluate import run_stations
from tests.integration.station_support import STATIONS, frames, hours, import_stations
from tests.integration.station_support import load_regions as load_beijing
from tests.integration.test_stations_beijing import sent

SINCE = datetime(2014, 1, 1, tzinfo=CHINA_TZ)
UNTIL = datetime(2015, 1, 1, tzinfo=CHINA_TZ)
ANNUAL = {"SO2": ("a21026", 60.0), "NO2": ("a21004", 40.0), "PM10": ("a34002", 70.0),
          "PM2.5": ("a34004", 35.0)}  # fmt: skip


def yearly_means() -> dict[str, tuple[float, int]]:
    """factor -> (mean of the daily means of >= 20 hours, number of such days), from the CSV."""
    by_day: dict[str, dict[date, list[float]]] = {f: defaultdict(list) for f, _ in ANNUAL.values()}
    for hour in hours("Dongsi", SINCE, UNTIL):
        for column, (factor, _) in ANNUAL.items():
            if (v := hour.value(column)) is not None:
                by_day[factor][hour.when.date()].append(sent(v, 1.0))
    out = {}
    for factor, days in by_day.items():
        means = [sum(v) / len(v) for v in days.values() if len(v) >= 20]
        out[factor] = (sum(means) / len(means), len(means))
    return out


def test_a_real_years_annual_means_above_the_limits_are_one_finding_each(
    container: Container, tmp_path: Path
) -> None:
    load_beijing(container, tmp_path)
    import_stations(container, tmp_path, ["Dongsi"])
    summary = Intake(container).run(frames(["Dongsi"], SINCE, UNTIL))
    assert summary.outcomes["stored"] == summary.packets > 8000
    run_stations(container)
    computed = yearly_means()
    want = {
        (factor, round(computed[factor][0], 3), computed[factor][1])
        for factor, limit in ANNUAL.values()
        if computed[factor][1] >= 324 and computed[factor][0] > limit
    }
    assert {f for f, _, _ in want} == {"a34004", "a34002"}  # Beijing's 2014 particles
    assert computed["a21026"][0] < 60  # SO2 within its annual limit: no finding
    assert computed["a21004"][0] > 40 and computed["a21004"][1] < 324  # NO2: too few days
    with container.reading() as session:
        annual = [
            f
            for f in session.scalars(select(Finding).where(Finding.channel == "station"))
            if f.data["averaging"] == "year"
        ]
    assert {(f.data["factor"], f.data["peak"], f.data["days"]) for f in annual} == want
    for finding in annual:
        assert finding.data["station"] == STATIONS["Dongsi"].code
        assert finding.data["year"] == 2014 and len(finding.data["values"]) == 12
        assert datetime.fromisoformat(finding.data["start"]) == SINCE
