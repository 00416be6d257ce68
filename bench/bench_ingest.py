"""``ecoradar ingest`` throughput: hourly packets of about 5 factors into SQLite and PostgreSQL,
beside the floor any Python ingest pays, in the same run.

Loads the sample city into a fresh database of each backend, generates --hours hourly packets
for every monitoring point and writes them to a file, one per line. Then, in one run:

* the bare pure-Python frame+CRC+split loop over that file (``../shared/bench/bare_decode.py``,
  nothing stored: the floor), best of three;
* ``ecoradar ingest FILE`` itself (a process of its own, detection on, writes durable), as its
  own "N packets in S s" line reports it; the issue-13 goal is at least 0.5x, aiming at 1.0x,
  of the floor;
* ``Intake.run`` in this process without and with detection: wall time, and the CPU time per
  packet of the writing process (detection and the database driver) and of the judging process
  (decoding, rows; a replay of more than 6,000 packets is judged in a second process).

The machine is shared: the load average is printed with each figure.

Run: .venv/bin/python bench/bench_ingest.py [--hours 48] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from ecoradar.bootstrap import Container, bootstrap
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


@contextmanager
def database(backend: str) -> Iterator[tuple[str, Path]]:
    """A fresh database of ``backend`` (URL, and a scratch directory), dropped afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            yield f"sqlite:///{tmp}/bench.db", Path(tmp)
            return
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"ecoradar_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name, Path(tmp)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def load_city(url: str, directory: Path, **city: Any) -> Container:
    """A migrated database at ``url`` holding the sample city (``city``: its sizes)."""
    box = bootstrap(Settings(environment="development", database_url=url, home=directory))
    migrate.upgrade(box.engine)
    files = write_sample_city(directory / "city", **city)
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
    return box


def prepare(url: str, directory: Path, hours: int) -> tuple[Container, list[tuple[bytes, str]]]:
    """The sample city in the database at ``url``, and ``hours`` hourly packets of each point."""
    box = load_city(url, directory)
    with box.transaction() as session:
        profiles = load_profiles(session)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    frames = [
        (frame.rstrip(b"\r\n"), "bench")
        for profile in profiles
        for frame in hourly_series(profile, start, hours)
    ]
    return box, frames


def run(url: str, directory: Path, hours: int, detect: bool) -> None:
    box, frames = prepare(url, directory, hours)
    factors = sum(f.count(b"-Avg=") for f, _ in frames) / len(frames)
    intake = Intake(box, detect=detect)
    began, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    summary = intake.run(frames)
    elapsed = time.perf_counter() - began
    cpu, children = time.process_time() - cpu, _children_cpu() - children
    label = "with detection" if detect else "without detection"
    n = len(frames)
    print(
        f"{box.engine.dialect.name} {label}: {n} hourly packets "
        f"({factors:.1f} factors each) "
        f"in {elapsed:.2f} s = {n / elapsed:,.0f} packets/s, "
        f"{summary.rows_inserted / elapsed:,.0f} values/s; CPU per packet: "
        f"{cpu / n * 1e6:.0f} µs writing process, {children / n * 1e6:.0f} µs judging process"
    )
    again = time.perf_counter()
    intake.run(frames[: len(frames) // 4])
    elapsed = time.perf_counter() - again
    print(f"  retransmitted quarter: {len(frames) // 4 / elapsed:,.0f} packets/s (all duplicates)")
    box.close()


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the judging process, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BARE = Path(__file__).resolve().parents[2] / "shared" / "bench" / "bare_decode.py"


def floor_and_command(url: str, directory: Path, hours: int) -> None:
    """The bare loop and ``ecoradar ingest`` over the same file of packets."""
    box, frames = prepare(url, directory, hours)
    box.close()
    stream = directory / "packets.txt"
    stream.write_bytes(b"".join(frame + b"\r\n" for frame, _ in frames))
    bare = max(
        float(
            subprocess.run(
                [sys.executable, str(BARE), str(stream)], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    )
    env = {**os.environ, "ECORADAR_DATABASE_URL": url, "ECORADAR_HOME": str(directory)}
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-m", "ecoradar", "ingest", str(stream)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"(\d+) packets in ([\d.]+) s: ([\d,]+) packets/s", done.stdout)
    assert found is not None, done.stdout + done.stderr
    rate = float(found.group(3).replace(",", ""))
    print(
        f"{url.split(':')[0]}: bare frame+CRC+split loop {bare:,.0f} packets/s; "
        f"`ecoradar ingest` (detection on) {rate:,.0f} packets/s = {rate / bare:.2f}x "
        f"({found.group(1)} packets, load average {load:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with database(backend) as (url, directory):
            floor_and_command(url, directory, args.hours)
    for detect in (False, True):
        for backend in backends:
            with database(backend) as (url, directory):
                run(url, directory, args.hours, detect)


if __name__ == "__main__":
    main()
