"""The detector fold compiled (mypyc, ``setup.py``) and as Python source find the same alerts,
and an edited source is never shadowed by an old build.

Run as a module (``python -m tests.unit.detection.test_fold_builds``) it prints, as JSON, every
span the fold gives on a long stream of hand-made hours with every kind of trouble in it.
"""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ecoradar.detection
from ecoradar.detection import compiled
from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.params import HourRecord
from tests.unit.detection.test_detectors import GAS, T0, WATER, H, gas_hour, noise, water_hour

ROOT = Path(__file__).resolve().parents[3]


def troubled_gas(hours: int, seed: int) -> list[HourRecord]:
    """Gas hours with stretches of every trouble the rules look for, and gaps."""
    rng = random.Random(seed)
    records: list[HourRecord] = []
    i = 0
    while i < hours:
        trouble = rng.choice(
            ["plain"] * 6 + ["flat", "zero", "over", "pin", "copy", "calm", "neg", "t", "o2", "gap"]
        )
        length = rng.randint(1, 30)
        for k in range(length):
            n = i + k
            if trouble == "flat":
                record = gas_hour(n, 21.5)
            elif trouble == "zero":
                record = gas_hour(n, 0.0)
            elif trouble == "over":
                record = gas_hour(n, noise(n, 60.0, 10.0))
            elif trouble == "pin":
                record = gas_hour(n, noise(n, 32.0, 0.6))
            elif trouble == "copy" and n >= 48:
                source = records[-min(len(records), 36)]
                record = HourRecord(T0 + n * H, dict(source.readings))
            elif trouble == "calm":
                record = gas_hour(n, round(18.0 + 0.001 * (k % 7), 3))
            elif trouble == "neg":
                record = gas_hour(n, -noise(n, 2.0, 1.0))
            elif trouble == "t":
                record = gas_hour(n, noise(n, 120.0, 5.0), flag="T")
            elif trouble == "o2":
                record = gas_hour(n, noise(n, 15.0, 3.0), o2=20.9 if k % 2 else 19.5)
            elif trouble == "gap":
                continue
            else:
                record = gas_hour(n, noise(n, 15.0, 8.0), flag=rng.choice("NNNNNNNNMCS"))
            records.append(record)
        i += length
    return records


def troubled_water(hours: int, seed: int) -> list[HourRecord]:
    rng = random.Random(seed)
    records = []
    for n in range(hours):
        day = n // 24
        base = 70.0 if day % 9 == 4 else 30.0
        cod = 35.0 if day % 11 == 7 else noise(n, base, 10.0, "cod")
        records.append(water_hour(n, cod, flag=rng.choice("NNNNNNNNNNNM")))
    return records


def spans() -> list[dict[str, Any]]:
    out = []
    for config, records in (
        (GAS, troubled_gas(3000, 1)),
        (GAS, troubled_gas(3000, 2)),
        (WATER, troubled_water(1500, 3)),
    ):
        state = PointState(config)
        for record in records:
            for span in update(state, record):
                out.append(
                    {
                        "point": config.mn,
                        "kind": span.kind,
                        "factor": span.factor,
                        "start": span.start.isoformat(),
                        "end": span.end.isoformat() if span.end else None,
                        "severity": span.severity,
                        "evidence": span.evidence,
                    }
                )
    return out


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def test_compiled_and_source_folds_find_the_same_alerts() -> None:
    here = spans()
    env = {**os.environ, compiled.FORCE_PURE: "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.detection.test_fold_builds"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    pure = json.loads(done.stdout.splitlines()[-1])
    assert pure["build"] == "pure"
    kinds = {s["kind"] for s in here}
    assert len(kinds) >= 9, kinds  # the stream has most kinds of trouble in it
    assert len(here) > 500
    assert [_json(s) for s in pure["spans"]] == [_json(s) for s in here]


def test_the_built_fold_is_the_one_in_use() -> None:
    """When the install compiled the fold (a stamp is there), it is used: the figures in the
    README are the compiled fold's."""
    if not (compiled.HERE / compiled.STAMP).exists():
        pytest.skip("the fold was not compiled here (no C compiler when it was installed)")
    assert ecoradar.detection.FOLD_BUILD == compiled.in_use() == "compiled"
    assert compiled.stale(compiled.HERE) == []


def test_setup_compiles_the_modules_the_guard_checks() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text())
    fold = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FOLD"
    )
    assert ast.literal_eval(fold) == compiled.FOLD


def test_the_stream_reads_measurement_rows_where_the_intake_puts_their_values() -> None:
    from ecoradar.detection import stream
    from ecoradar.monitoring import intake

    for name in ("ROW_FACTOR", "ROW_RTD", "ROW_AVG", "ROW_ZS_AVG", "ROW_FLAG"):
        assert getattr(stream, name) == getattr(intake, name), name


def test_an_edited_source_makes_its_build_stale(tmp_path: Path) -> None:
    modules = ("alpha", "beta")
    for m in modules:
        (tmp_path / f"{m}.py").write_text(f"NAME = {m!r}\n")
    assert compiled.stale(tmp_path, modules) == []  # nothing built: nothing stale
    for m in modules:
        (tmp_path / f"{m}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    assert compiled.stale(tmp_path, modules) == ["alpha", "beta"]  # built, but no stamp
    stamp = compiled.digests(tmp_path, modules)
    (tmp_path / compiled.STAMP).write_text(json.dumps(stamp))
    assert compiled.stale(tmp_path, modules) == []
    (tmp_path / "beta.py").write_text("NAME = 'changed'\n")
    assert compiled.stale(tmp_path, modules) == ["beta"]


if __name__ == "__main__":
    print(json.dumps({"build": compiled.in_use(), "spans": spans()}, default=str))
