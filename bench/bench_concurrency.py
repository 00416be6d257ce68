"""The live system under its own load, at higher rates than the suite's test (issue 12).

Starts ``ecoradar serve --load-sample`` (web app, HJ 212 gateway and scheduler in one process) on
a fresh database — SQLite under a temporary directory, or a throwaway PostgreSQL database — and
runs the mixed workload of ``ecoradar.simulate.workload`` against it from this process: devices
streaming hourly data (CN 2061, detection on), officers writing through the API, the public
report form and the login form, Open311 clients, and readers. It reports, per endpoint class,
requests/s, p50/p99 latency and the answers by status (a 5xx or a transport error is a failure).
That everything accepted is stored is the suite's check (``tests/e2e/test_under_load.py``). The
run stops by itself.

Run: ``.venv/bin/python bench/bench_concurrency.py [--backend sqlite|postgresql] [--seconds 60]
[--writers 4] [--readers 2] [--devices 200] [--device-rate 200] [--pause 0]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from ecoradar.bootstrap import bootstrap
from ecoradar.config import Settings
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.served import Server, server_env, target_of
from ecoradar.simulate.workload import Workload

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SETTINGS = {
    "clue_rate_limit_per_hour": 1_000_000,
    "clue_tracking_rate_limit_per_hour": 1_000_000,
    "scheduler_interval": 5,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--writers", type=int, default=4, help="writers of each kind")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--device-rate", type=float, default=200.0, help="hourly uploads/s")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between requests")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="ecoradar-bench-concurrency-"))
    database_url, drop = _database(args.backend, home)
    server = Server(home, server_env(home, database_url, **SETTINGS))
    box = bootstrap(Settings(home=home, database_url=database_url, secret_key="x" * 40))
    try:
        started = time.monotonic()
        server.start()
        print(f"server up in {time.monotonic() - started:.1f} s ({args.backend}, {home})")
        with box.reading() as session:
            profiles = load_profiles(session, limit=args.devices)
        work = Workload(
            target_of(server),
            seconds=args.seconds,
            api_writers=args.writers,
            form_writers=args.writers,
            open311_writers=args.writers,
            readers=args.readers,
            pause=args.pause,
            devices=profiles,
            device_rate=args.device_rate,
        )
        load = os.getloadavg()[0]
        assert server.process is not None
        cpu_before, mine_before = _cpu_seconds(server.process.pid), time.process_time()
        took = work.run()
        served_cpu = _cpu_seconds(server.process.pid) - cpu_before
        print(
            f"ran {took:.1f} s; load average before {load:.2f}, after {os.getloadavg()[0]:.2f}; "
            f"CPU: server {served_cpu / took:.2f} cores (with its gateway writer), "
            f"this load generator {(time.process_time() - mine_before) / took:.2f} cores"
        )
        print(f"{'class':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  answers")
        failures = 0
        for kind, figures in work.figures.items():
            row = figures.summary(took)
            failures += figures.server_errors + row["transport_errors"]  # type: ignore[operator]
            print(
                f"{kind:<8} {row['requests']:>8} {row['per_second']:>7} {row['p50_ms']:>8} "
                f"{row['p99_ms']:>8}  {json.dumps(row['statuses'])}"
                + (
                    f" transport errors {row['transport_errors']}"
                    if row["transport_errors"]
                    else ""
                )
            )
        accepted = work.accepted
        print(
            f"accepted: {len(accepted.notes)} notes, {len(accepted.clues)} clues, "
            f"{len(accepted.packets)} device hours, {accepted.logins} logins; "
            f"5xx or transport errors: {failures}"
        )
        server.stop()
        log = server.log.read_text()
        gate = [line for line in log.splitlines() if line.startswith("write gate:")]
        print(f"log tracebacks: {log.count('Traceback')}; {gate[-1] if gate else ''}")
    finally:
        server.stop()
        box.close()
        drop()


def _cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and the processes it started (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _database(backend: str, home: Path) -> tuple[str | None, Callable[[], None]]:
    if backend == "sqlite":
        return None, lambda: None
    name = f"ecoradar_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


if __name__ == "__main__":
    main()
