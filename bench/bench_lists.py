"""The list endpoints at province scale, on PostgreSQL: p50/p95 per endpoint and the plans.

Builds (or reuses, ``--keep NAME``) a database with the sample city's registry at
``--enterprises`` (50,000: regions, enterprises, outlets, monitoring points, through the real
importers) and, made on the server with ``generate_series`` (no Python per row), ``--problems``
problems, ``--findings`` findings attached to them (monitoring, human clue channels and the
others), a clue for every finding of a clue channel (with its problem and that problem's
region, as intake stores them), and ``--alerts`` alerts. Then it times the list endpoints over
the HTTP app (``TestClient``: routing, auth, queries, JSON or HTML) as an administrator and as
a county officer, ``--repeat`` times each with a few filters and pages, and prints p50/p95 per
endpoint; with ``--plans FILE`` it writes EXPLAIN (ANALYZE, BUFFERS) of every statement one
request of each endpoint sends (warm).

Run: .venv/bin/python bench/bench_lists.py [--enterprises 50000] [--findings 1000000]
     [--problems 250000] [--alerts 500000] [--repeat 30] [--keep NAME] [--plans FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, select, text

from ecoradar.auth import service as accounts
from ecoradar.auth import tokens
from ecoradar.auth.models import User
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.regions import service as regions
from ecoradar.regions.models import Region
from ecoradar.registry import service as registry
from ecoradar.simulate.city import write_sample_city
from ecoradar.web.app import create_app

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-lists-secret-key-0123456789abcdef"
GOAL_MS = 200.0
TABLES = ("enterprises", "monitoring_points", "problems", "findings", "clues", "alerts")


@contextmanager
def database(name: str | None) -> Iterator[tuple[str, bool]]:
    """The URL of database ``name`` (a throwaway one when ``None``) and whether it existed."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    keep = name is not None
    name = name or f"ecoradar_lists_{os.getpid()}"
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


# --- the data ---------------------------------------------------------------------------------


def load_registry(box: Container, directory: Path, enterprises: int) -> None:
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


_PROBLEMS = """
INSERT INTO problems (title, description, category, severity, state, channel, lat, lon,
    region_id, office_region_id, enterprise_id, reported_at, accepted_at, closed_at, state_times,
    acceptance_due, handling_due, extensions_used, escalation_level, has_rectification_evidence,
    created_at, updated_at, overdue_since)
SELECT e.name || ' 问题' || g, '厂区排口附近发现异常 ' || g,
    (ARRAY['air','water','solid_waste','hazardous_waste','noise','odour','soil','ecological',
           'other'])[1 + g % 9],
    (ARRAY['low','medium','high','critical'])[1 + g % 4],
    (ARRAY['reported','accepted','assigned','verifying','confirmed','rectifying','rectified',
           'closed','closed','closed','unfounded','rejected'])[1 + (g * 7) % 12],
    (ARRAY['monitoring','public','hotline','grid_worker','department','linkage',
           'self_inspection','power'])[1 + g % 8],
    e.latitude, e.longitude, e.region_id, e.region_id, e.id,
    t, t + interval '1 day', CASE WHEN (g * 7) % 12 BETWEEN 7 AND 9 THEN t + interval '20 days' END,
    '{}'::jsonb, t + interval '15 days', t + interval '30 days', 0, 0, false, t, t,
    CASE WHEN g % 25 = 0 THEN t + interval '15 days' END
FROM generate_series(1, CAST(:n AS integer)) AS g
JOIN (SELECT id, name, latitude, longitude, region_id,
             row_number() OVER (ORDER BY id) AS rn FROM enterprises) AS e
  ON e.rn = 1 + (CAST(g AS bigint) * 7919) % CAST(:enterprises AS integer)
CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz) - (g % 720) * interval '12 hours'
                           - (g % 97) * interval '1 minute' AS t) AS w
"""

_FINDINGS = """
INSERT INTO findings (problem_id, channel, source_ref, category, description, observed_at,
    received_at, lat, lon, severity, data, attached_automatically)
SELECT p.id, c.channel, 'bench-' || g, p.category, p.description, p.reported_at,
       p.reported_at + interval '5 minutes', p.lat + (g % 13) * 0.0001, p.lon, p.severity,
       '{}'::jsonb, g > CAST(:problems AS integer)
FROM generate_series(1, CAST(:n AS integer)) AS g
JOIN problems AS p ON p.id = CAST(:first AS integer) + (g - 1) % CAST(:problems AS integer)
CROSS JOIN LATERAL (SELECT (ARRAY['monitoring','monitoring','monitoring','monitoring','public',
    'hotline','grid_worker','department','linkage','self_inspection'])[1 + g % 10] AS channel) c
"""

_CLUES = """
INSERT INTO clues (finding_id, problem_id, region_id, channel, service_code, tracking_code,
    anonymous, attributes, media_ids, received_at, lat, lon, duplicate, suggestions)
SELECT f.id, p.id, p.region_id, f.channel, f.category, upper(lpad(to_hex(f.id), 10, 'X')),
       f.channel = 'public', '{}'::jsonb, '[]'::jsonb, f.received_at, f.lat, f.lon,
       f.id % 17 = 0, '[]'::jsonb
FROM findings AS f JOIN problems AS p ON p.id = f.problem_id
WHERE f.channel IN ('public', 'hotline', 'grid_worker', 'department')
"""

_ALERTS = """
INSERT INTO alerts (point_id, factor, kind, start, "end", severity, evidence, raised_at,
    updated_at)
SELECT p.id, (ARRAY['a21026','a21002','a34013','w01018',''])[1 + g % 5],
    (ARRAY['exceedance','flatline','zero_value','offline','near_limit_pinning',
           'repeated_sequence','over_range','negative_value','flag_abuse','o2_anomaly',
           'time_anomaly'])[1 + g % 11],
    t, CASE WHEN g % 10 <> 0 THEN t + interval '3 hours' END,
    (ARRAY['low','medium','high'])[1 + g % 3], '{}'::jsonb, t, t
FROM generate_series(1, CAST(:n AS integer)) AS g
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM monitoring_points
      WHERE outlet_id IS NOT NULL) AS p
  ON p.rn = 1 + (CAST(g AS bigint) * 104729) % CAST(:points AS integer)
CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz) - g * interval '37 seconds' AS t) AS w
"""


def fill(engine: Engine, box: Container, args: argparse.Namespace) -> None:
    now = box.clock.now()
    with engine.begin() as conn:
        enterprises = conn.scalar(text("SELECT count(*) FROM enterprises"))
        points = conn.scalar(
            text("SELECT count(*) FROM monitoring_points WHERE outlet_id IS NOT NULL")
        )
        steps = (
            ("problems", _PROBLEMS, {"n": args.problems, "enterprises": enterprises, "now": now}),
            ("alerts", _ALERTS, {"n": args.alerts, "points": points, "now": now}),
        )
        for name, sql, params in steps:
            began = time.perf_counter()
            conn.execute(text(sql), params)
            print(f"  {name}: {time.perf_counter() - began:.1f} s", flush=True)
        first = conn.scalar(text("SELECT min(id) FROM problems"))
        began = time.perf_counter()
        conn.execute(
            text(_FINDINGS), {"n": args.findings, "problems": args.problems, "first": first}
        )
        print(f"  findings: {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        conn.execute(text(_CLUES))
        print(f"  clues: {time.perf_counter() - began:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in (
                "enterprises",
                "monitoring_points",
                "problems",
                "findings",
                "clues",
                "alerts",
            )
        }


# --- who asks ----------------------------------------------------------------------------------


def bearer(box: Container, role: str, username: str, region: str | None) -> dict[str, str]:
    with box.transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(
                session=session,
                username=username,
                role=role,
                password="bench-password-123",
                now=box.clock.now(),
                region=region,
            )
        issued = tokens.create_token(
            session=session,
            name=f"{username}-{time.time_ns()}",
            scopes=["api"],
            username=username,
            now=box.clock.now(),
        )
    return {"Authorization": f"Bearer {issued.secret}"}


# --- the endpoints -----------------------------------------------------------------------------


def endpoints(sample: dict[str, str]) -> dict[str, list[str]]:
    """Each list endpoint with a few filters and pages (the first one is explained)."""
    name, industry = sample["name"], sample["industry"]
    return {
        "GET /api/enterprises": [
            "/api/enterprises?page=1",
            f"/api/enterprises?q={name}",
            f"/api/enterprises?industry={industry}&page=2",
            "/api/enterprises?page=1000",
        ],
        "GET /registry/rows": ["/registry/rows?q=%E5%8C%96%E5%B7%A5", "/registry/rows?page=40"],
        "GET /api/alerts": [
            "/api/alerts",
            "/api/alerts?state=open",
            "/api/alerts?kind=flatline&severity=high",
            "/api/alerts?page=500",
        ],
        "GET /alerts/rows": ["/alerts/rows", "/alerts/rows?state=open&kind=offline"],
        "GET /api/problems": [
            "/api/problems",
            "/api/problems?state=reported",
            "/api/problems?overdue=true",
            "/api/problems?category=water&channel=public&page=3",
        ],
        "GET /problems/rows": ["/problems/rows", "/problems/rows?state=reported&category=air"],
        "GET /api/clues": [
            "/api/clues",
            "/api/clues?channel=public",
            "/api/clues?category=odour&duplicate=false&page=20",
        ],
        "GET /clues/rows": ["/clues/rows", "/clues/rows?channel=hotline"],
    }


class Recorder:
    """The statements the app sends while ``recording``."""

    def __init__(self, engine: Engine) -> None:
        self.active: list[tuple[str, Any]] | None = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.active is not None and statement.lstrip().upper().startswith("SELECT"):
            self.active.append((statement, parameters))

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, Any]]]:
        self.active = []
        try:
            yield self.active
        finally:
            self.active = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_endpoints(
    client: TestClient, who: dict[str, dict[str, str]], sample: dict[str, str], repeat: int
) -> list[tuple[str, str, float, float, int]]:
    rows = []
    for role, headers in who.items():
        for name, urls in endpoints(sample).items():
            took: list[float] = []
            for url in urls:  # warm
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (url, response.status_code, response.text[:300])
            for _ in range(repeat):
                for url in urls:
                    began = time.perf_counter()
                    client.get(url, headers=headers)
                    took.append((time.perf_counter() - began) * 1000)
            rows.append((role, name, statistics.median(took), percentile(took, 0.95), len(took)))
            print(
                f"  {role:8} {name:22} p50 {rows[-1][2]:7.1f} ms  p95 {rows[-1][3]:7.1f} ms",
                flush=True,
            )
    return rows


KEY_LINES = ("Scan", "Join", "Aggregate", "Sort", "Limit", "Loop", "Execution Time")


def key_line(line: str) -> bool:
    return any(word in line for word in KEY_LINES) and "Sort Method" not in line


def plans(
    engine: Engine,
    client: TestClient,
    recorder: Recorder,
    headers: dict[str, str],
    sample: dict[str, str],
    out: Any,
) -> None:
    for name, urls in endpoints(sample).items():
        for url in urls[:2]:
            with recorder.recording() as seen:
                client.get(url, headers=headers)
            out.write(f"\n## {name}: {url}\n")
            with engine.connect() as conn:
                for statement, parameters in seen:
                    if "FROM" not in statement.upper() or "api_tokens" in statement:
                        continue
                    if "FROM users" in statement or "FROM sessions" in statement:
                        continue
                    if "WHERE findings.id = " in statement:
                        continue  # the clue's finding, loaded per row (0.01 ms each)
                    raw = conn.connection.dbapi_connection
                    assert raw is not None
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        lines = [r[0] for r in cursor.fetchall() if key_line(r[0])]
                    out.write("\n```sql\n" + " ".join(statement.split())[:600] + "\n```\n```\n")
                    out.write("\n".join(lines) + "\n```\n")
                conn.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--problems", type=int, default=250_000)
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", help="Keep (and reuse) the database of this name.")
    parser.add_argument("--plans", type=Path, help="Write EXPLAIN ANALYZE of each list here.")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
    with database(args.keep) as (url, _existed), tempfile.TemporaryDirectory() as home:
        settings = Settings(
            environment="test", secret_key=SECRET, home=Path(home), database_url=url
        )
        box = bootstrap(settings)
        try:
            migrate.upgrade(box.engine)
            if not counts(box.engine)["enterprises"]:
                began = time.perf_counter()
                load_registry(box, Path(home), args.enterprises)
                print(f"registry: {time.perf_counter() - began:.1f} s", flush=True)
            if not counts(box.engine)["problems"]:
                fill(box.engine, box, args)
            with box.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
            print("rows:", counts(box.engine), flush=True)
            run(box, args)
        finally:
            box.close()


def run(box: Container, args: argparse.Namespace) -> None:
    with box.reading() as session:
        county = session.scalars(
            select(Region.code).where(Region.level == "county").order_by(Region.code)
        ).first()
        name, industry = session.execute(
            text("SELECT substr(name, 1, 4), industry FROM enterprises ORDER BY id LIMIT 1")
        ).one()
    sample = {"name": name, "industry": industry}
    who = {
        "admin": bearer(box, "admin", "bench-admin", None),
        "officer": bearer(box, "officer", "bench-officer", county),
    }
    recorder = Recorder(box.engine)
    client = TestClient(create_app(box))
    print(f"timing ({args.repeat} rounds of each endpoint's URLs):", flush=True)
    rows = time_endpoints(client, who, sample, args.repeat)
    print("\n| who | endpoint | p50 ms | p95 ms | requests |\n| --- | --- | ---: | ---: | ---: |")
    for role, name, p50, p95, n in rows:
        flag = "" if p95 < GOAL_MS else " **over**"
        print(f"| {role} | `{name}` | {p50:.1f} | {p95:.1f}{flag} | {n} |")
    if args.plans:
        with args.plans.open("w", encoding="utf-8") as out:
            out.write("# Plans of the list endpoints (bench/bench_lists.py)\n")
            out.write(f"\nRows: {counts(box.engine)}\n")
            plans(box.engine, client, recorder, who["officer"], sample, out)
        print(f"plans written to {args.plans}")
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
