"""The gateway's limits against hostile peers, over real loopback sockets: connections per
address, idle time measured from the last accepted packet (a trickle of bytes does not count),
a deadline for a frame once begun, and an archive budget for refused frames.

Limits are set short or small for each test; waits are bounded (``WAIT``), and no test asserts
how long something took.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from ecoradar.bootstrap import Container
from ecoradar.hj212 import Packet
from ecoradar.hj212.gateway import Gateway, Rate
from tests.integration.test_gateway import (
    WAIT,
    Device,
    archived,
    devices,
    hourly,
    mn_of,
    qn_of,
    run_gateway,
    stored_rows,
    until,
)

__all__ = ["devices"]  # the fixture, shared with test_gateway

NONE_EXEMPT: dict[str, Any] = {"exempt": ()}
"""The tests connect from 127.0.0.1, which is exempt from per-address limits by default."""
NO_REFILL = 0.0


async def trickle(device: Device, chunks: list[bytes], every: float) -> None:
    """Send ``chunks`` one by one, ``every`` seconds apart, until the gateway closes."""
    for chunk in chunks:
        if device.writer.is_closing():
            return
        try:
            await device.send(chunk)
        except (ConnectionError, OSError):
            return
        await asyncio.sleep(every)


async def closed_while(device: Device, sending: asyncio.Task[None]) -> bool:
    """Whether the gateway closed ``device`` while ``sending`` ran (answers it sends before
    are read and dropped); then stop ``sending``."""
    try:
        await asyncio.wait_for(device.reader.read(), WAIT)  # up to the end of the stream
        return True
    except ConnectionResetError:
        return True
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        await device.close()


# -- connections per address ------------------------------------------------------------------


def test_connections_beyond_the_limit_per_address_are_turned_away(devices: Container) -> None:
    async def scenario(gateway: Gateway) -> tuple[bool, Packet, Packet, dict[str, int]]:
        first, second = await Device.connect(gateway), await Device.connect(gateway)
        await until(lambda: len(gateway.sessions) == 2)
        third = await Device.connect(gateway)
        turned_away = await third.closed_by_gateway()
        await first.send(hourly(0))
        answer = await first.frame()
        await first.close()
        await until(lambda: len(gateway.sessions) == 1)
        fourth = await Device.connect(gateway)  # a place is free again
        await fourth.send(hourly(1))
        again = await fourth.frame()
        for device in (second, third, fourth):
            await device.close()
        return turned_away, answer, again, dict(gateway.counters.totals)

    turned_away, answer, again, totals = run_gateway(
        devices, scenario, max_per_address=2, **NONE_EXEMPT
    )
    assert turned_away and answer.cn == "9014" and again.cn == "9014"
    assert totals["connections_refused_per_address"] == 1
    assert totals["connections"] == 3
    assert "connections_refused" not in totals


def test_this_host_is_exempt_from_the_limit_per_address_by_default(devices: Container) -> None:
    async def scenario(gateway: Gateway) -> int:
        connected = [await Device.connect(gateway) for _ in range(4)]
        await until(lambda: len(gateway.sessions) == 4)
        await connected[-1].send(hourly(0))
        await connected[-1].frame()
        for device in connected:
            await device.close()
        return gateway.counters.totals["connections_refused_per_address"]

    assert run_gateway(devices, scenario, max_per_address=2) == 0


# -- idle time and the frame deadline --------------------------------------------------------


@pytest.mark.parametrize(
    "what",
    ["a frame byte by byte", "line ends between frames", "frames with a wrong password"],
)
def test_a_trickle_that_brings_no_accepted_packet_does_not_keep_a_connection_open(
    devices: Container, what: str
) -> None:
    if what == "a frame byte by byte":
        chunks = [bytes([b]) for b in hourly(0)]
    elif what == "line ends between frames":
        chunks = [b"\r\n"] * 1000
    else:
        chunks = [hourly(h, password="654321") for h in range(1000)]

    async def scenario(gateway: Gateway) -> tuple[bool, dict[str, int]]:
        device = await Device.connect(gateway)
        closed = await closed_while(device, asyncio.create_task(trickle(device, chunks, 0.05)))
        return closed, dict(gateway.counters.totals)

    closed, totals = run_gateway(devices, scenario, idle_timeout=0.5, frame_deadline=60)
    assert closed
    assert totals["idle_closed"] == 1
    assert "frame_timeout" not in totals
    assert stored_rows(devices) == 0


def test_a_frame_begun_and_not_finished_within_the_deadline_closes_the_connection(
    devices: Container,
) -> None:
    frame = hourly(0)
    chunks = [frame[:57]] + [bytes([b]) for b in frame[57:]]

    async def scenario(gateway: Gateway) -> tuple[bool, dict[str, int]]:
        device = await Device.connect(gateway)
        closed = await closed_while(device, asyncio.create_task(trickle(device, chunks, 0.05)))
        await until(lambda: ("refused", "bad_frame") in archived(devices))
        return closed, dict(gateway.counters.totals)

    closed, totals = run_gateway(devices, scenario, idle_timeout=60, frame_deadline=0.3)
    assert closed
    assert totals["frame_timeout"] == 1
    assert "idle_closed" not in totals
    assert archived(devices) == [("refused", "bad_frame")]  # the cut frame, nothing stored
    assert stored_rows(devices) == 0


def test_a_frame_completed_in_time_stops_its_deadline(devices: Container) -> None:
    frame, later = hourly(0), hourly(1)

    async def scenario(gateway: Gateway) -> tuple[Packet, Packet, dict[str, int]]:
        device = await Device.connect(gateway)
        await device.send(frame[:57])
        await device.send(frame[57:])
        first = await device.frame()
        await asyncio.sleep(0.6)  # twice the deadline: no frame is begun, so none is late
        await device.send(later)
        second = await device.frame()
        await device.close()
        return first, second, dict(gateway.counters.totals)

    first, second, totals = run_gateway(devices, scenario, idle_timeout=60, frame_deadline=0.3)
    assert (first.qn, second.qn) == (qn_of(frame), qn_of(later))
    assert "frame_timeout" not in totals


# -- the archive budget of refused frames ------------------------------------------------------


def test_refused_frames_beyond_the_archive_limit_per_mn_are_answered_and_counted_not_archived(
    devices: Container,
) -> None:
    unknown = [hourly(h, serial=99) for h in range(6)]
    other, good = hourly(0, serial=98), hourly(0)
    frames = [*unknown[:4], good, *unknown[4:], other]

    async def scenario(gateway: Gateway) -> tuple[list[Packet], dict[str, Any]]:
        device = await Device.connect(gateway)
        await device.send(b"".join(frames))
        answers = await device.frames(len(frames))
        await device.close()
        return answers, gateway.counters.snapshot()

    answers, counters = run_gateway(
        devices, scenario, archive_per_mn=Rate(burst=3, per_second=NO_REFILL)
    )
    assert [a.qn for a in answers] == [qn_of(f) for f in frames]  # in order, every one
    assert [(a.cn, a.cp) for a in answers if a.qn != qn_of(good)] == [("9011", {"QnRtn": "4"})] * 7
    assert archived(devices).count(("unknown_device", "unknown_mn")) == 4  # 3 of 99, 1 of 98
    assert ("stored", None) in archived(devices) and stored_rows(devices) == 4
    assert counters["totals"]["refused_not_archived"] == 3
    assert counters["by_reason"] == {"unknown_mn": 7}
    assert counters["per_device"][mn_of(99)] == {"unknown_device": 6}


def test_refused_frames_beyond_the_archive_limit_per_address_are_counted_not_archived(
    devices: Container,
) -> None:
    scan = [hourly(0, serial=serial) for serial in range(90, 96)]
    garbage = b"AT+CIPSEND\r\n"

    async def scenario(gateway: Gateway) -> dict[str, int]:
        device = await Device.connect(gateway)
        await device.send(garbage + b"".join(scan))
        await device.frames(len(scan))
        await device.send(hourly(0))  # an accepted packet is archived and stored all the same
        await device.frame()
        await device.close()
        return dict(gateway.counters.totals)

    totals = run_gateway(
        devices,
        scenario,
        archive_per_address=Rate(burst=3, per_second=NO_REFILL),
        **NONE_EXEMPT,
    )
    assert archived(devices) == [
        ("refused", "bad_frame"),
        ("unknown_device", "unknown_mn"),
        ("unknown_device", "unknown_mn"),
        ("stored", None),
    ]
    assert totals["refused_not_archived"] == 4
    assert totals["frames"] == 8
