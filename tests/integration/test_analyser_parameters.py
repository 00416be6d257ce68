"""Analyser parameters (CN=3020) through ``ecoradar ingest`` and the TCP gateway: kept as a
history per point and factor, idempotent, malformed uploads refused with their reason, and an
unexplained re-parameterisation alerted as ``parameter_tampering`` and exported."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.analysers import service as analysers
from ecoradar.analysers.check import run_tampering
from ecoradar.analysers.models import AnalyserParameter
from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.models import Alert
from ecoradar.hj212 import Packet
from ecoradar.hj212.codec import encode
from ecoradar.hj212.gateway import Gateway
from ecoradar.monitoring import service as monitoring
from ecoradar.monitoring.models import RawPacket
from ecoradar.simulate.scenarios_params import Analyser, Params, hour_packet, params_packet
from ecoradar.simulate.traffic import FactorProfile, PointProfile
from tests.factories import GAS_MN, PASSWORD, load_small_registry
from tests.integration.test_gateway import Device, run_gateway, until

runner = CliRunner()
GAS = PointProfile(
    GAS_MN, PASSWORD, "gas", (FactorProfile("a21026", 35, 6), FactorProfile("a21002", 50, 6))
)
ORIGIN = datetime(2026, 10, 1, tzinfo=CHINA_TZ)
CHANGE = ORIGIN + timedelta(days=3, hours=9)
BASE = Params(500.0, ORIGIN - timedelta(days=30), 0.1, 1.0)


@pytest.fixture
def city(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_small_registry(container, tmp_path)
    return container


def story(after: Params | None = None, ratio: float = 1.0) -> Analyser:
    params = [(ORIGIN - timedelta(days=90), BASE)]
    if after is not None:
        params.append((CHANGE, after))
    return Analyser("a21026", "test", params, [(CHANGE, ratio)], {})


def week(analyser: Analyser, days: int = 7) -> list[bytes]:
    """Hourly data and a daily parameter upload at 00:05 China time."""
    frames = []
    for hour in range(days * 24):
        when = ORIGIN + timedelta(hours=hour)
        if hour % 24 == 0:
            frames.append(params_packet(GAS, analyser, when + timedelta(minutes=5)))
        frames.append(hour_packet(GAS, [analyser], when, 1))
    return frames


def ingest(path: Path, frames: list[bytes]) -> str:
    path.write_bytes(b"".join(frames))
    result = runner.invoke(app, ["ingest", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def records(box: Container) -> int:
    with box.transaction() as session:
        return session.scalar(select(func.count()).select_from(AnalyserParameter)) or 0


def alerts(box: Container) -> list[Alert]:
    with box.transaction() as session:
        found = session.scalars(select(Alert).where(Alert.kind == "parameter_tampering"))
        return list(found)


def malformed(answer: bool = False) -> bytes:
    return encode(
        qn="20261001000500000",
        st="31",
        cn="3020",
        pw=PASSWORD,
        mn=GAS_MN,
        flag=5 if answer else 4,
        data_time=ORIGIN,
        cp={"PolId": "a21026"},
        items={"i13008": {"Info": "steep"}},
    )


def test_a_slope_cut_the_readings_follow_is_kept_alerted_and_exported(
    city: Container, tmp_path: Path
) -> None:
    frames = week(story(Params(500.0, BASE.calibrated_at, 0.1, 0.6), ratio=0.6))
    out = ingest(tmp_path / "week.txt", frames)
    assert "stored" in out
    assert records(city) == 7
    with city.transaction() as session:
        point = monitoring.point_by_mn(session=session, mn=GAS_MN)
        history = analysers.history(session=session, point_id=point.id)
        assert [r.slope for r in history][:3] == [0.6, 0.6, 0.6] and history[-1].slope == 1.0
        assert history[0].calibrated_at == BASE.calibrated_at
        assert history[0].info["i13001"] == "500"
    found = alerts(city)
    assert len(found) == 1
    alert = found[0]
    assert (alert.factor, alert.severity, alert.end) == ("a21026", "high", None)
    assert abs(alert.start - CHANGE) <= timedelta(hours=1)
    assert alert.evidence["changes"] == {"slope": [1.0, 0.6]}
    assert alert.evidence["readings"]["verdict"] == "shifted"

    ingest(tmp_path / "again.txt", frames)  # a replay of the same week changes nothing
    assert records(city) == 7
    assert len(alerts(city)) == 1

    result = runner.invoke(
        app, ["alerts", "export", "--kind", "parameter_tampering"], catch_exceptions=False
    )
    exported = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [(e["kind"], e["mn"], e["factor"]) for e in exported] == [
        ("parameter_tampering", GAS_MN, "a21026")
    ]
    assert exported[0]["start"].endswith("+08:00")


def test_a_real_calibration_is_kept_and_raises_nothing(city: Container, tmp_path: Path) -> None:
    calibrated = Params(500.0, CHANGE, 0.1, 0.95)
    ingest(tmp_path / "week.txt", week(story(calibrated, ratio=0.95)))
    assert records(city) == 7
    assert alerts(city) == []


def test_a_malformed_parameter_upload_is_refused_with_its_reason(
    city: Container, tmp_path: Path
) -> None:
    out = ingest(tmp_path / "bad.txt", [malformed()])
    assert "bad_field" in out
    assert records(city) == 0
    with city.transaction() as session:
        raw = session.scalars(select(RawPacket)).one()
    assert (raw.outcome, raw.reason, raw.cn) == ("refused", "bad_field", "3020")
    assert raw.detail is not None and "i13008-Info='steep' is not a number" in raw.detail
    assert GAS_MN in raw.detail


def test_parameters_over_tcp_are_answered_kept_once_and_a_bad_one_refused(
    city: Container,
) -> None:
    frame = params_packet(GAS, story(), ORIGIN + timedelta(minutes=5), needs_answer=True)

    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        answers = []
        for data in (frame, frame, malformed(answer=True)):
            await device.send(data)
            answers.append(await device.frame())
        await until(lambda: records(city) == 1)
        await device.close()
        return answers

    first, again, bad = run_gateway(city, scenario)
    assert (first.cn, again.cn) == ("9014", "9014")
    assert bad.cn == "9011" and bad.cp["QnRtn"] != "1"
    assert records(city) == 1
    with city.transaction() as session:
        outcomes = session.execute(select(RawPacket.outcome, RawPacket.reason)).all()
    assert sorted(outcomes, key=str) == sorted(
        [("stored", None), ("stored", None), ("refused", "bad_field")], key=str
    )


def test_the_scheduler_pass_confirms_a_pending_alert_once_the_readings_come_in(
    city: Container, tmp_path: Path
) -> None:
    frames = week(story(Params(500.0, BASE.calibrated_at, 0.1, 0.6), ratio=0.6))
    report = ORIGIN + timedelta(days=4, minutes=5)  # the first record showing the cut
    cut = next(i for i, f in enumerate(frames) if b"CN=3020" in f and b"i13008-Info=0.6" in f)
    late = {f for f in frames[: cut + 1] if b"CN=2061" in f and b"DataTime=20261004" in f}
    late |= {f for f in frames[: cut + 1] if b"CN=2061" in f and b"DataTime=2026100318" in f}
    first = [f for f in frames[: cut + 1] if f not in late]  # hourly data of 18:00 on is late
    ingest(tmp_path / "first.txt", first)
    [pending] = alerts(city)
    assert (pending.severity, pending.start) == ("medium", report)
    later = [f for f in frames if f in late or (f not in first and b"CN=3020" not in f)]
    ingest(tmp_path / "later.txt", later)
    assert alerts(city)[0].severity == "medium"  # nothing judged it again yet

    done = run_tampering(city)
    assert (done.rejudged, done.high) == (1, 1)
    [confirmed] = alerts(city)
    assert confirmed.id == pending.id and confirmed.severity == "high"
    assert abs(confirmed.start - CHANGE) <= timedelta(hours=1)
