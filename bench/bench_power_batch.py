"""Treatment idling while production runs, over history: the engine job (``ecoradar.power.batch``)
on DuckDB and on Spark in local mode, against the live rules (``power.rules``) in Python.

Makes ``--enterprises`` enterprises, each a production line and a treatment facility metered
once a minute for ``--days`` days: production runs 06:00-22:00 (China time) with noise, the
facility follows it but idles or stops now and then (about twice a day, 10-90 minutes), and
meters drop out (about once a day, 2-20 minutes). Times, over the whole period: the live
rules a day at a time in Python (what ``ecoradar power detect`` computes, before any database
work), the job on DuckDB, and on Spark (``local[N]``; the JVM's start timed apart). Checks all
three find the same episodes. Prints the machine's load before and after. Nothing here is a
timed test.

Run: .venv/bin/python bench/bench_power_batch.py [--enterprises 20] [--days 30]
     [--spark-cores 2] [--no-spark]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from ecoradar.core.engines import close, connect
from ecoradar.power import batch, rules

START = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)  # China midnight
LINE = {"rated_kw": 200.0, "running_kw": 60.0, "idle_kw": 20.0}
FAN = {"rated_kw": 100.0, "running_kw": 30.0, "idle_kw": 10.0}


def meter_curves(days: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minute offsets, production kW and treatment kW (NaN: no reading) of one enterprise."""
    minutes = np.arange(days * 1440)
    of_day = minutes % 1440
    noise = np.random.default_rng(rng.randrange(2**32))
    running = (of_day >= 360) & (of_day < 1320)
    made = np.where(running, 150.0, 3.0) + noise.normal(0, 4, minutes.size).clip(-8, 8)
    fan = np.where(running, 60.0, 1.0) + noise.normal(0, 2, minutes.size).clip(-4, 4)
    for _ in range(2 * days):
        at, length = rng.randrange(minutes.size), rng.randint(10, 90)
        fan[at : at + length] = rng.choice((0.5, 5.0))
    made, fan = made.clip(0), fan.clip(0)
    for series in (made, fan):
        for _ in range(days):
            at = rng.randrange(minutes.size)
            series[at : at + rng.randint(2, 20)] = np.nan
    return minutes, made, fan


def city(
    enterprises: int, days: int, seed: int
) -> tuple[list[rules.Meter], list[batch.Role], pd.DataFrame]:
    rng = random.Random(seed)
    meters: list[rules.Meter] = []
    roles: list[batch.Role] = []
    frames = []
    base = int(START.timestamp())
    for n in range(enterprises):
        code = f"E{n:05d}"
        minutes, made, fan = meter_curves(days, rng)
        for meter, unit, role, kws, limits in (
            (f"{code}-P", "L1", "production", made, LINE),
            (f"{code}-T", "TF1", "treatment", fan, FAN),
        ):
            meters.append(rules.Meter(meter, unit, role, **limits))
            roles.append(batch.Role(code, "TF1", meter, role))
            kept = ~np.isnan(kws)
            frames.append(
                pd.DataFrame({"meter": meter, "at": base + 60 * minutes[kept], "kw": kws[kept]})
            )
    frame = pd.concat(frames, ignore_index=True)
    return meters, roles, frame.astype({"meter": "string", "at": "int64", "kw": "float64"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    meters, roles, frame = city(args.enterprises, args.days, args.seed)
    end = START + timedelta(days=args.days)
    print(f"{len(frame):,} readings of {len(meters)} meters over {args.days} days")

    started = time.perf_counter()
    readings = [
        (m, datetime.fromtimestamp(int(t), UTC), float(k))
        for m, t, k in zip(frame["meter"], frame["at"], frame["kw"], strict=True)
    ]
    built = time.perf_counter() - started
    started = time.perf_counter()
    live = batch.live_idle(meters, roles, readings, START, end)
    took = time.perf_counter() - started
    print(f"live rules, a day at a time: {took:.1f} s (+{built:.1f} s making the samples); "
          f"{len(live)} episodes")  # fmt: skip

    meters_frame, roles_frame = batch.meters_frame(meters), batch.roles_frame(roles)
    started = time.perf_counter()
    on_duckdb = batch.run_idle(connect("duckdb"), frame, meters_frame, roles_frame, START, end)
    print(f"DuckDB: {time.perf_counter() - started:.1f} s")
    assert on_duckdb == live, "DuckDB and the live rules differ"

    if not args.no_spark:
        started = time.perf_counter()
        spark = connect("spark", spark_master=f"local[{args.spark_cores}]")
        booted = time.perf_counter() - started
        started = time.perf_counter()
        on_spark = batch.run_idle(spark, frame, meters_frame, roles_frame, START, end)
        took = time.perf_counter() - started
        print(f"Spark local[{args.spark_cores}]: JVM {booted:.1f} s, job {took:.1f} s")
        assert on_spark == live, "Spark and the live rules differ"
        close(spark)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
