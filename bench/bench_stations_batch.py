"""The stations' history pass over years: the engine job (``ecoradar.stations.batch``) on DuckDB
and on Spark in local mode, against the live rules (``stations.rules`` and
``stations.averages``, pure Python, one station at a time).

Reads the four Beijing stations of the shared data (March 2013 - February 2017), optionally
repeated ``--copies`` times as further stations (a province's worth of rows), and times the
exceedance episodes (1-hour, 24-hour, ozone 8-hour, annual) over the whole period on each path;
the live path is timed on the four real stations and multiplied by the copies. Checks that the
paths give the same episodes for the real stations. Prints the machine's load before and after.
Nothing here is a timed test.

Run: .venv/bin/python bench/bench_stations_batch.py [--copies 10] [--spark-cores 2] [--no-spark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.station_support import STATIONS, hours  # noqa: E402
from tests.integration.test_station_batch import COLUMNS  # noqa: E402
from tests.integration.test_stations_beijing import sent  # noqa: E402

from ecoradar.core.clock import CHINA_TZ  # noqa: E402
from ecoradar.stations import averages, batch, rules  # noqa: E402
from ecoradar.stations.rules import Series  # noqa: E402
from ecoradar.stations.standards import AIR_LIMITS  # noqa: E402

SINCE = datetime(2013, 3, 1, tzinfo=CHINA_TZ)
UNTIL = datetime(2017, 3, 1, tzinfo=CHINA_TZ)


def load() -> list[Series]:
    out = []
    for name, station in STATIONS.items():
        values: dict[datetime, dict[str, float]] = {}
        for hour in hours(name, SINCE, UNTIL):
            for column, (factor, scale) in COLUMNS.items():
                if (v := hour.value(column)) is not None:
                    values.setdefault(hour.when.astimezone(UTC), {})[factor] = sent(v, scale)
        out.append(Series(station.code, "air", station.lat, station.lon, values))
    return out


def live(series: list[Series]) -> list[batch.BatchEpisode]:
    found = []
    for one in series:
        episodes = rules.exceedances(one, AIR_LIMITS, SINCE, UNTIL)
        episodes += averages.long_exceedances(one, AIR_LIMITS, SINCE, UNTIL)
        episodes += averages.yearly_exceedances(one, AIR_LIMITS, SINCE, UNTIL)
        found += [batch.BatchEpisode.of(e) for e in episodes]
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    series = load()
    rows = [
        (f"{s.code}-{copy}" if copy else s.code, t, f, v)
        for copy in range(args.copies)
        for s in series
        for t, vs in s.hours.items()
        for f, v in vs.items()
    ]
    codes = {code for code, _, _, _ in rows}
    frame = batch.hours_frame(rows)
    limits = batch.limits_frame(dict.fromkeys(codes, AIR_LIMITS))
    print(f"{len(codes)} stations, {len(frame):,} hourly values, {SINCE:%Y-%m} to {UNTIL:%Y-%m}")

    began = time.perf_counter()
    expected = live(series)
    took = time.perf_counter() - began
    print(
        f"live rules: {took:.1f} s for the 4 real stations ({len(expected)} episodes); "
        f"x{args.copies}: {took * args.copies:.1f} s"
    )

    def real(found: list[batch.BatchEpisode]) -> list[batch.BatchEpisode]:
        return [e for e in found if "-" not in e.station]

    began = time.perf_counter()
    backend = batch.connect("duckdb")
    found = batch.run_episodes(backend, frame, limits, SINCE, UNTIL)
    print(f"duckdb from the frame: {time.perf_counter() - began:.1f} s, {len(found):,} episodes")
    assert real(found) == expected, "duckdb differs from the live rules"
    with tempfile.TemporaryDirectory() as tmp:
        parquet = str(Path(tmp) / "hours.parquet")
        frame.to_parquet(parquet, index=False)
        began = time.perf_counter()
        on_files = batch.run_episodes(batch.connect("duckdb"), parquet, limits, SINCE, UNTIL)
        print(f"duckdb from Parquet: {time.perf_counter() - began:.1f} s")
        assert on_files == found, "duckdb from Parquet differs"
    if not args.no_spark:
        began = time.perf_counter()
        spark = batch.connect("spark", spark_master=f"local[{args.spark_cores}]")
        started = time.perf_counter() - began
        began = time.perf_counter()
        on_spark = batch.run_episodes(spark, frame, limits, SINCE, UNTIL)
        print(
            f"spark local[{args.spark_cores}]: {time.perf_counter() - began:.1f} s after a "
            f"{started:.1f} s JVM start, {len(on_spark):,} episodes"
        )
        assert on_spark == found, "spark differs from duckdb"
        batch.close(spark)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
