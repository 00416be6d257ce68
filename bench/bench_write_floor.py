"""The floor of any ingest in this design: the database's own cost of storing hourly packets.

No EcoRadar code runs per row: rows for the real schema (``migrate``, a sample city's points so
that the foreign keys hold) are made before the clock starts, then written hour by hour the way
``monitoring/store.py`` writes them (``write_prepared`` itself): SQLite ``executemany`` into
``raw_packets`` and ``measurements``; PostgreSQL binary ``COPY`` into both. Reports wall and
client CPU time per packet (one archive row and ``--factors`` measurement rows); on PostgreSQL
wall minus client CPU is the server's work. Whatever runs in Python on top of this (decoding,
authenticating, detecting) comes in addition.

Run: .venv/bin/python bench/bench_write_floor.py [--hours 10] [--factors 5] [--backend both]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_ingest import database, load_city
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.core.db import SQLITE_DATETIME_FORMAT
from ecoradar.monitoring import partitions
from ecoradar.monitoring.prepared import PreparedBatch
from ecoradar.monitoring.store import write_prepared
from ecoradar.registry.models import MonitoringPoint

FACTORS = ("a21026", "a21002", "a34013", "a19001", "a00000", "a01012", "a01011")


def _points(url: str, directory: Path) -> tuple[Container, list[tuple[int, str]]]:
    box = load_city(url, directory)
    with box.transaction() as session:
        rows = session.execute(select(MonitoringPoint.id, MonitoringPoint.mn))
        return box, [(point_id, mn) for point_id, mn in rows]


def _hour_rows(
    points: list[tuple[int, str]], hour: datetime, factors: int, sqlite: bool
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    blob = os.urandom(560)
    when: Any = hour.strftime(SQLITE_DATETIME_FORMAT) if sqlite else hour
    raws = [
        (when, "bench", mn, "2061", "20261101000000000", when, pid, "stored", None, None, 560, blob)
        for pid, mn in points
    ]
    rows = [
        (pid, code, "hour", when, None, 12.5, 10.0, 15.0, None, None, None, None, None, "N", when)
        for pid, _ in points
        for code in FACTORS[:factors]
    ]
    return raws, rows


def run(backend: str, hours: int, factors: int) -> None:
    with database(backend) as (url, directory):
        box, points = _points(url, directory)
        sqlite = backend == "sqlite"
        start = datetime(2026, 11, 1, tzinfo=UTC)
        with box.transaction() as session:  # PostgreSQL: the partitions the scheduler makes
            if partitions.is_partitioned(session.connection()):
                for series in partitions.SERIES:
                    partitions.ensure(session.connection(), series, start)
        batches = [
            _hour_rows(points, start + timedelta(hours=h), factors, sqlite) for h in range(hours)
        ]
        wall = cpu = 0.0
        for raws, rows in batches:
            prepared = PreparedBatch(backend, raws=raws, rows=rows)
            began, used = time.perf_counter(), time.process_time()
            with box.transaction() as session:
                write_prepared(session, prepared)
            wall += time.perf_counter() - began
            cpu += time.process_time() - used
        box.close()
    n = hours * len(points)
    line = f"{backend}: {n} packets of {factors} factors: wall {wall / n * 1e6:.1f} µs per packet"
    line += f" ({n / wall:,.0f} packets/s), client CPU {cpu / n * 1e6:.1f} µs"
    if not sqlite:
        line += f", server about {(wall - cpu) / n * 1e6:.1f} µs"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=int, default=10)
    parser.add_argument("--factors", type=int, default=5, choices=range(1, len(FACTORS) + 1))
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        run(backend, args.hours, args.factors)


if __name__ == "__main__":
    main()
