"""``ecoradar ingest`` throughput: hourly packets of about 5 factors into SQLite and PostgreSQL.

Loads the sample city into a fresh database of each backend, generates --hours hourly packets
for every monitoring point, and times Intake.run (the path `ecoradar ingest` and the gateway
share) over them. Run: .venv/bin/python bench/bench_ingest.py [--hours 48] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from ecoradar.bootstrap import bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.monitoring.pipeline import Intake
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.simulate.city import write_sample_city
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import hourly_series

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def run(url: str, directory: Path, hours: int, detect: bool) -> None:
    box = bootstrap(Settings(environment="development", database_url=url, home=directory))
    migrate.upgrade(box.engine)
    files = write_sample_city(directory / "city")
    features = regions.read_regions_file(files.regions)
    with box.transaction() as session:
        regions.import_regions(session=session, features=features, source="b", now=box.clock.now())
    with box.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=files.enterprises,
            points=files.points,
            regions=box.regions,
            now=box.clock.now(),
        )
        profiles = load_profiles(session)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    frames = [
        (frame.rstrip(b"\r\n"), "bench")
        for profile in profiles
        for frame in hourly_series(profile, start, hours)
    ]
    factors = sum(len(p.factors) + 2 for p in profiles) / len(profiles)
    intake = Intake(box, detect=detect)
    began = time.perf_counter()
    summary = intake.run(frames)
    elapsed = time.perf_counter() - began
    label = "with detection" if detect else "without detection"
    print(
        f"{box.engine.dialect.name} {label}: {len(frames)} hourly packets "
        f"({factors:.1f} factors each) "
        f"in {elapsed:.2f} s = {len(frames) / elapsed:,.0f} packets/s, "
        f"{summary.rows_inserted / elapsed:,.0f} values/s"
    )
    again = time.perf_counter()
    intake.run(frames[: len(frames) // 4])
    elapsed = time.perf_counter() - again
    print(f"  retransmitted quarter: {len(frames) // 4 / elapsed:,.0f} packets/s (all duplicates)")
    box.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for detect in (False, True):
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory() as tmp:
                run(f"sqlite:///{tmp}/bench.db", Path(tmp), args.hours, detect)
        if args.backend in ("postgresql", "both"):
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"ecoradar_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    run(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, Path(tmp), args.hours, detect)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
