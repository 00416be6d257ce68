"""Time to import a generated city (regions + registry) into SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_registry_import.py [--enterprises N]
PostgreSQL: a throwaway database on ECORADAR_BENCH_PG_URL (default the local server), dropped after.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from ecoradar.bootstrap import bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.simulate.city import write_sample_city

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def run(url: str, directory: Path) -> tuple[float, float]:
    box = bootstrap(Settings(environment="development", database_url=url, home=directory))
    migrate.upgrade(box.engine)
    files = write_sample_city(directory / "city", enterprises=ENTERPRISES)
    start = time.perf_counter()
    features = regions.read_regions_file(files.regions)
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="bench", now=box.clock.now()
        )
    middle = time.perf_counter()
    with box.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=files.enterprises,
            points=files.points,
            regions=box.regions,
            now=box.clock.now(),
        )
    end = time.perf_counter()
    box.close()
    return middle - start, end - middle


def main() -> None:
    global ENTERPRISES
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=5000)
    ENTERPRISES = parser.parse_args().enterprises
    with tempfile.TemporaryDirectory() as tmp:
        r, e = run(f"sqlite:///{tmp}/bench.db", Path(tmp))
        print(f"sqlite: regions {r:.2f} s, registry of {ENTERPRISES} enterprises {e:.2f} s")
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"ecoradar_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            r, e = run(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, Path(tmp))
            print(f"postgresql: regions {r:.2f} s, registry of {ENTERPRISES} enterprises {e:.2f} s")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


ENTERPRISES = 5000

if __name__ == "__main__":
    main()
