"""The stations' history pass as an engine job (``stations.batch``): on fourteen months of two
real Beijing stations and a constructed water station, the episodes the job finds on DuckDB —
1-hour, 24-hour, ozone's 8-hour and annual — are exactly the live rules' over the same range;
Spark in local mode finds the same; ``ecoradar stations evaluate --engine duckdb`` over the
database finds the episodes the live pass recorded as findings."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.core.clock import CHINA_TZ
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.models import Finding
from ecoradar.stations import averages, batch, rules
from ecoradar.stations.rules import Series
from ecoradar.stations.standards import AIR_LIMITS, water_limits
from tests.integration.station_support import STATIONS, frames, hours, import_stations
from tests.integration.station_support import load_regions as load_beijing
from tests.integration.test_stations_beijing import sent

NAMES = ("Dongsi", "Aotizhongxin")
SINCE = datetime(2014, 1, 1, tzinfo=CHINA_TZ)
UNTIL = datetime(2015, 3, 1, tzinfo=CHINA_TZ)
COLUMNS = {"PM2.5": ("a34004", 1.0), "PM10": ("a34002", 1.0), "SO2": ("a21026", 1.0),
           "NO2": ("a21004", 1.0), "CO": ("a21005", 0.001), "O3": ("a05024", 1.0)}  # fmt: skip
H = timedelta(hours=1)


def beijing_series(since: datetime, until: datetime) -> list[Series]:
    out = []
    for name in NAMES:
        station = STATIONS[name]
        values: dict[datetime, dict[str, float]] = {}
        for hour in hours(name, since, until):
            for column, (factor, scale) in COLUMNS.items():
                if (v := hour.value(column)) is not None:
                    values.setdefault(hour.when.astimezone(UTC), {})[factor] = sent(v, scale)
        out.append(Series(station.code, "air", station.lat, station.lon, values))
    return out


def water_series() -> Series:
    """A class II river section: dissolved oxygen sagging below 6 mg/L at night, pH above 9
    for a few hours, ammonia above 0.5 one afternoon."""
    start = SINCE.astimezone(UTC)
    values: dict[datetime, dict[str, float]] = {}
    for n in range(24 * 20):
        at = start + n * H
        local = at.astimezone(CHINA_TZ).hour
        values[at] = {
            "w01009": 5.2 + n % 5 * 0.1 if local in (2, 3, 4) and n % 3 else 7.5,
            "w01001": 9.3 if 300 <= n < 304 else 7.6,
            "w21003": 0.8 if 100 <= n < 106 else 0.2,
        }
    return Series("W01", "water", 39.9, 116.5, values)


def live(series: list[Series], since: datetime, until: datetime) -> list[batch.BatchEpisode]:
    found = []
    for one in series:
        limits = AIR_LIMITS if one.kind == "air" else water_limits(2)
        episodes = rules.exceedances(one, limits, since, until)
        episodes += averages.long_exceedances(one, limits, since, until)
        episodes += averages.yearly_exceedances(one, limits, since, until)
        found += [batch.BatchEpisode.of(e) for e in episodes]
    return sorted(found)


def frames_of(series: list[Series]) -> tuple[object, object]:
    rows = [(s.code, t, f, v) for s in series for t, vs in s.hours.items() for f, v in vs.items()]
    limits = {s.code: (AIR_LIMITS if s.kind == "air" else water_limits(2)) for s in series}
    return batch.hours_frame(rows), batch.limits_frame(limits)


@pytest.fixture(scope="module")
def scene() -> tuple[list[Series], list[batch.BatchEpisode]]:
    series = [*beijing_series(SINCE - timedelta(days=2), UNTIL), water_series()]
    return series, live(series, SINCE, UNTIL)


def test_the_job_on_duckdb_finds_the_live_rules_episodes(
    scene: tuple[list[Series], list[batch.BatchEpisode]], tmp_path: Path
) -> None:
    series, expected = scene
    kinds = {e.averaging for e in expected}
    assert kinds == {"hour", "day", "8h", "year"}  # every rule has episodes to agree on
    assert {e.factor for e in expected if e.station == "W01"} == {"w01009", "w01001", "w21003"}
    hours_frame, limits_frame = frames_of(series)
    found = batch.run_episodes(batch.connect("duckdb"), hours_frame, limits_frame, SINCE, UNTIL)  # type: ignore[arg-type]
    assert found == expected
    later = datetime(2014, 7, 1, tzinfo=CHINA_TZ)  # a range that starts inside the data
    part = batch.run_episodes(batch.connect("duckdb"), hours_frame, limits_frame, later, UNTIL)  # type: ignore[arg-type]
    assert part == live(series, later, UNTIL)
    parquet = tmp_path / "hours.parquet"
    hours_frame.to_parquet(parquet, index=False)  # type: ignore[attr-defined]
    on_files = batch.run_episodes(batch.connect("duckdb"), str(parquet), limits_frame, SINCE, UNTIL)  # type: ignore[arg-type]
    assert on_files == expected
    print(f"\nstations batch: {len(expected)} episodes, {dict(_count(expected))}")


def _count(episodes: list[batch.BatchEpisode]) -> Iterator[tuple[str, int]]:
    for kind in ("hour", "day", "8h", "year"):
        yield kind, sum(1 for e in episodes if e.averaging == kind)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_same_job_runs_on_spark_in_local_mode(
    scene: tuple[list[Series], list[batch.BatchEpisode]], spark: object
) -> None:
    """(PySpark 4.0 leaves the socket it collects results through to the garbage collector,
    as in ``test_linkage_batch``.)"""
    series, expected = scene
    hours_frame, limits_frame = frames_of(series)
    found = batch.run_episodes(spark, hours_frame, limits_frame, SINCE, UNTIL)  # type: ignore[arg-type]
    assert found == expected
    assert not (Path.cwd() / "spark-warehouse").exists()
    gc.collect()


def test_the_command_finds_over_the_database_what_the_live_pass_recorded(
    container: Container, tmp_path: Path
) -> None:
    since, until = datetime(2015, 7, 1, tzinfo=CHINA_TZ), datetime(2015, 8, 1, tzinfo=CHINA_TZ)
    load_beijing(container, tmp_path)
    import_stations(container, tmp_path, NAMES)
    Intake(container).run(frames(NAMES, since, until))
    from ecoradar.stations.evaluate import run_stations

    run_stations(container)
    with container.reading() as session:
        recorded = {
            (f.data["station"], f.data["factor"], f.data["averaging"], f.data["start"])
            for f in session.scalars(select(Finding).where(Finding.channel == "station"))
            if f.data["rule"] == "exceedance"
        }
    env = {
        "ECORADAR_DATABASE_URL": container.settings.database_url,
        "ECORADAR_HOME": str(container.settings.home),
        "ECORADAR_ENVIRONMENT": "test",
        "ECORADAR_SECRET_KEY": container.settings.secret_key,
    }
    exported = tmp_path / "hours.parquet"
    args = ["stations", "evaluate", "--engine", "duckdb", "--from", "2015-07-01",
            "--to", "2015-07-31"]  # fmt: skip
    result = CliRunner().invoke(
        app, [*args, "--export-hours", str(exported)], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) > 10
    found = {(x["station"], x["factor"], x["averaging"], x["start"]) for x in lines}
    assert found == recorded
    again = CliRunner().invoke(
        app, [*args, "--hours", str(exported)], env=env, catch_exceptions=False
    )
    assert again.stdout == result.stdout
    refused = CliRunner().invoke(
        app, ["stations", "evaluate", "--engine", "polars", "--from", "2015-07-01",
              "--to", "2015-07-31"], env=env,
    )  # fmt: skip
    assert refused.exit_code == 1 and "engine: 'polars' is not one of duckdb, spark" in (
        refused.stderr
    )
