"""The HJ 212 gateway over real loopback sockets: framing, limits, authentication, durability.

Each test starts a gateway on 127.0.0.1 (a free port) in its own event loop, on SQLite and on
PostgreSQL, and talks to it as devices do. Nothing waits without a bound: every read is
under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212 import Packet, decode
from ecoradar.hj212.gateway import Gateway, GatewayLimits
from ecoradar.monitoring import service
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.store import Received
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.simulate.traffic import FactorProfile, PointProfile, data_packet
from tests.factories import (
    ENTERPRISE_HEADER,
    POINT_HEADER,
    china_city,
    enterprise_row,
    gas_rows,
    write_csv,
    write_json,
)

T = TypeVar("T")
X, Y = 120.25, 30.5  # inside grid G1 of china_city()
PASSWORD = "123456"
HOUR0 = datetime(2026, 11, 1, 0, 0, tzinfo=CHINA_TZ)  # the day before the fake clock
WAIT = 10.0


def mn_of(serial: int) -> str:
    return f"010000A8900016F0{serial:08X}"


def profile(serial: int = 1, password: str = PASSWORD) -> PointProfile:
    factors = (FactorProfile("a21026", 35.0, 6.0), FactorProfile("a21002", 50.0, 6.0))
    return PointProfile(mn_of(serial), password, "gas", factors)


def register(box: Container, directory: Path, count: int = 2) -> None:
    """Regions of ``china_city`` and ``count`` enterprises with one gas point each."""
    features = regions.read_regions_file(write_json(directory / "city.geojson", china_city()))
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=box.clock.now()
        )
    register_more(box, directory, range(1, count + 1))


def register_more(box: Container, directory: Path, serials: range) -> None:
    """Enterprises ``serials`` with one gas point each (MN ``mn_of(serial)``)."""
    name = f"{serials.start}-{serials.stop}"
    enterprises = write_csv(
        directory / f"e{name}.csv", ENTERPRISE_HEADER, [enterprise_row(i, X, Y) for i in serials]
    )
    rows = [row + [PASSWORD] for i in serials for row in gas_rows(i, mn_of(i))]
    points = write_csv(directory / f"p{name}.csv", [*POINT_HEADER, "password"], rows)
    with box.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=enterprises,
            points=points,
            regions=box.regions,
            now=box.clock.now(),
        )


@pytest.fixture
def devices(container: Container, tmp_path: Path) -> Container:
    register(container, tmp_path)
    return container


def hourly(hour: int, serial: int = 1, *, answer: bool = True, password: str = PASSWORD) -> bytes:
    rng = random.Random(hour)
    when = HOUR0 + timedelta(hours=hour)
    sent = when + timedelta(hours=1, seconds=serial)
    return data_packet(
        profile(serial, password), "2061", when, rng, needs_answer=answer, sent_at=sent
    )


def qn_of(frame: bytes) -> str | None:
    return decode(frame).qn


class Device:
    """A device's end of a TCP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, gateway: Gateway) -> Device:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def frame(self) -> Packet:
        return decode(await asyncio.wait_for(self.reader.readuntil(b"\r\n"), WAIT))

    async def frames(self, count: int) -> list[Packet]:
        return [await self.frame() for _ in range(count)]

    async def closed_by_gateway(self) -> bool:
        try:
            rest = await asyncio.wait_for(self.reader.read(), WAIT)
        except ConnectionResetError:
            return True
        return rest == b""

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionResetError, BrokenPipeError):
            pass


def run_gateway(
    box: Container,
    scenario: Callable[[Gateway], Awaitable[T]],
    *,
    write: Callable[[Sequence[Received]], object] | None = None,
    writer_setup: Callable[[Container], None] | None = None,
    **limits: Any,
) -> T:
    """Start a gateway on a free loopback port, run ``scenario`` against it, close it."""

    async def main() -> T:
        limits.setdefault("directory_refresh", None)
        gateway = Gateway(box, GatewayLimits(**limits), write=write, writer_setup=writer_setup)
        await gateway.start("127.0.0.1", 0)
        try:
            return await asyncio.wait_for(scenario(gateway), 60)
        finally:
            await gateway.close()

    return asyncio.run(main())


async def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) until ``condition()`` holds."""
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


def stored_rows(box: Container, serial: int = 1) -> int:
    with box.transaction() as session:
        point = service.point_by_mn(session=session, mn=mn_of(serial))
        query = select(func.count()).where(Measurement.point_id == point.id)
        return session.scalar(query) or 0


def archived(box: Container) -> list[tuple[str, str | None]]:
    with box.transaction() as session:
        rows = session.execute(select(RawPacket.outcome, RawPacket.reason).order_by(RawPacket.id))
        return [(outcome, reason) for outcome, reason in rows]


# -- framing -------------------------------------------------------------------------------


def test_a_frame_split_byte_by_byte_is_stored_and_answered_9014(devices: Container) -> None:
    frame = hourly(0)

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        for byte in frame:
            await device.send(bytes([byte]))
        answer = await device.frame()
        await device.close()
        return answer

    answer = run_gateway(devices, scenario)
    assert (answer.cn, answer.st, answer.qn, answer.mn) == ("9014", "91", qn_of(frame), mn_of(1))
    assert answer.flag == 4 and answer.cp == {} and answer.items == {}
    assert stored_rows(devices) == 4


def test_frames_merged_in_one_write_are_each_answered_in_order(devices: Container) -> None:
    frames = [hourly(h) for h in range(12)]

    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        await device.send(b"".join(frames))
        answers = await device.frames(len(frames))
        await device.close()
        return answers

    answers = run_gateway(devices, scenario)
    assert [a.qn for a in answers] == [qn_of(f) for f in frames]
    assert {a.cn for a in answers} == {"9014"}
    assert stored_rows(devices) == 4 * 12


def test_garbage_between_frames_is_archived_and_the_frames_around_it_are_answered(
    devices: Container,
) -> None:
    first, second = hourly(0), hourly(1)

    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        await device.send(b"AT+CIPSEND\r\n" + first + b"\x00\xff noise \r\n" + second)
        answers = await device.frames(2)
        await device.close()
        return answers

    answers = run_gateway(devices, scenario)
    assert [a.qn for a in answers] == [qn_of(first), qn_of(second)]
    assert ("refused", "bad_frame") in archived(devices)
    assert stored_rows(devices) == 8


def test_an_oversize_frame_is_refused_and_the_connection_goes_on(devices: Container) -> None:
    """A data segment above the limit (1024 here, HJ 212-2017 table 2) is skipped, not fatal."""
    body = b"QN=20261102090000000;ST=31;CN=2061;PW=123456;MN=" + mn_of(1).encode()
    oversize = b"##2000" + body + b";CP=&&" + b"x" * (2000 - len(body) - 8) + b"&&ABCD\r\n"
    good = hourly(0)

    async def scenario(gateway: Gateway) -> tuple[Packet, dict[str, Any]]:
        device = await Device.connect(gateway)
        await device.send(oversize + good)
        answer = await device.frame()
        await device.close()
        return answer, gateway.counters.snapshot()

    answer, counters = run_gateway(devices, scenario, max_frame=1024)
    assert answer.cn == "9014" and answer.qn == qn_of(good)
    assert counters["by_reason"]["oversize"] == 1
    assert ("refused", "oversize") in archived(devices)
    assert stored_rows(devices) == 4


def test_a_client_that_disconnects_mid_packet_leaves_nothing_stored(devices: Container) -> None:
    frame = hourly(0)

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        await device.send(frame[:57])
        await device.close()
        await until(lambda: gateway.counters.totals["frames"] >= 1)
        again = await Device.connect(gateway)  # the gateway goes on serving
        await again.send(hourly(1))
        answer = await again.frame()
        await again.close()
        return answer

    answer = run_gateway(devices, scenario)
    assert answer.cn == "9014" and answer.qn == qn_of(hourly(1))
    assert archived(devices) == [("refused", "bad_frame"), ("stored", None)]
    assert stored_rows(devices) == 4  # only the second, whole packet


def test_a_silent_client_is_closed_after_the_idle_timeout(devices: Container) -> None:
    async def scenario(gateway: Gateway) -> tuple[bool, int]:
        device = await Device.connect(gateway)
        closed = await device.closed_by_gateway()
        await device.close()
        return closed, gateway.counters.totals["idle_closed"]

    assert run_gateway(devices, scenario, idle_timeout=0.2) == (True, 1)


def test_a_device_that_half_closes_still_gets_its_answer(devices: Container) -> None:
    async def scenario(gateway: Gateway) -> tuple[Packet, bool]:
        device = await Device.connect(gateway)
        await device.send(hourly(0))
        device.writer.write_eof()
        answer = await device.frame()
        closed = await device.closed_by_gateway()
        await device.close()
        return answer, closed

    answer, closed = run_gateway(devices, scenario)
    assert answer.cn == "9014" and closed


def test_connections_beyond_the_limit_are_turned_away(devices: Container) -> None:
    async def scenario(gateway: Gateway) -> tuple[bool, Packet, int]:
        first, second = await Device.connect(gateway), await Device.connect(gateway)
        await until(lambda: len(gateway.sessions) == 2)
        third = await Device.connect(gateway)
        turned_away = await third.closed_by_gateway()
        await first.send(hourly(0))
        answer = await first.frame()
        for device in (first, second, third):
            await device.close()
        return turned_away, answer, gateway.counters.totals["connections_refused"]

    turned_away, answer, refused = run_gateway(devices, scenario, max_connections=2)
    assert turned_away and refused == 1 and answer.cn == "9014"


# -- authentication and refusals -----------------------------------------------------------


def test_a_wrong_password_is_answered_qnrtn_3_and_nothing_is_stored(devices: Container) -> None:
    frame = hourly(0, password="654321")

    async def scenario(gateway: Gateway) -> tuple[Packet, dict[str, Any]]:
        device = await Device.connect(gateway)
        await device.send(frame)
        answer = await device.frame()
        await device.close()
        return answer, gateway.counters.snapshot()

    answer, counters = run_gateway(devices, scenario)
    assert (answer.cn, answer.qn, answer.cp) == ("9011", qn_of(frame), {"QnRtn": "3"})
    assert stored_rows(devices) == 0
    assert archived(devices) == [("auth_failed", "wrong_password")]
    assert counters["by_reason"] == {"wrong_password": 1}
    assert counters["per_device"][mn_of(1)] == {"auth_failed": 1}


def test_an_unknown_mn_is_answered_qnrtn_4_and_archived_as_an_unknown_device(
    devices: Container,
) -> None:
    frame = hourly(0, serial=99)

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        await device.send(frame)
        answer = await device.frame()
        await device.close()
        return answer

    answer = run_gateway(devices, scenario)
    assert (answer.cn, answer.mn, answer.cp) == ("9011", mn_of(99), {"QnRtn": "4"})
    with devices.transaction() as session:
        unknown = service.unknown_devices(session=session)
        counters = service.counters(session=session)
    assert [d.mn for d in unknown] == [mn_of(99)] and unknown[0].packets == 1
    assert counters["by_reason"] == {"unknown_mn": 1}


def test_a_frame_with_a_bad_crc_is_answered_qnrtn_9(devices: Container) -> None:
    frame = hourly(0)
    broken = frame[:-6] + (b"0000" if frame[-6:-2] != b"0000" else b"1111") + b"\r\n"

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        await device.send(broken)
        answer = await device.frame()
        await device.close()
        return answer

    answer = run_gateway(devices, scenario)
    assert (answer.cn, answer.qn, answer.cp) == ("9011", qn_of(frame), {"QnRtn": "9"})
    assert archived(devices) == [("refused", "bad_crc")] and stored_rows(devices) == 0


def test_a_frame_the_intake_fails_on_is_archived_answered_100_and_the_connection_lives(
    devices: Container,
) -> None:
    broken, good = hourly(0), hourly(1)

    async def scenario(gateway: Gateway) -> list[Packet]:
        judge = gateway.intake.judge

        def failing(frame: bytes, peer: str, now: datetime) -> Received:
            if frame == broken:
                raise RuntimeError("a bug in the intake")
            return judge(frame, peer, now)

        gateway.intake.judge = failing  # type: ignore[method-assign]
        device = await Device.connect(gateway)
        await device.send(broken + good)
        answers = await device.frames(2)
        await device.close()
        return answers

    refused, answered = run_gateway(devices, scenario)
    assert (refused.cn, refused.qn, refused.cp) == ("9011", qn_of(broken), {"QnRtn": "100"})
    assert answered.cn == "9014" and answered.qn == qn_of(good)
    assert archived(devices) == [("refused", "internal_error"), ("stored", None)]
