"""``parameter_tampering``: precision, recall and F1 on labelled parameter scenarios.

For each seed, ``ecoradar.simulate.scenarios_params`` writes a city whose analysers report their
parameters daily (CN=3020), a third of them tampered with (slope cut, readings dropping with
it) and the rest honest look-alikes (real calibrations, maintenance, drift, nothing). The
command-line contracts run as a user would run them (``ecoradar db upgrade``, ``regions
import``, ``registry import``, ``ingest``, ``alerts export --kind parameter_tampering``, SQLite,
subprocesses), and the exported alerts are scored against the labels as
``bench/bench_detection.py`` scores them (same point, kind and factor, overlapping intervals).

The rule's constants were set on seed 1; the default seeds 2-6 were not looked at before.

Run: .venv/bin/python bench/bench_tampering.py [--seeds 2 3 4 5 6] [--points 30] [--days 21]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from bench_detection import Span, ecoradar, read_jsonl, report, score

from ecoradar.simulate.scenarios_params import KIND, write_param_scenario


def run_seed(seed: int, points: int, days: int, directory: Path) -> tuple[int, int, int, int]:
    files = write_param_scenario(directory / f"s{seed}", seed=seed, points=points, days=days)
    home = directory / f"home{seed}"
    ecoradar(home, "db", "upgrade")
    ecoradar(home, "regions", "import", str(files.regions))
    ecoradar(
        home, "registry", "import", "--enterprises", str(files.enterprises),
        "--points", str(files.points),
    )  # fmt: skip
    ecoradar(home, "ingest", str(files.packets))
    exported = ecoradar(home, "alerts", "export", "--format", "jsonl", "--kind", KIND)
    alerts = read_jsonl(exported.splitlines())
    labels: list[Span] = read_jsonl(files.labels.read_text().splitlines())
    result = score(labels, alerts)
    print(f"seed {seed}:")
    print(report(result))
    kind = result.kinds[KIND]
    return kind.alerts, kind.matched_alerts, kind.labels, kind.matched_labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 3, 4, 5, 6])
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--days", type=int, default=21)
    args = parser.parse_args()
    totals = [0, 0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            counts = run_seed(seed, args.points, args.days, Path(tmp))
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
    alerts, matched_alerts, labels, matched_labels = totals
    precision = matched_alerts / alerts if alerts else math.nan
    recall = matched_labels / labels if labels else math.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else math.nan
    print(
        f"\n{KIND}, seeds {' '.join(map(str, args.seeds))}: alerts {alerts}, labels {labels}, "
        f"precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}"
    )


if __name__ == "__main__":
    main()
