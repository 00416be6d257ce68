"""Replaying captured packets with ``ecoradar ingest`` and reading them back out."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.hj212.codec import encode
from ecoradar.hj212.crc import crc16_modbus_as_sent
from ecoradar.hj212.packet import Edition, flag_for
from ecoradar.monitoring import service
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.store import STAGED_AFTER_CONFLICT
from ecoradar.registry.models import MonitoringPoint
from ecoradar.simulate.traffic import (
    CN_HOUR,
    FactorProfile,
    PointProfile,
    data_packet,
    hourly_series,
)
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, load_small_registry
from tests.shared_data import example_packets, hj212_path

runner = CliRunner()
HOUR = datetime(2026, 11, 1, 0, tzinfo=UTC)
GAS = PointProfile(
    GAS_MN, PASSWORD, "gas", (FactorProfile("a21026", 35, 6), FactorProfile("a21002", 50, 6))
)


def ecoradar(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def city(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_small_registry(container, tmp_path)
    return container


def write_packets(path: Path, packets: list[bytes]) -> Path:
    path.write_bytes(b"".join(p if p.endswith(b"\r\n") else p + b"\r\n" for p in packets))
    return path


def stored(box: Container, mn: str | None = None) -> int:
    with box.transaction() as session:
        query = select(func.count()).select_from(Measurement)
        if mn is not None:
            point = service.point_by_mn(session=session, mn=mn)
            query = query.where(Measurement.point_id == point.id)
        return session.scalar(query) or 0


def archive(box: Container) -> dict[str, int]:
    with box.transaction() as session:
        return dict(
            session.execute(
                select(RawPacket.outcome, func.count()).group_by(RawPacket.outcome)
            ).all()
        )


def test_hourly_packets_are_stored_one_row_per_factor(city: Container, tmp_path: Path) -> None:
    path = write_packets(tmp_path / "h.txt", hourly_series(GAS, HOUR, 24))
    status, out, err = ecoradar("ingest", str(path))
    assert status == 0, err
    assert "24 packets" in out and "stored" in out
    # SO2, NOx, flue-gas flow and O2, 24 hours
    assert stored(city, GAS_MN) == 4 * 24


def test_a_retransmission_never_doubles_a_value(city: Container, tmp_path: Path) -> None:
    path = write_packets(tmp_path / "h.txt", hourly_series(GAS, HOUR, 6))
    ecoradar("ingest", str(path))
    status, out, _ = ecoradar("ingest", str(path))
    assert status == 0
    assert "already stored (retransmissions): 24" in out
    assert stored(city, GAS_MN) == 24
    assert archive(city) == {"stored": 12}  # every copy is archived


def test_batches_mixing_new_and_stored_values_count_only_the_new(city: Container) -> None:
    """Batch by batch (on PostgreSQL the direct COPY meets the stored values, and the batches
    after it go through the staging table for a while): every new value stored once, every
    stored one refused, the counts exact."""
    frames = [f.rstrip(b"\r\n") for f in hourly_series(GAS, HOUR, 30)]
    intake = Intake(city, detect=False)
    now = city.clock.now()

    def write(chunk: list[bytes]) -> tuple[int, int]:
        result = intake.write([intake.judge(frame, "test", now) for frame in chunk])
        return result.rows_offered, result.rows_inserted

    assert write(frames[0:2]) == (8, 8)
    assert write(frames[1:3]) == (8, 4)  # hour 1 again, hour 2 new
    for hour in range(3, 3 + STAGED_AFTER_CONFLICT + 2):  # staged, then direct again
        assert write(frames[hour : hour + 1]) == (4, 4)
    assert write(frames[0:1]) == (4, 0)
    assert write(frames[20:30]) == (40, 40)
    assert stored(city, GAS_MN) == 4 * (3 + STAGED_AFTER_CONFLICT + 2 + 10)


def test_wrong_passwords_and_unknown_devices_are_archived_never_stored(
    city: Container, tmp_path: Path
) -> None:
    rng = random.Random(1)
    intruder = PointProfile(GAS_MN, "999999", "gas", GAS.factors)
    stranger = PointProfile("FFFF0000FFFF0000FFFF0000", "123456", "gas", GAS.factors)
    path = write_packets(
        tmp_path / "bad.txt",
        [data_packet(intruder, CN_HOUR, HOUR, rng), data_packet(stranger, CN_HOUR, HOUR, rng)],
    )
    status, out, _ = ecoradar("ingest", str(path))
    assert status == 0
    assert "wrong_password" in out and "unknown_mn" in out
    assert stored(city) == 0
    assert archive(city) == {"auth_failed": 1, "unknown_device": 1}
    with city.transaction() as session:
        (device,) = service.unknown_devices(session=session)
    assert device.mn == "FFFF0000FFFF0000FFFF0000" and device.packets == 1


def test_an_unprotected_device_is_not_asked_for_a_password(city: Container, tmp_path: Path) -> None:
    anyone = PointProfile(OPEN_MN, "whatever", "gas", GAS.factors)
    path = write_packets(tmp_path / "o.txt", hourly_series(anyone, HOUR, 2))
    ecoradar("ingest", str(path))
    assert stored(city, OPEN_MN) == 8


def test_bad_packets_are_counted_by_reason_and_never_stop_the_run(
    city: Container, tmp_path: Path
) -> None:
    good = hourly_series(GAS, HOUR, 2)
    broken_crc = good[0].rstrip(b"\r\n")[:-4] + b"0000"
    path = write_packets(tmp_path / "m.txt", [broken_crc, b"##garbage", good[1]])
    status, out, _ = ecoradar("ingest", str(path))
    assert status == 0
    assert "bad_crc" in out and "bad_frame" in out
    assert stored(city, GAS_MN) == 4
    assert archive(city) == {"refused": 2, "stored": 1}


def test_an_unreadable_file_stops_the_run_before_anything_is_stored(
    city: Container, tmp_path: Path
) -> None:
    good = write_packets(tmp_path / "g.txt", hourly_series(GAS, HOUR, 1))
    status, _, err = ecoradar("ingest", str(good), str(tmp_path / "missing.txt"))
    assert status == 1
    assert "missing.txt: cannot be read" in err
    assert archive(city) == {}


def test_packets_can_come_from_standard_input(city: Container) -> None:
    data = b"".join(hourly_series(GAS, HOUR, 3))
    status, out, _ = ecoradar("ingest", "-", stdin=data)
    assert status == 0, out
    assert stored(city, GAS_MN) == 12


def test_split_packets_are_joined_before_their_values_are_stored(
    city: Container, tmp_path: Path
) -> None:
    flag = flag_for(Edition.V2017, split=True)
    common: dict[str, Any] = {
        "st": "31",
        "cn": CN_HOUR,
        "pw": PASSWORD,
        "mn": GAS_MN,
        "qn": "20261101080000000",
        "flag": flag,
        "data_time": HOUR,
    }
    part1 = encode(**common, pnum=2, pno=1, items={"a21026": {"Avg": "10.0", "Flag": "N"}})
    part2 = encode(**common, pnum=2, pno=2, items={"a21002": {"Avg": "20.0", "Flag": "N"}})
    ecoradar("ingest", str(write_packets(tmp_path / "s.txt", [part2, part1])))
    assert stored(city, GAS_MN) == 2
    assert archive(city) == {"message": 1, "stored": 1}


def test_a_device_configured_for_modbus_crc_is_accepted(city: Container, tmp_path: Path) -> None:
    frame = hourly_series(GAS, HOUR, 1)[0].rstrip(b"\r\n")
    segment = frame[6:-4]
    modbus = frame[:-4] + f"{crc16_modbus_as_sent(segment):04X}".encode()
    path = write_packets(tmp_path / "mb.txt", [modbus])
    ecoradar("ingest", str(path))
    assert archive(city) == {"refused": 1}
    with city.transaction() as session:
        session.execute(
            update(MonitoringPoint)
            .where(MonitoringPoint.mn == GAS_MN)
            .values(accept_modbus_crc=True)
        )
    ecoradar("ingest", str(path))
    assert stored(city, GAS_MN) == 4


def test_export_writes_one_row_per_factor_kind_and_time(city: Container, tmp_path: Path) -> None:
    ecoradar("ingest", str(write_packets(tmp_path / "h.txt", hourly_series(GAS, HOUR, 5))))
    status, out, _ = ecoradar(
        "measurements",
        "export",
        "--mn",
        GAS_MN,
        "--since",
        "2026-11-01T09:00",
        "--until",
        "2026-11-01T11:00",
    )
    assert status == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["data_time"] for r in rows} == {
        "2026-11-01T09:00:00+08:00",
        "2026-11-01T10:00:00+08:00",
    }
    assert len(rows) == 8
    so2 = next(r for r in rows if r["factor"] == "a21026")
    assert so2["kind"] == "hour" and so2["flag"] == "N" and so2["zs_avg"] > 0 and so2["avg"] > 0
    status, out, _ = ecoradar("measurements", "export", "--mn", GAS_MN, "--format", "csv")
    lines = out.splitlines()
    assert lines[0].split(",") == [
        "mn",
        "factor",
        "kind",
        "data_time",
        "rtd",
        "avg",
        "min",
        "max",
        "zs_rtd",
        "zs_avg",
        "zs_min",
        "zs_max",
        "cou",
        "flag",
        "received_at",
        "derived",
    ]
    assert len(lines) == 1 + 20


def test_export_of_an_unknown_mn_is_an_error(city: Container) -> None:
    status, _, err = ecoradar("measurements", "export", "--mn", "NOPE")
    assert status == 1 and "no monitoring point with MN 'NOPE'" in err


def test_aggregates_summarise_a_range(city: Container, tmp_path: Path) -> None:
    ecoradar("ingest", str(write_packets(tmp_path / "h.txt", hourly_series(GAS, HOUR, 10))))
    with city.transaction() as session:
        result = {
            a.factor: a
            for a in service.aggregates(session=session, mn=GAS_MN, since=HOUR + timedelta(hours=2))
        }
    so2 = result["a21026"]
    assert so2.count == 8 and so2.valid == 8 and so2.kind == "hour"
    assert so2.minimum is not None and so2.maximum is not None and so2.mean is not None
    assert so2.minimum <= so2.mean <= so2.maximum
    assert so2.first == HOUR + timedelta(hours=2) and so2.last == HOUR + timedelta(hours=9)


def test_every_captured_real_packet_is_decoded_or_refused_with_a_reason(
    city: Container, tmp_path: Path
) -> None:
    examples = write_packets(
        tmp_path / "examples.txt", [e.packet.encode() for e in example_packets()]
    )
    status, out, _ = ecoradar(
        "ingest", str(examples), str(hj212_path("rx_release.log")), str(hj212_path("rx_debug.log"))
    )
    assert status == 0
    counts = archive(city)
    # None of these devices is in our registry: each packet is either refused with a codec reason
    # or archived as an unknown device; none is lost and none becomes data.
    assert counts.get("stored", 0) == 0
    with city.transaction() as session:
        total = session.scalar(select(func.count()).select_from(RawPacket))
        reasons = dict(
            session.execute(select(RawPacket.reason, func.count()).group_by(RawPacket.reason)).all()
        )
    assert total == sum(counts.values()) == len(example_packets()) + 3 + 50
    assert reasons["bad_crc"] >= 21  # the MODBUS-CRC devices of rx_*.log
    assert set(reasons) <= {
        "bad_crc",
        "bad_frame",
        "bad_length",
        "unknown_mn",
        "bad_field",
        "missing_field",
    }


def test_a_split_message_is_joined_across_the_switch_to_a_judging_process(
    city: Container,
) -> None:
    flag = flag_for(Edition.V2017, split=True)
    common: dict[str, Any] = {"st": "31", "cn": CN_HOUR, "pw": PASSWORD, "mn": GAS_MN, "flag": flag}

    def part(hour: int, pno: int, code: str) -> bytes:
        return encode(
            **common,
            qn=f"202611010{8 + hour}0000000",
            data_time=HOUR + timedelta(hours=hour),
            pnum=2,
            pno=pno,
            items={code: {"Avg": "10.0", "Flag": "N"}},
        )

    a1, a2, b1, b2 = (
        part(0, 1, "a21026"),
        part(0, 2, "a21002"),
        part(1, 1, "a21026"),
        part(1, 2, "a21002"),
    )
    intake = Intake(city, detect=False)
    # a1 is judged here, a2 and b1 in the judging process, which gives back b1 waiting for b2
    summary = intake.run([(a1, "x"), (a2, "x"), (b1, "x")], batch_size=1, parallel_from=1)
    assert summary.outcomes == {"message": 2, "stored": 1}
    summary = intake.run([(b2, "x")], parallel_from=None)
    assert summary.outcomes == {"stored": 1}
    assert stored(city, GAS_MN) == 4
