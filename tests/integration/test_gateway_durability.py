"""The gateway answers a packet only once it is durably stored, and stores it only once."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from ecoradar.bootstrap import Container
from ecoradar.hj212 import Packet
from ecoradar.hj212.gateway import Gateway
from ecoradar.monitoring import service
from ecoradar.monitoring.store import Received
from tests.integration.test_gateway import (
    WAIT,
    Device,
    archived,
    devices,
    hourly,
    mn_of,
    qn_of,
    register_more,
    run_gateway,
    stored_rows,
    until,
)

__all__ = ["devices"]  # the fixture, shared with test_gateway


def test_a_retransmitted_packet_is_stored_once_and_answered_each_time(devices: Container) -> None:
    frame = hourly(0)

    async def scenario(gateway: Gateway) -> list[Packet]:
        device = await Device.connect(gateway)
        await device.send(frame)
        first = await device.frame()
        await device.send(frame)
        second = await device.frame()
        await device.close()
        return [first, second]

    answers = run_gateway(devices, scenario)
    assert [a.cn for a in answers] == ["9014", "9014"]
    assert stored_rows(devices) == 4
    assert archived(devices) == [("stored", None), ("stored", None)]


def test_an_answer_is_sent_only_after_the_packet_is_in_the_database(devices: Container) -> None:
    entered, release = threading.Event(), threading.Event()
    intake_write: list[Callable[[Sequence[Received]], object]] = []

    def held_write(batch: Sequence[Received]) -> object:
        entered.set()
        release.wait(WAIT)
        return intake_write[0](batch)

    async def scenario(gateway: Gateway) -> tuple[bool, int, Packet, int]:
        intake_write.append(gateway.intake.write)
        device = await Device.connect(gateway)
        await device.send(hourly(0))
        await until(entered.is_set)
        try:
            await asyncio.wait_for(device.reader.readuntil(b"\r\n"), 0.3)
            early = True
        except TimeoutError:
            early = False
        rows_before = stored_rows(devices)
        release.set()
        answer = await device.frame()
        rows_after = stored_rows(devices)  # on a fresh connection: committed, not just written
        await device.close()
        return early, rows_before, answer, rows_after

    early, before, answer, after = run_gateway(devices, scenario, write=held_write)
    assert not early and before == 0
    assert answer.cn == "9014" and after == 4


def test_a_packet_whose_write_failed_is_not_answered(devices: Container) -> None:
    calls: list[int] = []
    intake_write: list[Callable[[Sequence[Received]], object]] = []

    def flaky_write(batch: Sequence[Received]) -> object:
        calls.append(len(batch))
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return intake_write[0](batch)

    lost, kept = hourly(0), hourly(1)

    async def scenario(gateway: Gateway) -> tuple[Packet, dict[str, Any]]:
        intake_write.append(gateway.intake.write)
        device = await Device.connect(gateway)
        await device.send(lost)
        await until(lambda: gateway.counters.totals["write_failed"] == 1)
        await device.send(kept)
        answer = await device.frame()  # the first answer is for the second packet
        await device.close()
        return answer, gateway.counters.snapshot()

    answer, counters = run_gateway(devices, scenario, write=flaky_write)
    assert answer.qn == qn_of(kept)
    assert counters["per_device"][mn_of(1)]["write_failed"] == 1
    assert stored_rows(devices) == 4


def test_packets_without_flag_a_are_stored_but_not_answered(devices: Container) -> None:
    quiet, asking = hourly(0, answer=False), hourly(1)

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        await device.send(quiet + asking)
        answer = await device.frame()
        await device.close()
        return answer

    assert run_gateway(devices, scenario).qn == qn_of(asking)
    assert stored_rows(devices) == 8


def test_the_counters_of_the_gateway_agree_with_the_archive(devices: Container) -> None:
    frames = [hourly(0), hourly(1), hourly(2, password="bad"), hourly(3, serial=2)]

    async def scenario(gateway: Gateway) -> dict[str, Any]:
        device = await Device.connect(gateway)
        await device.send(b"".join(frames))
        await device.frames(len(frames))
        await device.close()
        return gateway.counters.snapshot()

    counters = run_gateway(devices, scenario)
    assert counters["per_device"] == {
        mn_of(1): {"stored": 2, "auth_failed": 1},
        mn_of(2): {"stored": 1},
    }
    assert counters["totals"]["frames"] == 4 and counters["totals"]["answers"] == 4
    with devices.transaction() as session:
        archive = service.counters(session=session)
    assert archive["per_device"] == counters["per_device"]
    assert archive["by_reason"] == counters["by_reason"] == {"wrong_password": 1}


def test_a_packet_dated_in_the_future_is_answered_and_its_values_held_back(
    devices: Container,
) -> None:
    future = hourly(48)  # two days after HOUR0: a day ahead of the fake clock

    async def scenario(gateway: Gateway) -> Packet:
        device = await Device.connect(gateway)
        await device.send(future)
        answer = await device.frame()
        await device.close()
        return answer

    answer = run_gateway(devices, scenario)
    assert answer.cn == "9014" and answer.qn == qn_of(future)
    assert archived(devices) == [("quarantined", "future_datatime")]
    assert stored_rows(devices) == 0


def test_a_writer_process_that_died_is_replaced_and_nothing_is_lost(devices: Container) -> None:
    async def scenario(gateway: Gateway) -> tuple[Packet, Packet, int]:
        assert gateway.writers  # the default: writes in child processes
        device = await Device.connect(gateway)
        await device.send(hourly(0))
        first = await device.frame()
        child = gateway.writers[gateway.shard(mn_of(1))].writer.process
        os.kill(child.pid, signal.SIGKILL)
        child.join(WAIT)
        await device.send(hourly(1))
        second = await device.frame()
        await device.close()
        return first, second, gateway.counters.totals["write_failed"]

    first, second, failed = run_gateway(devices, scenario)
    assert (first.qn, second.qn) == (qn_of(hourly(0)), qn_of(hourly(1)))
    assert failed == 0
    assert stored_rows(devices) == 8
    assert archived(devices) == [("stored", None), ("stored", None)]


def test_devices_spread_over_two_writers_are_each_stored_in_order(
    devices: Container, tmp_path: Path
) -> None:
    """Two writer processes (the default on PostgreSQL): every device's packets go to one of
    them, both are used, everything is answered and stored, and a device's writer killed
    mid-run is replaced without losing its packets."""
    serials = range(3, 13)
    register_more(devices, tmp_path, serials)
    hours = 3

    async def scenario(gateway: Gateway) -> tuple[set[int], int]:
        assert len(gateway.writers) == 2
        shards = {gateway.shard(mn_of(serial)) for serial in serials}
        connected = [await Device.connect(gateway) for _ in serials]
        for hour in range(hours):
            for device, serial in zip(connected, serials, strict=True):
                await device.send(hourly(hour, serial))
            for device, serial in zip(connected, serials, strict=True):
                assert (await device.frame()).qn == qn_of(hourly(hour, serial))
            if hour == 0:  # the writer of the first device dies between two hours
                child = gateway.writers[gateway.shard(mn_of(serials[0]))].writer.process
                os.kill(child.pid, signal.SIGKILL)
                child.join(WAIT)
        for device in connected:
            await device.close()
        return shards, gateway.counters.totals["write_failed"]

    shards, failed = run_gateway(devices, scenario, writers=2)
    assert shards == {0, 1}  # ten MNs: both writers had devices
    assert failed == 0
    assert [stored_rows(devices, serial) for serial in serials] == [hours * 4] * len(serials)
