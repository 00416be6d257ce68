"""Hotspots over a year of history: the batch job (``ecoradar.linkage.batch``) on DuckDB and on
Spark in local mode, against the live search (``hotspots_rules.hot``) run once per day.

Makes ``--events`` findings spread over a 100 x 100 km area and ``--days`` days (with a few
hundred seeded clusters), then times, for the search as of every day's midnight: the live path
on a sample of days (extrapolated), the job on DuckDB and on Spark (``local[N]``; the JVM's
start is timed apart). Checks that all three give the same hot neighbourhoods on the sampled
days. Prints the machine's load before and after. Nothing here is a timed test.

Run: .venv/bin/python bench/bench_linkage_batch.py [--events 1000000] [--days 365]
     [--spark-cores 2] [--sample 5] [--no-spark]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from datetime import UTC, datetime, timedelta

from ecoradar.linkage import batch
from ecoradar.linkage.hotspots_rules import Event, hot

M_PER_DEG = 111_195.0
LAT, LON = 30.0, 120.0


def place(north_m: float, east_m: float) -> tuple[float, float]:
    return LAT + north_m / M_PER_DEG, LON + east_m / (M_PER_DEG * math.cos(math.radians(LAT)))


def history(count: int, days: int, seed: int) -> tuple[list[Event], datetime]:
    rng = random.Random(seed)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    span = (days + 63) * 86400
    events = []
    for _ in range(count):
        lat, lon = place(rng.uniform(0, 100_000), rng.uniform(0, 100_000))
        events.append(Event(lat, lon, end - timedelta(seconds=rng.uniform(1, span)), "air", "p"))
    for _ in range(max(1, days // 2)):  # clusters: 8-15 reports within 300 m over 3 days
        north, east = rng.uniform(0, 100_000), rng.uniform(0, 100_000)
        when = end - timedelta(days=rng.uniform(0, days))
        for _ in range(rng.randint(8, 15)):
            lat, lon = place(north + rng.uniform(-300, 300), east + rng.uniform(-300, 300))
            events.append(Event(lat, lon, when - timedelta(hours=rng.uniform(0, 72)), "odour", "g"))
    return events, end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument("--sample", type=int, default=5, help="days the live path is timed on")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    events, end = history(args.events, args.days, args.seed)
    last = batch.day_number(end)
    days = [batch.ORIGIN + timedelta(days=d) for d in range(last - args.days + 1, last + 1)]
    started = time.perf_counter()
    frame = batch.events_frame(events)
    print(f"{len(events):,} events, {args.days} days; cells assigned in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    sample = days[:: max(1, len(days) // args.sample)][: args.sample]
    started = time.perf_counter()
    live = {d: hot(events, batch.day_start((d - batch.ORIGIN).days))[0] for d in sample}
    per_day = (time.perf_counter() - started) / len(sample)
    print(f"live search: {per_day:.2f} s a day -> {per_day * len(days):.0f} s for every day")

    started = time.perf_counter()
    on_duckdb = batch.run_hotspots(batch.connect("duckdb"), frame, days)
    took = time.perf_counter() - started
    found = sum(len(d.hot) for d in on_duckdb)
    print(f"DuckDB: {took:.1f} s for every day ({found} hot neighbourhood-days)")
    by_day = {d.day: d.hot for d in on_duckdb}
    assert all(by_day[d] == live[d] for d in sample), "DuckDB and the live search differ"

    if not args.no_spark:
        started = time.perf_counter()
        spark = batch.connect("spark", spark_master=f"local[{args.spark_cores}]")
        booted = time.perf_counter() - started
        started = time.perf_counter()
        on_spark = batch.run_hotspots(spark, frame, days)
        took = time.perf_counter() - started
        print(f"Spark local[{args.spark_cores}]: JVM {booted:.1f} s, job {took:.1f} s")
        assert on_spark == on_duckdb, "Spark and DuckDB differ"
        batch.close(spark)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
