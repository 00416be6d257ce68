"""CPU time per packet of each stage of the intake path, in one process (no parallelism).

Stages: *judge* (decode, device, password, rows ready for the driver: ``Intake.judge`` and
``prepare_batch``, what the judging process does), *write* (``write_prepared``: the archive and
the measurements, committed), *detect* (``DetectionEngine.process`` with its alerts).
The write is one ``executemany`` (SQLite) or one binary COPY (PostgreSQL) per table, with no
Python per row: its figure is what the database and its driver cost, the floor of any ingest
in this design. Each is timed with ``time.process_time`` over the same hourly packets as
``bench_ingest.py``, on a fresh database. CPU time is what the machine's other jobs do not
distort much, unlike wall time. ``--profile FILE`` writes a cProfile of the whole run.

Run: .venv/bin/python bench/bench_stages.py [--hours 48] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import cProfile
import time
from collections.abc import Sequence

from bench_ingest import database, prepare

from ecoradar.bootstrap import Container
from ecoradar.detection.engine import DetectionEngine, load_configs
from ecoradar.monitoring.pipeline import DEFAULT_BATCH, Intake, _hours
from ecoradar.monitoring.prepared import prepare_batch
from ecoradar.monitoring.store import write_prepared


def measure(box: Container, frames: Sequence[tuple[bytes, str]]) -> dict[str, float]:
    intake = Intake(box, detect=False)
    now = box.clock.now()
    dialect = box.engine.dialect.name
    chunks = [frames[i : i + DEFAULT_BATCH] for i in range(0, len(frames), DEFAULT_BATCH)]
    cpu = time.process_time()
    judged = [
        prepare_batch([intake.judge(frame, peer, now) for frame, peer in chunk], dialect)
        for chunk in chunks
    ]
    judge = time.process_time() - cpu
    with box.transaction() as session:
        engine = DetectionEngine(load_configs(session), "replay")
    detect = write = write_wall = 0.0
    for index, batch in enumerate(judged):
        following = judged[index + 1] if index + 1 < len(judged) else None
        with box.transaction() as session:
            cpu = time.process_time()
            engine.process(session, _hours(batch), now, _hours(following))
            detect += time.process_time() - cpu
            cpu, wall = time.process_time(), time.perf_counter()
            write_prepared(session, batch)
            session.commit()
            write += time.process_time() - cpu
            write_wall += time.perf_counter() - wall
    n = len(frames)
    return {
        "judge": judge / n * 1e6,
        "write": write / n * 1e6,
        "detect": detect / n * 1e6,
        "write wall": write_wall / n * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profile", help="write a cProfile of the measured stages here")
    args = parser.parse_args()
    with database(args.backend) as (url, directory):
        box, frames = prepare(url, directory, args.hours)
        try:
            profiler = cProfile.Profile() if args.profile else None
            if profiler is not None:
                profiler.enable()
            figures = measure(box, frames)
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
        finally:
            box.close()
    wall = figures.pop("write wall")
    total = sum(figures.values())
    print(
        f"{args.backend}: {len(frames)} hourly packets; CPU per packet: "
        + ", ".join(f"{k} {v:.1f} µs" for k, v in figures.items())
        + f"; total {total:.1f} µs; wall time of the write {wall:.1f} µs (on PostgreSQL the "
        "rest of it is the server's work)"
    )


if __name__ == "__main__":
    main()
