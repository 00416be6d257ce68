"""A replay whose batch fails to be written: nothing is doubled or lost, no detection state
runs ahead of the store, and the alerts are those of the data. On PostgreSQL the batch is
written by a thread of its own while detection folds the next one
(``Intake._run_overlapped``), so the state has run a batch ahead of the store when the write
fails; on SQLite the batches go one after the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.engine import load_configs, stored_hours
from ecoradar.detection.models import Alert
from ecoradar.monitoring import pipeline
from ecoradar.monitoring.models import Measurement
from ecoradar.monitoring.pipeline import Intake
from ecoradar.simulate.traffic import FactorProfile, PointProfile, hourly_series
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, load_small_registry

START = datetime(2026, 11, 1, 0, tzinfo=UTC)
HOURS = 240
BATCH = 16
FIRST = 4 * BATCH
"""Hours of the first device; the second device's follow (a capture sorted by device)."""


def loud(mn: str) -> PointProfile:
    return PointProfile(
        mn,
        PASSWORD,
        "gas",
        (FactorProfile("a21026", 35, 6), FactorProfile("a21002", 50, 6)),
        excess=0.08,  # exceedances now and then: alerts to get right
        falsify=0.15,  # and flatlines or pinning
    )


def frames() -> list[tuple[bytes, str]]:
    first = hourly_series(loud(GAS_MN), START, FIRST, seed=5)
    second = hourly_series(loud(OPEN_MN), START, HOURS - FIRST, seed=6)
    return [(f.rstrip(b"\r\n"), "test") for f in first + second]


def alerts(box: Container) -> list[tuple[str, str, datetime, datetime | None]]:
    with box.reading() as session:
        rows = session.execute(select(Alert.kind, Alert.factor, Alert.start, Alert.end)).all()
    return sorted((kind, factor, start, end) for kind, factor, start, end in rows)


def folded_from_the_store(box: Container) -> list[tuple[str, str, datetime, datetime | None]]:
    """What the fold finds over the stored hours, one after the other: the alerts to expect."""
    with box.reading() as session:
        configs = load_configs(session)
        records = stored_hours(session, list(configs), START - timedelta(days=1))
    final: dict[tuple[str, str, datetime], datetime | None] = {}
    for point_id, series in records.items():
        state = PointState(configs[point_id])
        for record in series:
            for span in update(state, record):
                final[(span.kind, span.factor, span.start)] = span.end
    return sorted((kind, factor, start, end) for (kind, factor, start), end in final.items())


def test_a_batch_that_fails_to_be_written_is_stored_once_when_the_replay_is_run_again(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_small_registry(container, tmp_path)
    written = pipeline.write_prepared
    calls = {"n": 0}

    def failing(session: Any, prepared: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the disk went away")
        return written(session, prepared)

    monkeypatch.setattr(pipeline, "write_prepared", failing)
    sent = frames()
    per_hour = sent[0][0].count(b"-Avg=")  # values an hour
    intake = Intake(container)
    with pytest.raises(RuntimeError, match="the disk went away"):
        intake.run(sent, batch_size=BATCH)
    with container.reading() as session:
        kept = session.scalar(select(func.count()).select_from(Measurement))
        newest = dict(
            session.execute(
                select(Measurement.point_id, func.max(Measurement.data_time)).group_by(
                    Measurement.point_id
                )
            ).all()
        )
    assert kept == 3 * BATCH * per_hour  # the three batches before it
    assert intake.detection is not None
    for point_id, state in intake.detection.states.items():  # no state ahead of the store
        stored_last = newest.get(point_id)
        assert state.last is None or (stored_last is not None and state.last <= stored_last)
    monkeypatch.setattr(pipeline, "write_prepared", written)

    summary = intake.run(sent, batch_size=BATCH)  # the same process runs it again
    assert summary.rows_inserted == (HOURS - 3 * BATCH) * per_hour
    with container.reading() as session:
        assert session.scalar(select(func.count()).select_from(Measurement)) == HOURS * per_hour
        stored = session.scalar(select(func.max(Measurement.data_time)))
    assert stored == START + timedelta(hours=HOURS - FIRST - 1)
    found = alerts(container)
    silent = [a for a in found if a[0] == "offline" and a[3] is None]  # the replay's last sweep
    assert silent == [("offline", "", START + timedelta(hours=FIRST), None)]  # the first device
    assert {kind for kind, _, _, _ in found} >= {"exceedance"}
    assert [a for a in found if a not in silent] == folded_from_the_store(container)
