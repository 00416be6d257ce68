"""The queries the monitoring pages run, on PostgreSQL at volume: EXPLAIN (ANALYZE, BUFFERS).

Fills a database with a city's worth of history, made on the server (``generate_series``, no
Python per row): the sample city's points (``--enterprises``), five factors each, hourly and
daily values for ``--hour-days``, minute values every 10 minutes for ``--minute-days``,
real-time values every 30 seconds for ``--rtd-days``, and the raw archive of the last
``--raw-days`` (every hourly, minute and real-time packet, plus refusals, wrong passwords and
unknown devices). Then it calls the functions the pages call (``ecoradar.monitoring.service``,
and the detection and recovery reads for reference), records every statement they send, and
prints each statement's plan (key lines) and execution time, warm, best of three.

``--revision 0013`` builds the schema before partitioning; ``--keep NAME`` keeps the database
(and reuses it when it exists), so one filled database can be measured, copied (``CREATE
DATABASE ... TEMPLATE``), migrated with ``--migrate`` (the migration's own time at volume is
printed) and measured again; ``--service-from-git REV`` runs the queries of ``service.py`` as
they were at commit REV, for the figures before a change of the queries.

Run: .venv/bin/python bench/bench_pages.py [--enterprises 500] [--hour-days 365]
     [--minute-days 60] [--rtd-days 3] [--raw-days 30] [--revision head] [--keep NAME]
     [--migrate] [--plans FILE]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.db import SQLITE_DATETIME_FORMAT
from ecoradar.detection import engine as detection
from ecoradar.hj212 import gateway_recovery
from ecoradar.monitoring import service
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.registry.models import MonitoringPoint
from ecoradar.simulate.city import write_sample_city

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FACTORS = ("a21026", "a21002", "a34013", "a19001", "a00000")
END = datetime(2026, 12, 1, tzinfo=UTC)
"""The end of the generated history; the bench's "now" is an hour later."""
KEY_LINES = (
    "Scan",
    "Append",
    "Join",
    "Aggregate",
    "Sort",
    "Limit",
    "Loop",
    "Subplans Removed",
    "InitPlan",
    "SubPlan",
    "Unique",
    "Result",
    "Execution Time",
    "Planning Time",
)


@contextmanager
def database(name: str | None) -> Iterator[tuple[str, bool]]:
    """The URL of database ``name`` (a throwaway one when ``None``) and whether it existed."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    keep = name is not None
    name = name or f"ecoradar_bench_{os.getpid()}"
    with admin.connect() as conn:
        existed = bool(
            conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        )
        if not existed:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name, existed
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def load_city(box: Container, directory: Path, enterprises: int, revision: str) -> None:
    migrate.upgrade(box.engine, revision)
    files = write_sample_city(directory / "city", enterprises=enterprises)
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


_VALUES = """
INSERT INTO measurements (point_id, factor, kind, data_time, rtd, avg, min, max, flag,
                          received_at)
SELECT p.id, f.code, CAST(:kind AS varchar), t,
       CASE WHEN CAST(:real AS boolean) THEN v END,
       CASE WHEN NOT CAST(:real AS boolean) THEN v END,
       CASE WHEN NOT CAST(:real AS boolean) THEN v * 0.8 END,
       CASE WHEN NOT CAST(:real AS boolean) THEN v * 1.2 END,
       CASE WHEN random() < 0.02 THEN 'M' ELSE 'N' END, t + CAST(:lag AS interval)
FROM generate_series(CAST(:first AS timestamptz), CAST(:last AS timestamptz),
                     CAST(:step AS interval)) AS t
CROSS JOIN (SELECT id FROM monitoring_points ORDER BY id) AS p
CROSS JOIN unnest(CAST(:factors AS varchar[])) AS f(code)
CROSS JOIN LATERAL (SELECT random() * 50 + p.id % 7 AS v) AS r
"""

_RAW = """
INSERT INTO raw_packets (received_at, peer, mn, cn, qn, data_time, point_id, outcome, reason,
                         detail, size, raw)
SELECT t + CAST(:lag AS interval), '10.1.' || (p.id % 250) || '.' || (p.id % 200) || '\\:40000',
       p.mn, CAST(:cn AS varchar), to_char(t, 'YYYYMMDDHH24MISS') || '000', t, p.id,
       CASE WHEN random() < 0.003 THEN 'duplicate' ELSE 'stored' END, NULL, NULL,
       CAST(:size AS integer), substring(CAST(:blob AS bytea) from 1 for CAST(:size AS integer))
FROM generate_series(CAST(:first AS timestamptz), CAST(:last AS timestamptz),
                     CAST(:step AS interval)) AS t
CROSS JOIN (SELECT id, mn FROM monitoring_points ORDER BY id) AS p
"""

_ODD = """
INSERT INTO raw_packets (received_at, peer, mn, cn, qn, data_time, point_id, outcome, reason,
                         detail, size, raw)
SELECT t, '10.9.9.' || n || '\\:5000', CAST(:prefix AS varchar) || lpad(n::text, 6, '0'), '2061',
       NULL, NULL, NULL, CAST(:outcome AS varchar), CAST(:reason AS varchar), NULL, 300,
       substring(CAST(:blob AS bytea) from 1 for 300)
FROM generate_series(CAST(:first AS timestamptz), CAST(:last AS timestamptz),
                     CAST(:step AS interval)) AS t
CROSS JOIN generate_series(1, CAST(:devices AS integer)) AS n
"""


def fill(engine: Engine, args: argparse.Namespace) -> None:
    """History made on the server; foreign-key triggers off meanwhile (the points exist)."""
    blob = os.urandom(600)
    began = time.perf_counter()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("SET session_replication_role = replica")
        )
        for kind, days, step, lag in (
            ("hour", args.hour_days, "1 hour", "1 hour 2 minutes"),
            ("day", args.hour_days, "1 day", "1 day 5 minutes"),
            ("minute", args.minute_days, "10 minutes", "10 minutes 30 seconds"),
            ("rtd", args.rtd_days, "30 seconds", "2 seconds"),
        ):
            if days <= 0:
                continue
            first = END - timedelta(days=days)
            if kind == "day":
                first = first.replace(hour=16)  # China midnight
            conn.execute(
                text(_VALUES),
                {
                    "kind": kind,
                    "real": kind == "rtd",
                    "first": first,
                    "last": END - timedelta(seconds=1),
                    "step": step,
                    "lag": lag,
                    "factors": list(FACTORS),
                },
            )
            print(f"  {kind}: {time.perf_counter() - began:.0f} s", flush=True)
        for cn, days, step, size in (
            ("2061", args.raw_days, "1 hour", 560),
            ("2051", min(args.raw_days, args.minute_days), "10 minutes", 560),
            ("2011", min(args.raw_days, args.rtd_days), "30 seconds", 330),
        ):
            if days <= 0:
                continue
            conn.execute(
                text(_RAW),
                {
                    "cn": cn,
                    "first": END - timedelta(days=days),
                    "last": END - timedelta(seconds=1),
                    "step": step,
                    "lag": "1 minute" if cn != "2011" else "2 seconds",
                    "size": size,
                    "blob": blob,
                },
            )
        raw_first = END - timedelta(days=args.raw_days)
        for prefix, outcome, reason, devices in (
            ("UNKNOWN", "unknown_device", None, 60),
            ("BADCRC", "refused", "bad_crc", 20),
        ):
            conn.execute(
                text(_ODD),
                {
                    "prefix": prefix,
                    "outcome": outcome,
                    "reason": reason,
                    "devices": devices,
                    "first": raw_first,
                    "last": END - timedelta(seconds=1),
                    "step": "10 minutes",
                    "blob": blob,
                },
            )
        print(f"  raw archive: {time.perf_counter() - began:.0f} s", flush=True)
        conn.execute(text("RESET session_replication_role"))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    print(f"filled and analysed in {time.perf_counter() - began:.0f} s", flush=True)


def fill_sqlite(engine: Engine, args: argparse.Namespace) -> None:
    """The same history on SQLite, written through the driver in time order."""
    began = time.perf_counter()
    blob = os.urandom(600)
    with engine.connect() as conn:
        points = [tuple(row) for row in conn.execute(text("SELECT id, mn FROM monitoring_points"))]
    rng = random.Random(1)
    insert = (
        "INSERT INTO measurements (point_id, factor, kind, data_time, rtd, avg, min, max, flag, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def rows(kind: str, days: int, step: timedelta) -> Iterator[tuple[Any, ...]]:
        when = END - timedelta(days=days)
        while when < END:
            text_time = when.strftime(SQLITE_DATETIME_FORMAT)
            for point_id, _ in points:
                for factor in FACTORS:
                    v = rng.random() * 50
                    if kind == "rtd":
                        yield point_id, factor, kind, text_time, v, None, None, None, "N", text_time
                    else:
                        yield point_id, factor, kind, text_time, None, v, v, v, "N", text_time
            when += step

    def raws(days: int, step: timedelta, cn: str) -> Iterator[tuple[Any, ...]]:
        when = END - timedelta(days=days)
        while when < END:
            text_time = when.strftime(SQLITE_DATETIME_FORMAT)
            for point_id, mn in points:
                yield text_time, "10.1.1.1:4000", mn, cn, point_id, "stored", 560, blob[:560]
            when += step

    raw_insert = (
        "INSERT INTO raw_packets (received_at, peer, mn, cn, point_id, outcome, size, raw) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    driver = engine.raw_connection()
    try:
        for kind, days, step in (
            ("hour", args.hour_days, timedelta(hours=1)),
            ("day", args.hour_days, timedelta(days=1)),
            ("minute", args.minute_days, timedelta(minutes=10)),
            ("rtd", args.rtd_days, timedelta(seconds=30)),
        ):
            if days > 0:
                driver.cursor().executemany(insert, rows(kind, days, step))
                driver.commit()
                print(f"  {kind}: {time.perf_counter() - began:.0f} s", flush=True)
        for cn, days, step in (
            ("2061", args.raw_days, timedelta(hours=1)),
            ("2051", min(args.raw_days, args.minute_days), timedelta(minutes=10)),
            ("2011", min(args.raw_days, args.rtd_days), timedelta(seconds=30)),
        ):
            if days > 0:
                driver.cursor().executemany(raw_insert, raws(days, step, cn))
                driver.commit()
        driver.cursor().execute("ANALYZE")
        driver.commit()
    finally:
        driver.close()
    print(f"filled and analysed in {time.perf_counter() - began:.0f} s", flush=True)


class Recorder:
    """Collects the SELECT statements sent while ``on``."""

    def __init__(self, engine: Engine) -> None:
        self.on = False
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.on and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        self.on = True
        try:
            yield self.statements
        finally:
            self.on = False


def explain(
    box: Container, recorder: Recorder, name: str, call: Callable[[Session], Any], out: Any
):
    """Time ``call`` (best of three, warm) and EXPLAIN ANALYZE each statement it sent."""
    best = float("inf")
    for _ in range(3):
        with recorder.recording() as statements, box.reading() as session:
            began = time.perf_counter()
            try:
                call(session)
            except Exception as exc:  # e.g. a column of a later schema
                print(f"\n## {name}: failed: {str(exc).splitlines()[0]}")
                return
            best = min(best, time.perf_counter() - began)
    print(f"\n## {name}: {best * 1000:,.1f} ms, {len(statements)} statement(s)")
    out.write(f"\n## {name}: {best * 1000:,.1f} ms\n")
    sqlite = box.engine.dialect.name == "sqlite"
    with box.engine.connect() as conn:
        for statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
            plan = [str(row[-1]) for row in conn.exec_driver_sql(prefix + statement, parameters)]
            if sqlite:
                print("   " + " | ".join(plan)[:300])
                out.write(statement + "\n" + "\n".join(plan) + "\n")
                continue
            out.write(statement + "\n" + repr(parameters)[:300] + "\n" + "\n".join(plan) + "\n")
            shown = [line for line in plan if any(key in line for key in KEY_LINES)]
            for line in shown[:14]:
                print("   " + line.rstrip()[:150])
            if len(shown) > 14:
                print(f"   ... {len(shown) - 14} more plan lines")
                print("   " + shown[-1].strip())


def _counters(session: Session, per_device: bool) -> Any:
    try:
        return service.counters(session=session, per_device=per_device)
    except TypeError:  # before the page could leave the devices out
        return service.counters(session=session)


def service_from_git(revision: str) -> Any:
    """``ecoradar.monitoring.service`` as it was at ``revision`` (the queries before a change)."""
    source = subprocess.run(
        ["git", "show", f"{revision}:src/ecoradar/monitoring/service.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("service_at_" + revision)
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:service.py", "exec"), module.__dict__)  # noqa: S102
    return module


def pages(box: Container, recorder: Recorder, out: Any) -> None:
    now = END + timedelta(hours=1)
    with box.reading() as session:
        points = session.execute(select(MonitoringPoint.id, MonitoringPoint.mn)).all()
    point_id, mn = points[len(points) // 2]
    some = [p for p, _ in points[:50]]
    week = (END - timedelta(days=7), END)
    day = (END - timedelta(days=1), END)
    calls: list[tuple[str, Callable[[Session], Any]]] = [
        ("/monitoring: device states", lambda s: service.device_states(session=s, now=now)),
        ("/monitoring: counters", lambda s: _counters(s, per_device=False)),
        ("API and CLI: counters with each device's", lambda s: _counters(s, per_device=True)),
        ("/monitoring: unknown devices", lambda s: service.recent_unknown_devices(session=s)),
        (
            "/monitoring: device rows, page 1",
            lambda s: service.device_activity(session=s, now=now, page=1, per_page=50),
        ),
        (
            "/monitoring: device rows, silent",
            lambda s: service.device_activity(session=s, now=now, state="silent"),
        ),
        (
            "/monitoring: device rows, search",
            lambda s: service.device_activity(session=s, now=now, query=mn[-6:]),
        ),
        (
            "/monitoring/{mn}: newest hour",
            lambda s: service.latest_data_time(session=s, point_id=point_id, kind="hour"),
        ),
        (
            "/monitoring/{mn}: newest real-time value",
            lambda s: service.latest_data_time(session=s, point_id=point_id, kind="rtd"),
        ),
        (
            "/monitoring/{mn}: aggregates, 7 days",
            lambda s: service.aggregates(session=s, mn=mn, since=week[0], until=week[1]),
        ),
        (
            "/monitoring/{mn}: aggregates, 366 days",
            lambda s: service.aggregates(
                session=s, mn=mn, since=END - timedelta(days=366), until=END
            ),
        ),
        (
            "series: hourly, 7 days",
            lambda s: service.series_values(
                session=s,
                point_id=point_id,
                factor=FACTORS[0],
                kind="hour",
                since=week[0],
                until=week[1],
                limit=50_001,
            ),
        ),
        (
            "series: hourly, 366 days",
            lambda s: service.series_values(
                session=s,
                point_id=point_id,
                factor=FACTORS[0],
                kind="hour",
                since=END - timedelta(days=366),
                until=END,
                limit=50_001,
            ),
        ),
        (
            "series: real-time, 1 day",
            lambda s: service.series_values(
                session=s,
                point_id=point_id,
                factor=FACTORS[0],
                kind="rtd",
                since=day[0],
                until=day[1],
                limit=50_001,
            ),
        ),
        (
            "export: one point, 7 days",
            lambda s: list(service.measurements(session=s, mn=mn, since=week[0], until=week[1])),
        ),
        (
            "detection: newest hour of 50 points",
            lambda s: detection._latest_hours(s, some),
        ),
        (
            "detection: stored month of 50 points",
            lambda s: detection._stored_hours(s, some, END - timedelta(days=31)),
        ),
        ("gateway recovery: newest hour of every point", gateway_recovery.latest_hours),
        (
            "service.latest_hours: newest hour of 50 points",
            lambda s: service.latest_hours(session=s, point_ids=some),
        ),
        (
            "service.latest_hours: newest hour of every point",
            lambda s: service.latest_hours(session=s),
        ),
    ]
    for name, call in calls:
        explain(box, recorder, name, call, out)


def sizes(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            for table in ("measurements", "raw_packets"):
                rows = conn.scalar(text(f"SELECT count(*) FROM {table}"))
                print(f"{table}: {rows:,} rows")
        print(f"file: {os.path.getsize(engine.url.database or '') / 2**20:,.0f} MB")
        return
    with engine.connect() as conn:
        for table in ("measurements", "raw_packets"):
            rows = conn.scalar(text(f"SELECT count(*) FROM {table}"))
            size = conn.scalar(
                text(
                    "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                    "WHERE c.relkind = 'r' AND (c.relname = :t OR c.relname LIKE :p)"
                ),
                {"t": table, "p": table + "\\_%"},
            )
            print(f"{table}: {rows:,} rows, {size}")


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[tuple[str, bool]]:
    if args.sqlite:
        yield f"sqlite:///{Path(args.sqlite).resolve()}", Path(args.sqlite).exists()
        return
    with database(args.keep) as found:
        yield found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--hour-days", type=int, default=365)
    parser.add_argument("--minute-days", type=int, default=60)
    parser.add_argument("--rtd-days", type=int, default=3)
    parser.add_argument("--raw-days", type=int, default=30)
    parser.add_argument("--revision", default="head")
    parser.add_argument("--keep", help="database name to keep (and reuse)")
    parser.add_argument("--sqlite", help="a SQLite file instead (kept, and reused when it exists)")
    parser.add_argument("--migrate", action="store_true", help="upgrade a kept database first")
    parser.add_argument(
        "--plans",
        default=os.path.join(tempfile.gettempdir(), "bench-pages-plans.txt"),
        help="the full plans go here",
    )
    parser.add_argument("--service-from-git", help="run the queries of this commit's service.py")
    args = parser.parse_args()
    if args.service_from_git:
        global service
        service = service_from_git(args.service_from_git)
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp, _database(args) as (url, existed):
        settings = Settings(environment="development", database_url=url, home=Path(tmp))
        box = bootstrap(settings)
        if not existed:
            load_city(box, Path(tmp), args.enterprises, args.revision)
            (fill_sqlite if args.sqlite else fill)(box.engine, args)
        elif args.migrate:
            began = time.perf_counter()
            migrate.upgrade(box.engine)
            print(f"migrated to head in {time.perf_counter() - began:.1f} s")
        print(f"schema at {migrate.current_revision(box.engine)}")
        sizes(box.engine)
        recorder = Recorder(box.engine)
        with open(args.plans, "w", encoding="utf-8") as out:
            pages(box, recorder, out)
        print(f"\nload average {os.getloadavg()[0]:.2f}; full plans in {args.plans}")
        box.close()


if __name__ == "__main__":
    main()
