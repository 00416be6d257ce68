"""Detection quality: precision and recall per alert kind on a labeled scenario.

Generates a scenario (ecoradar.simulate.scenarios) into a temporary directory and runs the
command-line contracts as a user would, each as a subprocess with ECORADAR_HOME in that directory
(SQLite): ``ecoradar db upgrade``, ``regions import``, ``registry import``, ``ingest packets.txt``
and ``alerts export --format jsonl``. Then scores the exported alerts against labels.jsonl:
an alert matches a label when mn, kind and factor agree (factor only when the label's is not
null) and their [start, end) intervals overlap (an open alert ends at +infinity).
precision = matched alerts / alerts, recall = matched labels / labels.

Run: .venv/bin/python bench/bench_detection.py [--seed 1] [--points 36] [--days 28]
     [--incidents 12] [--distractors 8] [--chunks N] [--keep DIR]
--chunks N also replays packets.txt split into N files, one ``ecoradar ingest`` each, into a
second database and says whether the exported alerts are the same. Exit status is always 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ecoradar.simulate.scenarios import KINDS, ScenarioFiles, write_scenarios

SHOWN = 10


@dataclass(frozen=True)
class Span:
    """A label or an exported alert: who, what, and its [start, end) (end None = open)."""

    mn: str
    factor: str | None
    kind: str
    start: datetime
    end: datetime | None

    @classmethod
    def of(cls, record: dict[str, object]) -> Span:
        end = record.get("end")
        factor = record.get("factor")
        return cls(
            mn=str(record["mn"]),
            factor=None if factor is None else str(factor),
            kind=str(record["kind"]),
            start=_time(str(record["start"])),
            end=None if end is None else _time(str(end)),
        )

    def key(self) -> tuple[str, str | None, str, datetime, datetime | None]:
        return (self.mn, self.factor, self.kind, self.start, self.end)

    def __str__(self) -> str:
        end = "open" if self.end is None else self.end.isoformat()
        return f"{self.kind} {self.mn} {self.factor or '-'} {self.start.isoformat()} .. {end}"


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without an offset: {text!r}")
    return value


def matches(alert: Span, label: Span) -> bool:
    """Same point and kind, same factor where the label names one, overlapping intervals."""
    if alert.mn != label.mn or alert.kind != label.kind:
        return False
    if label.factor is not None and alert.factor != label.factor:
        return False
    assert label.end is not None
    return alert.start < label.end and (alert.end is None or label.start < alert.end)


@dataclass
class KindScore:
    kind: str
    alerts: int = 0
    labels: int = 0
    matched_alerts: int = 0
    matched_labels: int = 0
    exact: int = 0
    """Matched alerts with exactly the interval of a label they match."""

    @property
    def precision(self) -> float:
        return self.matched_alerts / self.alerts if self.alerts else math.nan

    @property
    def recall(self) -> float:
        return self.matched_labels / self.labels if self.labels else math.nan


@dataclass
class Score:
    kinds: dict[str, KindScore]
    unmatched_alerts: list[Span] = field(default_factory=list)
    unmatched_labels: list[Span] = field(default_factory=list)


def score(labels: Sequence[Span], alerts: Sequence[Span]) -> Score:
    """Precision and recall per kind (every kind of KINDS, and any other kind alerted)."""
    kinds = {k: KindScore(k) for k in (*KINDS, *sorted({s.kind for s in (*labels, *alerts)}))}
    by_point: dict[tuple[str, str], list[Span]] = {}
    for label in labels:
        by_point.setdefault((label.mn, label.kind), []).append(label)
        kinds[label.kind].labels += 1
    matched: set[int] = set()
    result = Score(kinds)
    for alert in alerts:
        kinds[alert.kind].alerts += 1
        hits = [
            label for label in by_point.get((alert.mn, alert.kind), []) if matches(alert, label)
        ]
        if hits:
            kinds[alert.kind].matched_alerts += 1
            kinds[alert.kind].exact += any(
                (h.start, h.end) == (alert.start, alert.end) for h in hits
            )
            matched.update(id(h) for h in hits)
        else:
            result.unmatched_alerts.append(alert)
    for label in labels:
        if id(label) in matched:
            kinds[label.kind].matched_labels += 1
        else:
            result.unmatched_labels.append(label)
    return result


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def report(result: Score) -> str:
    """The table per kind and the first unmatched alerts and labels."""
    lines = [
        f"{'kind':<20} {'alerts':>7} {'labels':>7} {'precision':>10} {'recall':>8} "
        f"{'exact interval':>15}"
    ]
    for kind in result.kinds.values():
        lines.append(
            f"{kind.kind:<20} {kind.alerts:>7} {kind.labels:>7} "
            f"{_percent(kind.precision):>10} {_percent(kind.recall):>8} {kind.exact:>15}"
        )
    for title, spans in (
        ("alerts matching no label", result.unmatched_alerts),
        ("labels matched by no alert", result.unmatched_labels),
    ):
        lines.append(f"{title}: {len(spans)}")
        lines.extend(f"  {s}" for s in spans[:SHOWN])
    return "\n".join(lines)


def read_jsonl(lines: Iterable[str]) -> list[Span]:
    return [Span.of(json.loads(line)) for line in lines if line.strip()]


class CommandFailed(Exception):
    pass


def ecoradar(home: Path, *args: str) -> str:
    """Run ``ecoradar ARGS`` as a subprocess on the SQLite database under ``home``."""
    env = {k: v for k, v in os.environ.items() if k != "ECORADAR_DATABASE_URL"}
    env["ECORADAR_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "ecoradar", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        raise CommandFailed(f"`ecoradar {' '.join(args)}` exited {done.returncode}:\n{tail}")
    return done.stdout


def replay(files: ScenarioFiles, home: Path, packets: Sequence[Path]) -> list[Span]:
    """Load the registry, ingest ``packets`` one ``ecoradar ingest`` each, export the alerts."""
    shutil.rmtree(home, ignore_errors=True)  # a kept directory starts from an empty database
    ecoradar(home, "db", "upgrade")
    ecoradar(home, "regions", "import", str(files.regions))
    ecoradar(
        home,
        "registry",
        "import",
        "--enterprises",
        str(files.enterprises),
        "--points",
        str(files.points),
    )
    began = time.perf_counter()
    for path in packets:
        ecoradar(home, "ingest", str(path))
    print(f"  ingest of {len(packets)} file(s): {time.perf_counter() - began:.1f} s")
    return read_jsonl(ecoradar(home, "alerts", "export", "--format", "jsonl").splitlines())


def split(path: Path, chunks: int, directory: Path) -> list[Path]:
    """``path`` cut into ``chunks`` files of consecutive lines."""
    lines = path.read_bytes().splitlines(keepends=True)
    size = math.ceil(len(lines) / chunks)
    parts = []
    for number in range(chunks):
        part = directory / f"packets.{number + 1:03d}.txt"
        part.write_bytes(b"".join(lines[number * size : (number + 1) * size]))
        parts.append(part)
    return parts


def compare(single: Sequence[Span], chunked: Sequence[Span]) -> str:
    ones, many = {s.key() for s in single}, {s.key() for s in chunked}
    if ones == many:
        return f"chunked replay: identical alert set ({len(ones)} alerts)"
    lines = [f"chunked replay: DIFFERENT ({len(ones)} alerts in one run, {len(many)} chunked)"]
    for title, keys in (("only in one run", ones - many), ("only chunked", many - ones)):
        lines.append(f"  {title}: {len(keys)}")
        lines.extend(f"    {Span(*k)}" for k in sorted(keys, key=str)[:SHOWN])
    return "\n".join(lines)


def run(args: argparse.Namespace, directory: Path) -> None:
    began = time.perf_counter()
    files = write_scenarios(
        directory / "scenario",
        seed=args.seed,
        points=args.points,
        days=args.days,
        incidents=args.incidents,
        distractors=args.distractors,
    )
    labels = read_jsonl(files.labels.read_text(encoding="utf-8").splitlines())
    packets = sum(1 for _ in files.packets.open("rb"))
    print(
        f"scenario: seed {args.seed}, {args.points} points, {args.days} days, {packets} packets, "
        f"{len(labels)} labels ({time.perf_counter() - began:.1f} s) in {files.directory}"
    )
    try:
        alerts = replay(files, directory / "home", [files.packets])
    except CommandFailed as exc:
        print(f"cannot score: {exc}")
        return
    print(report(score(labels, alerts)))
    if args.chunks > 1:
        parts = split(files.packets, args.chunks, directory)
        try:
            chunked = replay(files, directory / "home-chunked", parts)
        except CommandFailed as exc:
            print(f"chunked replay failed: {exc}")
            return
        print(compare(alerts, chunked))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--points", type=int, default=36)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--incidents", type=int, default=12, help="incidents per kind")
    parser.add_argument("--distractors", type=int, default=8, help="distractors per type")
    parser.add_argument("--chunks", type=int, default=0, help="also replay in N files")
    parser.add_argument("--keep", type=Path, help="work in DIR (kept) instead of a temp dir")
    args = parser.parse_args()
    try:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            run(args, args.keep)
        else:
            with tempfile.TemporaryDirectory(prefix="ecoradar-bench-") as tmp:
                run(args, Path(tmp))
    except Exception as exc:  # a benchmark reports, it does not fail
        print(f"benchmark error: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
