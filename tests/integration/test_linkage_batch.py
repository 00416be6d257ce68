"""Batch jobs over history (issue 17, item 6): the hotspot job written once runs on DuckDB and
on Spark in local mode, from a frame or from Parquet files, and gives day by day the very hot
neighbourhoods the live search finds on the same events; ``ecoradar linkage batch`` reads the
database's findings."""

from __future__ import annotations

import gc
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.linkage import batch
from ecoradar.linkage.hotspots_rules import Event, hot
from tests.integration.linkage_support import seed_cluster, town
from tests.unit.test_hotspots_rules import NOW, cluster, noise

__all__ = ["town"]  # a fixture

LAST = batch.day_number(NOW)
DAYS = [batch.ORIGIN + timedelta(days=d) for d in range(LAST - 20, LAST + 1)]


def history() -> list[Event]:
    """Nine weeks of noise, a cluster in the last three days and one two weeks before."""
    rng = random.Random(3)
    earlier = [
        Event(e.lat, e.lon, e.at - timedelta(days=14), e.category, e.source)
        for e in cluster(rng, 9, 2000, 3000)
    ]
    return noise(rng) + cluster(rng, 10, 8000, 12000) + earlier


def live(events: list[Event], day: date) -> list[object]:
    return list(hot(events, batch.day_start((day - batch.ORIGIN).days))[0])


def test_the_job_on_duckdb_finds_day_by_day_what_the_live_search_finds(tmp_path: Path) -> None:
    events = history()
    frame = batch.events_frame(events)
    found = batch.run_hotspots(batch.connect("duckdb"), frame, DAYS)
    assert [d.day for d in found] == DAYS
    assert sum(1 for d in found if d.hot) >= 8  # both clusters, each for days
    for day in found:
        assert day.hot == live(events, day.day), day.day
    parquet = tmp_path / "events.parquet"
    frame.to_parquet(parquet, index=False)
    from_files = batch.run_hotspots(batch.connect("duckdb"), str(parquet), DAYS)
    assert from_files == found


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_same_job_runs_on_spark_in_local_mode(spark: object, tmp_path: Path) -> None:
    """(PySpark 4.0 leaves the socket it collects results through to the garbage collector:
    its warning is collected and let pass here, not in a later test.)"""
    events = history()
    frame = batch.events_frame(events)
    on_duckdb = batch.run_hotspots(batch.connect("duckdb"), frame, DAYS)
    on_spark = batch.run_hotspots(spark, frame, DAYS)  # type: ignore[arg-type]
    assert on_spark == on_duckdb
    assert any(day.hot for day in on_spark)
    parquet = tmp_path / "events.parquet"
    frame.to_parquet(parquet, index=False)
    assert batch.run_hotspots(spark, str(parquet), DAYS[-3:]) == on_duckdb[-3:]  # type: ignore[arg-type]
    assert not (Path.cwd() / "spark-warehouse").exists()
    gc.collect()


def test_the_command_counts_the_databases_findings_like_the_live_search(
    town: Container, tmp_path: Path
) -> None:
    now = town.clock.now()
    seed_cluster(town, now)
    today = now.date() + timedelta(days=1)  # the search as of the coming midnight
    exported = tmp_path / "events.parquet"
    result = CliRunner().invoke(
        app,
        ["linkage", "batch", "--from", (today - timedelta(days=2)).isoformat(),
         "--to", today.isoformat(), "--export-events", str(exported)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and {line["day"] for line in lines} <= {
        (today - timedelta(days=n)).isoformat() for n in range(3)
    }
    from ecoradar.linkage import hotspots as service

    with town.reading() as session:
        events = service.events(session, now - timedelta(days=70), now + timedelta(days=1))
    expected = live(events, today)
    assert [line for line in lines if line["day"] == today.isoformat()] == [
        {"day": today.isoformat(), "centre": n.centre, "count": n.count, "usual": n.usual,
         "expected": n.expected, "p_value": n.p_value}
        for n in expected  # type: ignore[attr-defined]
    ]  # fmt: skip
    again = CliRunner().invoke(
        app,
        ["linkage", "batch", "--from", today.isoformat(), "--to", today.isoformat(),
         "--events", str(exported)],
        catch_exceptions=False,
    )  # fmt: skip
    assert again.stdout.splitlines() == [
        line for line in result.stdout.splitlines() if today.isoformat() in line
    ]
    refused = CliRunner().invoke(
        app, ["linkage", "batch", "--from", "2026-13-01", "--to", "2026-12-01"]
    )
    assert refused.exit_code == 1 and "from: '2026-13-01' is not a day" in refused.stderr
