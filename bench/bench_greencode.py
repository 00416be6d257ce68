"""Does the green code predict? A simulated history with hidden violators
(``ecoradar.simulate.history``), scored at T, measured against what happens after T.

Plays ``--days`` days of hourly data for ``--enterprises`` enterprises (clean, careless or
falsifying, a hidden label) through the real intake, detection, scheduler steps and services
on a fake clock; computes every green code at T; plays ``--after`` days of reports and routine
inspections; then prints:

* what EcoRadar saw per hidden class (alerts by kind, incidents whose alert was raised, tasks),
  and the codes at T per class (mean score, colours);
* AUC of the score (lower = riskier) against the outcome "a problem reported after T was
  confirmed" (from the register) and against the hidden truth "it really violated after T",
  and precision at k (10, 20, 5 % of the enterprises) for both;
* risk-weighted inspection draws (the model's rates per colour, through
  ``ecoradar.inspections.draw.draw_enterprises``) against uniform draws of the same expected
  size, ``--seeds`` draws of each per 30-day period after T: violations found per inspection.

The machine's load average is printed before and after. Nothing here is a timed test.

Run: .venv/bin/python bench/bench_greencode.py [--enterprises 300] [--days 90] [--after 90]
     [--seed 1] [--seeds 1000] [--backend sqlite|postgresql] [--keep DIR]
PostgreSQL: a throwaway database on ECORADAR_BENCH_PG_URL (default the local server), dropped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import FakeClock
from ecoradar.detection.models import Alert
from ecoradar.registry.models import MonitoringPoint
from ecoradar.simulate.behaviour import CLASSES
from ecoradar.simulate.evaluate import auc, compare_draws, cutoffs, precision_at
from ecoradar.simulate.history import HistoryConfig, HistoryResult, run_history

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def detected(box: Container, result: HistoryResult) -> Counter[tuple[str, bool]]:
    """(kind, raised) -> incidents: whether an alert of the incident's kind at its point
    overlaps its window."""
    with box.reading() as session:
        rows = session.execute(
            select(MonitoringPoint.mn, Alert.kind, Alert.start, Alert.end).join(
                MonitoringPoint, Alert.point_id == MonitoringPoint.id
            )
        ).all()
    by_key: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = {}
    for mn, kind, start, end in rows:
        by_key.setdefault((mn, kind), []).append((start, end))
    out: Counter[tuple[str, bool]] = Counter()
    for incident in result.incidents:
        spans = by_key.get((incident.mn, incident.kind), [])
        hit = any(s < incident.end and (e is None or e > incident.start) for s, e in spans)
        out[incident.kind, hit] += 1
    return out


def report(box: Container, result: HistoryResult, seeds: int) -> None:
    config, rows = result.config, result.enterprises
    print(
        f"\nhistory: {len(rows)} enterprises, {config.history_days} days, then {config.after_days}"
    )
    print(f"  packets {result.packets:,}; problems confirmed in all {result.confirmed_before:,}")
    print("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()))
    print(f"  model {result.model.version}, rates {dict(result.model.inspection_rates)}")
    print(f"  tasks by state at T: {dict(result.tasks)}")
    print("\nalerts by hidden class (kind: count)")
    for label in CLASSES:
        seen = {k: n for (c, k), n in sorted(result.alerts_by_class.items()) if c == label}
        print(f"  {label:9} {seen}")
    raised = detected(box, result)
    kinds = sorted({k for k, _ in raised})
    print(
        "incidents with their alert raised: "
        + ", ".join(f"{k} {raised[k, True]}/{raised[k, True] + raised[k, False]}" for k in kinds)
    )
    print("\ncodes at T by hidden class")
    colours = list(result.model.scheme.colours)
    print(
        f"  {'class':9} {'n':>4} {'score':>6}  "
        + " ".join(f"{c:>6}" for c in colours)
        + "  violated_after found_after"
    )
    for label in CLASSES:
        group = [r for r in rows if r.behaviour == label]
        if not group:
            continue
        mean = sum(r.score for r in group) / len(group)
        counts = Counter(r.colour for r in group)
        print(
            f"  {label:9} {len(group):4} {mean:6.1f}  "
            + " ".join(f"{counts.get(c, 0):6}" for c in colours)
            + f"  {sum(r.violated_after for r in group):14} {sum(r.found_after for r in group):11}"
        )
    scores = [r.score for r in rows]
    outcomes: dict[str, Sequence[bool]] = {
        "confirmed problem after T (register)": [r.found_after for r in rows],
        "violated after T (hidden truth)": [r.violated_after for r in rows],
    }
    print("\nranking (lower score = higher risk)")
    for name, outcome in outcomes.items():
        base = sum(outcome) / len(outcome)
        at_k = ", ".join(
            f"P@{k} {precision_at(scores, outcome, k):.2f}" for k in cutoffs(len(rows))
        )
        print(f"  {name}: base rate {base:.3f}, AUC {auc(scores, outcome):.3f}; {at_k}")
    started = time.perf_counter()
    draws = compare_draws(
        result.draw_periods(),
        result.model.inspection_rates,
        seeds=seeds,
        find_rate=config.find_rate,
    )
    took = time.perf_counter() - started
    print(f"\ninspection draws, {seeds} seeds per period after T ({took:.1f} s)")
    for name, arm in (("risk-weighted", draws.risk), ("uniform", draws.uniform)):
        print(
            f"  {name:13} {arm.per_draw:6.1f} inspections per draw, "
            f"{arm.per_inspection:.3f} violations found per inspection"
        )
    print(
        f"  ratio {draws.ratio:.2f} (expected {draws.expected_ratio:.2f}: "
        f"{draws.expected_risk:.3f} vs {draws.expected_uniform:.3f}); uniform rate "
        f"{draws.uniform_rate:.3f}"
    )


def run(url: str, home: Path, args: argparse.Namespace) -> None:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    box = bootstrap(Settings(environment="development", database_url=url, home=home), clock=clock)
    migrate.upgrade(box.engine)
    config = HistoryConfig(
        enterprises=args.enterprises,
        history_days=args.days,
        after_days=args.after,
        seed=args.seed,
    )
    try:
        result = run_history(box, clock, home / "files", config)
        report(box, result, args.seeds)
    finally:
        box.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=300)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--after", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", type=Path, help="keep the SQLite database and files here")
    args = parser.parse_args()
    print(f"before: {load()}")
    began = time.perf_counter()
    if args.backend == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="bench-greencode-"))
        try:
            run(f"sqlite:///{tmp}/bench.db", tmp, args)
        finally:
            if args.keep is not None:
                shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        name = f"ecoradar_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with tempfile.TemporaryDirectory() as work:
                run(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, Path(work), args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"\nafter: {load()}; {time.perf_counter() - began:.0f} s in all")


if __name__ == "__main__":
    main()
