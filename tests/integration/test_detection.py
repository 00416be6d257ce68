"""Detection on the intake path: alerts stored with the data, the same however it is replayed."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.detection.models import Alert
from ecoradar.hj212.codec import encode
from ecoradar.hj212.packet import Edition, flag_for, make_qn
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.pipeline import Intake
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, load_small_registry

runner = CliRunner()
T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)
H = timedelta(hours=1)


def noise(i: int, base: float, spread: float, salt: str) -> float:
    return round(base + random.Random(f"{salt}{i}").uniform(-spread, spread), 3)


def packet(mn: str, i: int, *, so2: float | None = None, when: datetime | None = None) -> bytes:
    value = so2 if so2 is not None else noise(i, 15, 5, mn + "s")
    return encode(
        st="31",
        cn="2061",
        pw=PASSWORD,
        mn=mn,
        qn=make_qn(T0 + i * H),
        flag=flag_for(Edition.V2017),
        data_time=when or T0 + i * H,
        items={
            "a21026": {"Avg": f"{value * 0.8:.3f}", "ZsAvg": f"{value:.3f}", "Flag": "N"},
            "a21002": {"Avg": f"{noise(i, 30, 5, mn + 'n'):.3f}", "Flag": "N"},
            "a00000": {"Avg": f"{noise(i, 50, 3, mn + 'f'):.3f}", "Flag": "N"},
            "a19001": {"Avg": f"{noise(i, 9, 0.5, mn + 'o'):.3f}", "Flag": "N"},
        },
    ).rstrip(b"\r\n")


def capture(hours: int = 60, skip_open: range = range(0)) -> list[bytes]:
    """Two devices, hour by hour as a capture would hold them: GAS_MN exceeds at hours 10-12;
    OPEN_MN is silent in ``skip_open``."""
    frames = []
    for i in range(hours):
        frames.append(packet(GAS_MN, i, so2=40.0 if 10 <= i < 13 else None))
        if i not in skip_open:
            frames.append(packet(OPEN_MN, i))
    return frames


@pytest.fixture
def city(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_small_registry(container, tmp_path)
    return container


def replay(box: Container, frames: list[bytes], chunks: int = 1) -> None:
    size = -(-len(frames) // chunks)
    for start in range(0, len(frames), size):
        Intake(box).run([(f, "test") for f in frames[start : start + size]], batch_size=7)


def exported(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["alerts", "export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def summary(alerts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (a["mn"], a["factor"] or "", a["kind"], a["start"], a["end"] or "") for a in alerts
    )


def test_an_exceedance_in_replayed_data_is_exported_with_its_evidence(city: Container) -> None:
    replay(city, capture())
    (alert,) = exported()
    assert alert["mn"] == GAS_MN and alert["kind"] == "exceedance" and alert["factor"] == "a21026"
    assert (
        alert["start"] == "2026-03-02T10:00:00+08:00"
        and alert["end"] == "2026-03-02T13:00:00+08:00"
    )
    assert alert["enterprise_code"] and alert["severity"] == "low"
    assert alert["evidence"]["limit"] == 35.0 and len(alert["evidence"]["values"]) == 3


def test_many_small_replays_give_the_alerts_of_one(city: Container, container: Container) -> None:
    frames = capture(skip_open=range(20, 26))
    replay(city, frames, chunks=9)
    chunked = summary(exported())
    assert ("exceedance", "offline") == tuple(sorted({a[2] for a in chunked}))
    assert chunked == sorted(chunked)
    # the same capture replayed again changes nothing: no alert is raised twice
    replay(city, frames, chunks=4)
    assert summary(exported()) == chunked


def test_replaying_old_data_does_not_declare_devices_offline_since_then(city: Container) -> None:
    replay(city, capture(hours=30))
    assert [a for a in exported() if a["kind"] == "offline"] == []


def test_a_device_silent_at_the_end_of_a_replay_is_open_offline_until_it_returns(
    city: Container,
) -> None:
    frames = capture(hours=30, skip_open=range(25, 30))
    replay(city, frames)
    (offline,) = exported("--kind", "offline")
    assert offline["mn"] == OPEN_MN and offline["factor"] is None and offline["end"] is None
    assert offline["start"] == "2026-03-03T01:00:00+08:00"
    replay(city, [packet(GAS_MN, 30), packet(OPEN_MN, 31)])
    (offline,) = exported("--kind", "offline")
    assert offline["end"] == "2026-03-03T07:00:00+08:00"


def test_a_restart_continues_an_open_alert_instead_of_raising_another(city: Container) -> None:
    frames = [packet(GAS_MN, i, so2=40.0 if i >= 5 else None) for i in range(8)]
    replay(city, frames[:6])
    (first,) = exported()
    assert first["end"] is None
    replay(city, frames[6:] + [packet(GAS_MN, 8)])  # a new process: state from the store
    (alert,) = exported()
    assert alert["id"] == first["id"] and alert["end"] == "2026-03-02T08:00:00+08:00"


def test_a_retransmission_with_other_values_is_a_time_anomaly(city: Container) -> None:
    frames = [packet(GAS_MN, i) for i in range(6)]
    replay(city, frames + [frames[3]])  # identical copy: nothing
    assert exported() == []
    replay(city, [packet(GAS_MN, 3, so2=22.2)])
    (alert,) = exported()
    assert alert["kind"] == "time_anomaly" and alert["factor"] is None
    assert alert["start"] == "2026-03-02T03:00:00+08:00"
    assert alert["evidence"]["condition"] == "retransmission_changed"


def test_a_datatime_in_the_future_is_a_time_anomaly_and_its_values_are_held_back(
    city: Container,
) -> None:
    frames = capture(hours=6)  # two devices: the other one's clock tells what "now" is
    future = packet(GAS_MN, 99)
    replay(city, frames[:8] + [future] + frames[8:])
    (alert,) = exported()
    assert (
        alert["kind"] == "time_anomaly" and alert["evidence"]["condition"] == "datatime_in_future"
    )
    result = runner.invoke(app, ["measurements", "export", "--mn", GAS_MN], catch_exceptions=False)
    times = {json.loads(line)["data_time"] for line in result.stdout.splitlines()}
    assert len(times) == 6  # the future hour was archived, not stored as data


def test_export_filters_by_kind_and_time_and_writes_csv(city: Container) -> None:
    replay(city, capture(skip_open=range(40, 50)))
    assert {a["kind"] for a in exported("--kind", "offline")} == {"offline"}
    assert exported("--since", "2026-03-05T00:00") == []
    result = runner.invoke(app, ["alerts", "export", "--format", "csv"], catch_exceptions=False)
    lines = result.stdout.splitlines()
    assert lines[0] == "id,mn,enterprise_code,factor,kind,start,end,severity,evidence"
    assert len(lines) == 3
    result = runner.invoke(app, ["alerts", "export", "--kind", "nonsense"])
    assert result.exit_code == 1 and "--kind 'nonsense' is not one of" in result.stderr


def test_every_device_missing_the_same_hours_is_an_outage_not_a_clock_ahead(
    city: Container,
) -> None:
    frames = [
        packet(mn, i)
        for i in range(30)
        if not 20 <= i < 22  # the platform was down for two hours
        for mn in (GAS_MN, OPEN_MN)
    ]
    replay(city, frames)
    assert exported() == []
    result = runner.invoke(app, ["measurements", "export", "--mn", OPEN_MN], catch_exceptions=False)
    assert len({json.loads(line)["data_time"] for line in result.stdout.splitlines()}) == 28


def tune(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["alerts", "tune", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_thresholds_can_be_tuned_per_factor_and_take_effect(city: Container) -> None:
    status, out, err = tune("--mn", GAS_MN, "--factor", "a21026", "flatline_hours=8")
    assert status == 0, err
    assert json.loads(out) == {"flatline_hours": 8}
    frames = [
        packet(mn, i, so2=20.123 if 3 <= i < 10 else None)
        for i in range(14)
        for mn in (GAS_MN, OPEN_MN)
    ]
    replay(city, frames)  # 7 identical hours: an alert by default, not with 8
    assert [a["mn"] for a in exported("--kind", "flatline")] == [OPEN_MN]
    assert json.loads(tune("--mn", GAS_MN, "--factor", "a21026", "flatline_hours=")[1]) == {}


def test_tuning_refuses_unknown_names_values_and_places(city: Container) -> None:
    assert tune("--mn", GAS_MN, "no_such_threshold=3")[0] == 1
    status, _, err = tune("--mn", GAS_MN, "zero_hours=three")
    assert status == 1 and "three" in err
    status, _, err = tune("--mn", GAS_MN, "--factor", "w01018", "zero_hours=4")
    assert status == 1 and "no limit for factor 'w01018'" in err
    status, _, err = tune("--mn", "NOPE", "zero_hours=4")
    assert status == 1 and "no monitoring point with MN 'NOPE'" in err
    assert json.loads(tune("--mn", GAS_MN)[1]) == {}


def archive_and_alerts(box: Container) -> tuple[list[Any], list[Any], list[Any]]:
    with box.transaction() as session:
        raws = session.execute(
            select(
                RawPacket.mn,
                RawPacket.cn,
                RawPacket.qn,
                RawPacket.data_time,
                RawPacket.point_id,
                RawPacket.outcome,
                RawPacket.reason,
                RawPacket.detail,
                RawPacket.size,
                RawPacket.raw,
            ).order_by(RawPacket.id)
        ).all()
        values = session.execute(
            select(Measurement).order_by(
                Measurement.point_id, Measurement.factor, Measurement.data_time
            )
        ).scalars()
        rows = [
            (m.point_id, m.factor, m.kind, m.data_time, m.avg, m.zs_avg, m.rtd, m.flag)
            for m in values
        ]
        alerts = session.execute(
            select(
                Alert.point_id, Alert.factor, Alert.kind, Alert.start, Alert.end, Alert.severity
            ).order_by(Alert.point_id, Alert.kind, Alert.factor, Alert.start)
        ).all()
    return list(raws), rows, list(alerts)


def forget_everything(box: Container) -> None:
    with box.transaction() as session:
        for model in (Alert, Measurement, RawPacket):
            session.execute(delete(model))


def test_judging_in_a_second_process_stores_and_alerts_exactly_as_judging_here(
    city: Container,
) -> None:
    frames = capture(hours=40, skip_open=range(20, 26))
    frames.insert(30, packet(GAS_MN, 99))  # a clock ahead: held back
    frames.insert(50, frames[12])  # a retransmission
    frames.insert(51, b"##0000garbage")

    def run(parallel_from: int | None) -> tuple[list[Any], list[Any], list[Any]]:
        Intake(city).run([(f, "test") for f in frames], batch_size=7, parallel_from=parallel_from)
        return archive_and_alerts(city)

    here = run(None)
    forget_everything(city)
    there = run(0)
    assert there == here
    raws, rows, alerts = here
    assert ("quarantined", "future_datatime") in {(r.outcome, r.reason) for r in raws}
    assert {a.kind for a in alerts} == {"exceedance", "offline", "time_anomaly"}
    assert len(rows) == 4 * (2 * 40 - 6)
