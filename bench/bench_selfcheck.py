"""One day's self-inspection tasks for 10,000 enterprises x 5 control points, on SQLite and
PostgreSQL: the generation, a re-run (nothing new), a forced re-run over existing tasks (every
row meets ON CONFLICT DO NOTHING), marking the day's tasks overdue, and the figures.

Run: .venv/bin/python bench/bench_selfcheck.py [--enterprises N] [--points P] [--backend B]
PostgreSQL: a throwaway database on ECORADAR_BENCH_PG_URL (default the local server), dropped after.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text, update

from ecoradar.bootstrap import bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import FakeClock
from ecoradar.problems.calendar import WorkingCalendar
from ecoradar.registry.models import Enterprise
from ecoradar.registry.uscc import make_uscc
from ecoradar.selfcheck import stats
from ecoradar.selfcheck.generator import generate_tasks
from ecoradar.selfcheck.models import ControlPoint
from ecoradar.selfcheck.periodic import mark_overdue
from ecoradar.selfcheck.schedule import china_date
from ecoradar.simulate.selfcheck_sample import bulk_points

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)  # 08:30 China time


def timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def run(url: str, home: Path, enterprises: int, points: int) -> None:
    clock = FakeClock(NOW - timedelta(minutes=30))
    box = bootstrap(Settings(environment="development", database_url=url, home=home), clock=clock)
    migrate.upgrade(box.engine)
    with box.transaction() as session:
        rows = [
            {
                "code": make_uscc("330502", n),
                "name": f"基准企业{n}",
                "industry": "4411",
                "longitude": 120.0 + (n % 100) / 1000,
                "latitude": 30.0 + (n // 100) / 1000,
                "source_crs": "wgs84",
                "address": "",
                "created_at": clock.now(),
                "updated_at": clock.now(),
            }
            for n in range(1, enterprises + 1)
        ]
        session.execute(insert(Enterprise), rows)
        found = session.execute(select(Enterprise.id, Enterprise.longitude, Enterprise.latitude))
        made = bulk_points(
            session=session,
            enterprises=[tuple(r) for r in found],  # type: ignore[misc]
            per_enterprise=points,
            now=clock.now(),
        )
    print(f"  {enterprises:,} enterprises, {made:,} control points (daily)")
    clock.set(NOW)
    today = china_date(NOW)

    def generate() -> Any:
        with box.transaction() as session:
            return generate_tasks(
                session=session, until=today, now=clock.now(), calendar=WorkingCalendar()
            )

    first = timed("one day's generation", generate)
    print(f"    {first}")
    again = timed("re-run (watermarks up to date)", generate)
    print(f"    {again}")
    with box.transaction() as session:
        session.execute(update(ControlPoint).values(generated_until=None))
    forced = timed("forced re-run over existing tasks (ON CONFLICT DO NOTHING)", generate)
    print(f"    {forced}")
    clock.set(NOW + timedelta(days=1))

    def overdue() -> int:
        with box.transaction() as session:
            return mark_overdue(session=session, now=clock.now())[0]

    marked = timed("the next day: marking the day's tasks overdue", overdue)
    print(f"    {marked:,} tasks overdue")

    def figures() -> Any:
        with box.transaction() as session:
            return stats.figures(
                session=session, query=stats.StatsQuery(group_by="region"), now=clock.now()
            )

    result = timed("figures (total and by region)", figures)
    print(f"    tasks_sent {result['tasks_sent']:,}, tasks_overdue {result['tasks_overdue']:,}")
    box.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        print("SQLite")
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", Path(tmp), args.enterprises, args.points)
    if args.backend in ("postgresql", "both"):
        print("PostgreSQL")
        name = f"ecoradar_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
                run(url, Path(tmp), args.enterprises, args.points)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
