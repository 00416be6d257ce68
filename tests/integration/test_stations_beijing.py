"""Real ambient data through the real intake: four months of two Beijing stations (the shared
data, UCI "Beijing Multi-Site Air-Quality Data") sent as HJ 212 air-station packets (ST=22,
CN 2061), stored by ``Intake`` like any device's, then judged by the station rules. The
findings are exactly the GB 3095-2012 grade II exceedances computed here from the CSV, each
located at its station; the instrument floor (SO2 at 2 µg/m3 for 100+ hours) raises nothing,
and no emission detector runs on a station."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.models import Alert
from ecoradar.monitoring.models import Measurement
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import Region
from ecoradar.stations import service
from ecoradar.stations.evaluate import run_stations
from ecoradar.stations.wind import compass_degrees
from tests.integration.station_support import STATIONS, frames, hours, import_stations
from tests.integration.station_support import load_regions as load_beijing

NAMES = ("Dongsi", "Aotizhongxin")
SINCE = datetime(2015, 7, 1, tzinfo=CHINA_TZ)
UNTIL = datetime(2015, 11, 1, tzinfo=CHINA_TZ)
HOUR = timedelta(hours=1)
HOURLY = {"O3": ("a05024", 200.0, 1.0), "NO2": ("a21004", 200.0, 1.0),
          "SO2": ("a21026", 500.0, 1.0), "CO": ("a21005", 10.0, 0.001)}  # fmt: skip
DAILY = {"PM2.5": ("a34004", 75.0, 1.0), "PM10": ("a34002", 150.0, 1.0),
         "SO2": ("a21026", 150.0, 1.0), "NO2": ("a21004", 80.0, 1.0),
         "CO": ("a21005", 4.0, 0.001)}  # fmt: skip


def sent(value: float, scale: float) -> float:
    """The value as the packet carries it (4 significant digits)."""
    return float(f"{value * scale:.4g}")


def runs(times: list[datetime], step: timedelta) -> list[datetime]:
    """The first time of each run of consecutive ``times``."""
    starts, last = [], None
    for when in sorted(times):
        if last is None or when - last != step:
            starts.append(when)
        last = when
    return starts


def expected(
    name: str, since: datetime = SINCE, until: datetime = UNTIL
) -> set[tuple[str, str, str, datetime]]:
    """GB 3095-2012 grade II exceedance episodes of the CSV: (station, factor, averaging,
    first hour or day, China time)."""
    code = STATIONS[name].code
    rows = list(hours(name, since, until))
    out = set()
    for column, (factor, limit, scale) in HOURLY.items():
        over = [
            h.when for h in rows if (v := h.value(column)) is not None and sent(v, scale) > limit
        ]
        out |= {(code, factor, "hour", start) for start in runs(over, HOUR)}
    for column, (factor, limit, scale) in DAILY.items():
        by_day: dict[date, list[float]] = defaultdict(list)
        for h in rows:
            if (v := h.value(column)) is not None:
                by_day[h.when.date()].append(sent(v, scale))
        over_days = [
            datetime(d.year, d.month, d.day, tzinfo=CHINA_TZ)
            for d, values in by_day.items()
            if len(values) >= 20 and sum(values) / len(values) > limit
        ]
        out |= {(code, factor, "day", start) for start in runs(over_days, timedelta(days=1))}
    out |= {(code, "a05024", "8h", start) for start in runs(o3_8h_days(rows), timedelta(days=1))}
    return out


def o3_8h_days(rows: list) -> list[datetime]:
    """China days whose largest 8-hour mean of O3 (windows 00-08 .. 16-24 of the day, each of
    >= 6 valid hours) is above 160 µg/m3."""
    by_hour = {h.when: sent(v, 1.0) for h in rows if (v := h.value("O3")) is not None}
    days = {datetime(t.year, t.month, t.day, tzinfo=CHINA_TZ) for t in by_hour}
    over = []
    for day in days:
        best = None
        for first in range(17):
            window = [by_hour[t] for n in range(8) if (t := day + (first + n) * HOUR) in by_hour]
            if len(window) >= 6:
                best = max(best or 0.0, sum(window) / len(window))
        if best is not None and best > 160.0:
            over.append(day)
    return over


def floor_runs(name: str) -> list[tuple[datetime, datetime]]:
    """SO2 at <= 2 µg/m3 for 100 hours or more (start, end inclusive)."""
    found, run = [], []
    for h in hours(name, SINCE, UNTIL):
        v = h.value("SO2")
        if v is not None and v <= 2 and (not run or h.when - run[-1] == HOUR):
            run.append(h.when)
            continue
        if len(run) >= 100:
            found.append((run[0], run[-1]))
        run = [h.when] if v is not None and v <= 2 else []
    if len(run) >= 100:
        found.append((run[0], run[-1]))
    return found


def ingest(box: Container, tmp_path: Path, since: datetime, until: datetime) -> int:
    load_beijing(box, tmp_path)
    import_stations(box, tmp_path, NAMES)
    summary = Intake(box).run(frames(NAMES, since, until))
    assert summary.outcomes["stored"] == summary.packets
    return summary.packets


def test_the_findings_are_the_real_exceedances_and_the_floor_raises_nothing(
    container: Container, tmp_path: Path
) -> None:
    assert ingest(container, tmp_path, SINCE, UNTIL) > 5800
    report = run_stations(container)
    assert report.hours > 5800
    with container.reading() as session:
        findings = list(session.scalars(select(Finding).order_by(Finding.id)))
        exceed = {
            (
                f.data["station"],
                f.data["factor"],
                f.data["averaging"],
                datetime.fromisoformat(f.data["start"]).astimezone(CHINA_TZ),
            )
            for f in findings
            if f.data["rule"] == "exceedance"
        }
        want = expected("Dongsi") | expected("Aotizhongxin")
        assert len(want) > 20  # ozone afternoons and haze days
        assert len({w for w in want if w[2] == "8h"}) > 5  # ozone's summer days
        assert exceed == want
        assert {f.channel for f in findings} == {"station"}
        places = {s.code: (s.lat, s.lon) for s in STATIONS.values()}
        south = session.scalar(select(Region.id).where(Region.code == "BJS"))
        for finding in findings:
            assert (finding.lat, finding.lon) == places[finding.data["station"]]
            problem = session.get(Problem, finding.problem_id)
            assert problem is not None
            assert problem.region_id == south and problem.enterprise_id is None
            assert problem.category == "air"
        # ozone: one problem per station, factor and averaging, its episodes attached
        o3 = [
            f
            for f in findings
            if f.data["factor"] == "a05024"
            and f.data["rule"] == "exceedance"
            and f.data["averaging"] == "hour"
        ]
        assert len(o3) > 10
        assert len({f.problem_id for f in o3}) == 2
        # a sudden rise is what its evidence says, against the other station
        for finding in findings:
            if finding.data["rule"] != "sudden_rise":
                continue
            rise = finding.data["values"][0][1] - finding.data["baseline"]
            assert rise >= finding.data["min_rise"]
            for other in finding.data["neighbours"]:
                assert other["rise"] <= 0.3 * rise
        counts = Counter(f.data["rule"] for f in findings)
        print(f"\nBeijing slice: {report.hours} station-hours, findings {dict(counts)}")

        # the instrument floor raises nothing, and no emission detector ran on a station
        floors = floor_runs("Dongsi") + floor_runs("Aotizhongxin")
        assert len(floors) >= 2
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
        so2 = [f for f in findings if f.data["factor"] == "a21026"]
        for start, end in floors:
            inside = [
                f
                for f in so2
                if datetime.fromisoformat(f.data["start"]) <= end
                and datetime.fromisoformat(f.data["end"]) > start
            ]
            assert inside == []
        at_floor = session.scalar(
            select(func.count()).where(Measurement.factor == "a21026", Measurement.avg <= 2)
        )
        assert at_floor is not None and at_floor > 200

    # a second pass raises nothing new
    again = run_stations(container)
    assert again.hours == 0 and again.findings == {}
    with container.reading() as session:
        assert session.scalar(select(func.count()).select_from(Finding)) == len(findings)


def test_the_wind_at_a_station_is_its_own_reading_and_between_them_a_blend(
    container: Container, tmp_path: Path
) -> None:
    at = datetime(2015, 8, 3, 15, 20, tzinfo=CHINA_TZ)
    ingest(container, tmp_path, at - timedelta(hours=3), at + timedelta(hours=3))
    dongsi = STATIONS["Dongsi"]
    row = next(h for h in hours("Dongsi", at - timedelta(minutes=20), at))
    with container.reading() as session:
        found = service.wind_near(session=session, lat=dongsi.lat, lon=dongsi.lon, at=at)
        assert found is not None
        assert found.speed == pytest.approx(float(row.row["WSPM"]))
        assert found.direction == pytest.approx(compass_degrees(row.row["wd"]))
        middle = service.wind_near(session=session, lat=39.955, lon=116.407, at=at)
        assert middle is not None and len(middle.stations) == 2
        far = service.wind_near(session=session, lat=41.0, lon=117.5, at=at)
        assert far is None  # beyond 50 km of every station
