"""Clue deduplication quality and speed: a labelled set through ``find_duplicates`` on a database.

Builds a labelled set (ecoradar.simulate.clue_scenarios: 187 clues of 8 kinds over scenario
problems, plus --background open problems spread over the sample city and 30 days, a fifth of
them with a photo) in a fresh database of each backend: the sample city's regions, then every
problem recorded through problems.intake.record_finding and its photos through
media.service.store_upload (clue_scenarios_load). Then asks find_duplicates about every clue
(nothing recorded; each clue meets the same register) and prints, per clue kind and in all, the
confusion counts and the precision and recall of automatic attachment and of "suggested or
attached", and the time per call; then adds an index on problems (category, lat), which the
schema does not have yet, and times the calls again to show what it would change.

``--set paraphrase`` runs instead the paraphrase set (ecoradar.simulate.clue_scenarios_paraphrase:
240 clues a split, people describing one problem in other words) on its ``tune`` split and its
``held_out`` split, each over the split's problems and --background others (default 150 there).
Each run prints the machine's load average before and after, and how long loading jieba's
dictionary and the lexicon took in this process.

Run: .venv/bin/python bench/bench_dedupe.py [--set facts|paraphrase] [--seeds 1]
     [--background 10000] [--backend sqlite,postgresql] [--show 5]
Goals: facts: attachment precision >= 0.98, recall of "suggested or attached" >= 0.95;
paraphrase: attachment precision >= 0.95 and recall >= 0.8. Exit status 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from ecoradar.bootstrap import bootstrap
from ecoradar.clues import dedupe_text
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Problem
from ecoradar.simulate.clue_scenarios import KINDS, POSITIVE_KINDS, LabelledSet, labelled_set
from ecoradar.simulate.clue_scenarios_load import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    Figures,
    Result,
    load_problems,
    load_sample_regions,
    run_clues,
    tally,
)
from ecoradar.simulate.clue_scenarios_paraphrase import (
    PARAPHRASE_KINDS,
    PARAPHRASE_POSITIVE,
    paraphrase_set,
)

INDEX = "CREATE INDEX ix_bench_problems_category_lat ON problems (category, lat)"
"""With it the bounding box reads a slice of an index instead of the whole table."""
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


def _ratio(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def report(
    figures: dict[str, Figures],
    kinds: tuple[str, ...] = KINDS,
    positive: frozenset[str] = POSITIVE_KINDS,
) -> None:
    head = "kind                     n  " + " ".join(f"{o:>13}" for o in POSITIVE_OUTCOMES)
    print(head + "  | attach P / R   flagged P / R")
    for kind in [k for k in kinds if k in positive and k in figures] + ["all"]:
        f = figures[kind]
        cells = " ".join(f"{f.counts[o]:>13}" for o in POSITIVE_OUTCOMES)
        print(
            f"{kind:<23}{f.positives:>4}  {cells}  | {_ratio(f.attach_precision)} / "
            f"{_ratio(f.attach_recall)}   {_ratio(f.flag_precision)} / {_ratio(f.flag_recall)}"
        )
    print("kind                     n  " + " ".join(f"{o:>13}" for o in NEGATIVE_OUTCOMES))
    for kind in [k for k in kinds if k not in positive and k in figures]:
        f = figures[kind]
        n = sum(f.counts[o] for o in NEGATIVE_OUTCOMES)
        cells = " ".join(f"{f.counts[o]:>13}" for o in NEGATIVE_OUTCOMES)
        print(f"{kind:<23}{n:>4}  {cells}")


def show_errors(results: list[Result], limit: int) -> None:
    bad = [r for r in results if r.outcome in ("attach_other", "attach_wrong", "missed")]
    for r in bad[:limit]:
        print(f"  {r.outcome} {r.clue.kind} {r.clue.key}: {r.clue.text!r} truth={r.truth}")
        print(f"    attach_to={r.decision.attach_to} score={r.decision.score}")
        for s in r.decision.suggestions:
            print(f"    suggestion {s.problem_id} {s.score} {', '.join(s.reasons)}")


def timing(label: str, results: list[Result]) -> None:
    times = sorted(r.seconds * 1000 for r in results)
    print(
        f"find_duplicates {label}: mean {statistics.fmean(times):.1f} ms, "
        f"p50 {times[len(times) // 2]:.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms, "
        f"max {times[-1]:.1f} ms"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def run(
    backend: str,
    labelled: LabelledSet,
    label: str,
    show: int,
    kinds: tuple[str, ...] = KINDS,
    positive: frozenset[str] = POSITIVE_KINDS,
) -> list[Result]:
    before = load()
    with database(backend) as (url, directory):
        settings = Settings(environment="development", database_url=url, home=directory)
        box = bootstrap(settings, clock=FakeClock(labelled.now))
        try:
            migrate.upgrade(box.engine)
            load_sample_regions(box, directory / "city")
            started = time.perf_counter()
            ids = load_problems(box, labelled)
            loaded = time.perf_counter() - started
            with box.transaction() as session:
                problems = session.scalar(select(func.count()).select_from(Problem))
            print(
                f"\n== {backend}, {label}: {problems} open problems recorded in "
                f"{loaded:.0f} s, {len(labelled.clues)} clues; {before}"
            )
            results = run_clues(box, labelled, ids)
            with box.transaction() as session:
                session.execute(text(INDEX))
                if backend == "postgresql":
                    session.execute(text("ANALYZE problems"))
            indexed = run_clues(box, labelled, ids)
        finally:
            box.close()
    report(tally(results), kinds, positive)
    assert [r.outcome for r in indexed] == [r.outcome for r in results]
    print(f"after: {load()}")
    timing("(the schema as it is)", results)
    timing("(with an index on problems (category, lat))", indexed)
    show_errors(results, show)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1", help="comma-separated, e.g. 1,2,3")
    parser.add_argument("--set", default="facts", choices=("facts", "paraphrase"))
    parser.add_argument("--background", type=int, default=None)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--show", type=int, default=5, help="wrong or missed clues to print")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"jieba's dictionary and the lexicon loaded in {dedupe_text.warm_up():.2f} s")
    for backend in args.backend.split(","):
        if args.set == "paraphrase":
            background = 150 if args.background is None else args.background
            for split in ("tune", "held_out"):
                labelled = paraphrase_set(split=split, background=background)
                run(backend, labelled, split, args.show, PARAPHRASE_KINDS, PARAPHRASE_POSITIVE)
            continue
        everything: list[Result] = []
        for seed in seeds:
            background = 10_000 if args.background is None else args.background
            labelled = labelled_set(seed=seed, background=background)
            everything += run(backend, labelled, f"seed {seed}", args.show)
        if len(seeds) > 1:
            print(f"\n== {backend}, seeds {args.seeds} together")
            report(tally(everything))


if __name__ == "__main__":
    main()
