"""Exchanges the gateway starts or finishes with a device: history recovery (2061), time
calibration (1013 -> 9013 + 1012), the heartbeat, commands, and many devices at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.hj212 import Packet, encode, parse_time
from ecoradar.hj212.gateway import Gateway
from ecoradar.monitoring import pipeline, service
from ecoradar.monitoring.models import Measurement
from tests.integration.test_gateway import (
    HOUR0,
    PASSWORD,
    Device,
    devices,
    hourly,
    mn_of,
    qn_of,
    register,
    register_more,
    run_gateway,
    stored_rows,
    until,
)

__all__ = ["devices"]  # the fixture, shared with test_gateway


def answer_to(request: Packet, cn: str, cp: dict[str, str]) -> bytes:
    """The device's 9011/9012 to a platform request (same QN, ST=91, Flag=4)."""
    return encode(st="91", cn=cn, pw=PASSWORD, mn=mn_of(1), qn=request.qn, flag=4, cp=cp)


def stored_hours(box: Container) -> list[int]:
    with box.transaction() as session:
        point = service.point_by_mn(session=session, mn=mn_of(1))
        times = session.scalars(
            select(Measurement.data_time)
            .where(
                Measurement.point_id == point.id,
                Measurement.kind == "hour",
                Measurement.factor == "a21026",
            )
            .order_by(Measurement.data_time)
        )
        return [int((t - HOUR0) / timedelta(hours=1)) for t in times]


def preload(box: Container, hours: range) -> None:
    """Hours already stored before the gateway starts (it reads the latest one at start)."""
    intake = pipeline.Intake(box)
    intake.write([intake.judge(hourly(h), "earlier", box.clock.now()) for h in hours])


def test_a_device_back_after_a_gap_is_asked_for_the_missing_hours(devices: Container) -> None:
    preload(devices, range(0, 3))  # 00:00 .. 02:00 CST stored; the device was away 03 .. 05

    async def scenario(gateway: Gateway) -> tuple[Packet, Packet, list[Packet], Packet]:
        device = await Device.connect(gateway)
        await device.send(hourly(6))
        answer, request = await device.frames(2)
        await device.send(answer_to(request, "9011", {"QnRtn": "1"}))
        await device.send(b"".join(hourly(h) for h in (3, 4, 5)))
        uploads = await device.frames(3)
        await device.send(answer_to(request, "9012", {"ExeRtn": "1"}))
        await device.send(hourly(7))
        after = await device.frame()  # only the 9014: the device answers are not answered
        await device.close()
        assert gateway.recovery.owed(gateway.intake.directory[mn_of(1)].point_id) == []
        return answer, request, uploads, after

    answer, request, uploads, after = run_gateway(devices, scenario)
    assert answer.cn == "9014" and answer.qn == qn_of(hourly(6))
    assert (request.cn, request.st, request.mn, request.pw, request.flag) == (
        "2061",
        "31",
        mn_of(1),
        PASSWORD,
        5,
    )
    assert request.cp == {"BeginTime": "20261101030000", "EndTime": "20261101050000"}
    assert [u.qn for u in uploads] == [qn_of(hourly(h)) for h in (3, 4, 5)]
    assert after.cn == "9014" and after.qn == qn_of(hourly(7))
    assert stored_hours(devices) == list(range(8))


def test_a_gap_still_owed_is_asked_again_when_the_device_reconnects(devices: Container) -> None:
    preload(devices, range(0, 1))

    async def scenario(gateway: Gateway) -> tuple[Packet, Packet]:
        device = await Device.connect(gateway)
        await device.send(hourly(3))
        _, first = await device.frames(2)
        await device.close()  # gone before it uploaded anything
        device = await Device.connect(gateway)
        await device.send(hourly(4, answer=False))  # no 9014 asked: the request comes alone
        again = await device.frame()
        await device.close()
        return first, again

    first, again = run_gateway(devices, scenario)
    assert first.cp == again.cp == {"BeginTime": "20261101010000", "EndTime": "20261101020000"}
    assert first.qn != again.qn


def test_consecutive_hours_need_no_recovery(devices: Container) -> None:
    preload(devices, range(0, 2))

    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        await device.send(hourly(2) + hourly(3))
        answers = await device.frames(2)
        await device.close()
        return answers

    assert [a.cn for a in run_gateway(devices, scenario)] == ["9014", "9014"]


def test_a_time_calibration_request_gets_9013_then_1012_with_the_platform_time(
    devices: Container,
) -> None:
    notice = encode(
        st="31",
        cn="1013",
        pw=PASSWORD,
        mn=mn_of(1),
        qn="20261102085857223",
        flag=5,
        cp={"PolId": "a21026"},
    )

    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        await device.send(notice)
        answers = await device.frames(2)
        await device.close()
        return answers

    answer, set_time = run_gateway(devices, scenario)
    assert (answer.cn, answer.st, answer.qn, answer.cp) == ("9013", "91", "20261102085857223", {})
    assert (set_time.cn, set_time.st, set_time.flag) == ("1012", "31", 5)
    assert set_time.cp == {"PolId": "a21026", "SystemTime": "20261102090000"}
    assert parse_time(set_time.cp["SystemTime"]) == devices.clock.now()
    assert set_time.qn != answer.qn


def test_a_2025_heartbeat_is_answered_9013(devices: Container) -> None:
    beat = encode(st="31", cn="9015", pw=PASSWORD, mn=mn_of(1), qn="20261102090000001", flag=9)

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        await device.send(beat)
        answer = await device.frame()
        await device.close()
        return answer

    answer = run_gateway(devices, scenario)
    assert (answer.cn, answer.qn, answer.flag) == ("9013", "20261102090000001", 8)
    assert stored_rows(devices) == 0


def test_commands_go_to_the_latest_connection_of_a_device(devices: Container) -> None:
    command = encode(st="31", cn="1011", pw=PASSWORD, mn=mn_of(1), qn="20261102090000002", flag=5)

    async def scenario(gateway: Gateway) -> tuple[bytes, bool]:
        old, new = await Device.connect(gateway), await Device.connect(gateway)
        await old.send(hourly(0))
        await old.frame()
        await new.send(hourly(1))
        await new.frame()
        sent = gateway.send_command(mn_of(1), command)
        received = await asyncio.wait_for(new.reader.readuntil(b"\r\n"), 10)
        for device in (old, new):
            await device.close()
        return received, sent and not gateway.send_command(mn_of(2), command)

    received, sent_only_to_connected = run_gateway(devices, scenario)
    assert received == command and sent_only_to_connected


def test_two_hundred_devices_at_once_are_all_answered(container: Container, tmp_path: Path) -> None:
    register(container, tmp_path, count=200)

    async def one(gateway: Gateway, serial: int) -> list[str | None]:
        device = await Device.connect(gateway)
        await device.send(hourly(0, serial) + hourly(1, serial))
        answers = await device.frames(2)
        await device.close()
        return [a.qn for a in answers]

    async def scenario(gateway: Gateway) -> list[list[str | None]]:
        return list(await asyncio.gather(*(one(gateway, s) for s in range(1, 201))))

    answered = run_gateway(container, scenario)
    assert answered == [[qn_of(hourly(h, s)) for h in (0, 1)] for s in range(1, 201)]
    with container.transaction() as session:
        counters = service.counters(session=session)
    assert counters["by_outcome"] == {"stored": 400}


def test_a_device_registered_while_the_gateway_runs_is_let_in_after_a_refresh(
    devices: Container, tmp_path: Path
) -> None:
    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        await device.send(hourly(0, serial=3))
        unknown = await device.frame()
        register_more(devices, tmp_path, range(3, 4))
        await until(lambda: mn_of(3) in gateway.intake.directory)
        await device.send(hourly(1, serial=3))
        known = await device.frame()
        await device.close()
        return [unknown, known]

    unknown, known = run_gateway(devices, scenario, directory_refresh=0.05)
    assert (unknown.cn, unknown.cp) == ("9011", {"QnRtn": "4"})
    assert known.cn == "9014" and stored_rows(devices, serial=3) == 4
