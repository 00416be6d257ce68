"""The power history pass as an engine job (issue 17, item 6): ``treatment_idle`` written once
as an Ibis expression finds on DuckDB, from a frame or Parquet files, and on Spark in local mode
the very episodes the live rules find on the same curves (random curves with drop-outs, slow
meters, two-meter facilities); ``ecoradar power batch`` reads the database's readings and
prints what ``ecoradar power detect`` stored."""

from __future__ import annotations

import gc
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app as cli
from ecoradar.core.engines import connect
from ecoradar.power import batch, rules
from ecoradar.registry.models import Enterprise
from ecoradar.web.app import create_app
from tests.integration.power_support import (
    E2,
    MIN,
    items,
    load_power,
    power_token,
    stored_episodes,
)

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
START, END = T0, T0 + timedelta(days=2)
METERS = [
    rules.Meter("A-P1", "L1", "production", 200, 60, 20),
    rules.Meter("A-P2", "L2", "production", 200, 60, 20, timedelta(minutes=5)),
    rules.Meter("A-T1", "TF1", "treatment", 100, 30, 10),
    rules.Meter("A-T2", "TF1", "treatment", 100, 30, 10, timedelta(minutes=2)),
    rules.Meter("B-P1", "L1", "production", 150, 50, 15),
    rules.Meter("B-T1", "WT1", "treatment", 80, 24, 8, timedelta(minutes=15)),
]
ROLES = [
    batch.Role("EA", "TF1", "A-P1", "production"),
    batch.Role("EA", "TF1", "A-P2", "production"),
    batch.Role("EA", "TF1", "A-T1", "treatment"),
    batch.Role("EA", "TF1", "A-T2", "treatment"),
    batch.Role("EB", "WT1", "B-P1", "production"),
    batch.Role("EB", "WT1", "B-T1", "treatment"),
]
LEVELS = (0.5, 1.0, 5.0, 9.0, 20.0, 40.0, 150.0)


def history(seed: int) -> list[tuple[str, datetime, float]]:
    """Each meter's power stepping between levels now and then; readings lost (1 in 30) and
    meters silent for a while (1 in 100 steps)."""
    rng = random.Random(seed)
    found = []
    for meter in METERS:
        at, kw = START - timedelta(hours=1), 100.0
        while at < END + timedelta(hours=1):
            if rng.random() < 0.01 * meter.interval / MIN:
                kw = rng.choice(LEVELS)
            if rng.random() > 1 / 30:
                found.append((meter.code, at, kw))
            silent = rng.random() < 0.01
            at += meter.interval * (rng.choice((3, 5, 40)) if silent else 1)
    return found


def live(readings: list[tuple[str, datetime, float]]) -> list[batch.Episode]:
    return batch.live_idle(METERS, ROLES, readings, START, END)


def on_engine(backend: Any, readings: Any) -> list[batch.Episode]:
    return batch.run_idle(
        backend, readings, batch.meters_frame(METERS), batch.roles_frame(ROLES), START, END
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_job_on_duckdb_finds_the_episodes_the_live_rules_find(
    seed: int, tmp_path: Path
) -> None:
    readings = history(seed)
    expected = live(readings)
    assert expected  # the curves do hold episodes, of both facilities over the seeds
    frame = batch.readings_frame(readings)
    found = on_engine(connect("duckdb"), frame)
    assert found == expected
    parquet = tmp_path / "readings.parquet"
    frame.to_parquet(parquet, index=False)
    assert on_engine(connect("duckdb"), str(parquet)) == expected


def test_the_facilities_and_both_states_are_covered_by_the_random_curves() -> None:
    found = [e for seed in (1, 2, 3, 4) for e in live(history(seed))]
    assert {e.enterprise for e in found} == {"EA", "EB"}
    assert {e.state for e in found} == {"off", "idle"}
    assert min(e.minutes for e in found) >= 30


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_same_job_runs_on_spark_in_local_mode(spark: object, tmp_path: Path) -> None:
    """(PySpark 4.0 leaves the socket it collects results through to the garbage collector:
    its warning is collected and let pass here, not in a later test.)"""
    readings = history(2)
    frame = batch.readings_frame(readings)
    assert on_engine(spark, frame) == live(readings)
    parquet = tmp_path / "readings.parquet"
    frame.to_parquet(parquet, index=False)
    assert on_engine(spark, str(parquet)) == live(readings)
    assert not (Path.cwd() / "spark-warehouse").exists()
    gc.collect()


def test_the_command_prints_what_the_live_pass_stored(
    container: Container, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    load_power(container, tmp_path)
    client = TestClient(create_app(container))
    headers = {"Authorization": f"Bearer {power_token(container)}"}
    start = container.clock.now() - 200 * MIN
    fan = [50.0] * 20 + [5.0] * 40 + [50.0] * 30 + [0.0] * 35 + [None] * 10 + [0.0] * 45
    batch_readings = (
        items("P1", start, [150.0] * 180)
        + items("T1", start, fan)
        + items("P2", start, [100.0] * 180)
        + items("T2", start, [0.0] * 29 + [30.0] + [0.0] * 150)
    )
    answer = client.post("/api/power/readings", json={"readings": batch_readings}, headers=headers)
    assert answer.status_code == 200, answer.text
    with container.reading() as session:
        codes = dict(session.execute(select(Enterprise.id, Enterprise.code)).all())
    stored = sorted(
        (
            (codes[e.enterprise_id], e.subject, e.start, e.end, e.state)
            for e in stored_episodes(container)
            if e.rule == "treatment_idle"
        ),
        key=lambda x: (x[0], x[1], x[2]),
    )
    assert len(stored) == 4  # 40 idle, 35 off (then a drop-out), 45 off; 150 off at E2
    exported = tmp_path / "readings.parquet"
    since, until = (start - timedelta(hours=1)).isoformat(), container.clock.now().isoformat()
    command = ["power", "batch", "--from", since, "--to", until]
    result = CliRunner().invoke(cli, [*command, "--export-readings", str(exported)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    printed = [
        (
            x["enterprise_code"],
            x["subject"],
            datetime.fromisoformat(x["start"]),
            datetime.fromisoformat(x["end"]),
            x["state"],
        )
        for x in lines
    ]
    assert printed == stored
    again = CliRunner().invoke(cli, [*command, "--readings", str(exported), "--enterprise", E2])
    assert again.exit_code == 0 and [json.loads(x) for x in again.stdout.splitlines()] == [
        x for x in lines if x["enterprise_code"] == E2
    ]
    refused = CliRunner().invoke(cli, [*command, "--engine", "flink"])
    assert refused.exit_code != 0 and "--engine" in refused.output
