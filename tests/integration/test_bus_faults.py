"""Faults of the bus (issue 13, item 4), counting answered packets against stored values:
a worker process killed (SIGKILL) with a batch in its hands, and the NATS server restarted.
``ecoradar gateway --bus`` and ``ecoradar worker --bus`` run as the commands people run; the
restart uses a NATS server of the test's own, so the suite's server is never stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import nats
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.bus.config import BusConfig
from ecoradar.hj212 import Packet, decode
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.simulate.served import free_port
from tests.integration.bus_support import (
    PrivateNats,
    backlog,
    bus_config,
    drained,
    listening,
    remove,
    workers,
)
from tests.integration.test_bus import gateway_over
from tests.integration.test_gateway import (
    WAIT,
    Device,
    archived,
    devices,
    hourly,
    qn_of,
    register,
    stored_rows,
    until,
)

__all__ = ["devices"]  # the fixture, shared with test_gateway

DEVICES, HOURS = 20, 24


def command(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ecoradar", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def worker_command(env: dict[str, str], log: Path, config: BusConfig) -> subprocess.Popen[bytes]:
    return command(
        env, log, "worker", "--bus", config.url, "--stream", config.stream,
        "--partitions", str(config.partitions), "--ack-wait", str(config.ack_wait),
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def in_hand(config: BusConfig) -> int:
    """Messages delivered to a worker and not acknowledged, over every partition."""
    nc = await nats.connect(config.url)
    try:
        js = nc.jetstream()
        infos = [
            await js.consumer_info(config.stream, config.consumer(p))
            for p in range(config.partitions)
        ]
        return sum(info.num_ack_pending or 0 for info in infos)
    finally:
        await nc.close()


def counts(box: Container) -> tuple[int, int, int]:
    """(archived packets, distinct archived QNs, stored values)."""
    with box.reading() as session:
        raws = session.scalar(select(func.count()).select_from(RawPacket)) or 0
        qns = session.scalar(select(func.count(func.distinct(RawPacket.qn)))) or 0
        values = session.scalar(select(func.count()).select_from(Measurement)) or 0
    return raws, qns, values


def test_a_worker_killed_with_a_batch_in_hand_loses_nothing_and_doubles_nothing(
    container: Container, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    register(container, tmp_path, count=DEVICES)
    config = bus_config(ack_wait=2.0)
    env = {**os.environ, **cli_env}
    port = free_port()
    log = tmp_path / "processes.log"
    first = worker_command(env, log, config)
    gateway = command(
        env, log, "gateway", "--host", "127.0.0.1", "--port", str(port), "--bus", config.url,
        "--stream", config.stream, "--partitions", str(config.partitions),
    )  # fmt: skip
    second: subprocess.Popen[bytes] | None = None
    answered: list[str | None] = []

    async def device(serial: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for hour in range(HOURS):
            writer.write(hourly(hour, serial))
            await writer.drain()
            answer = decode(await asyncio.wait_for(reader.readuntil(b"\r\n"), WAIT))
            answered.append(answer.qn)
            await asyncio.sleep(0.02)
        writer.close()

    async def kill_mid_batch() -> int:
        """Freeze the worker until it is caught holding a message, then kill it."""
        await until(lambda: counts(container)[2] > 0)  # it is writing
        for _ in range(500):
            os.kill(first.pid, signal.SIGSTOP)
            held = await in_hand(config)
            if held:
                os.kill(first.pid, signal.SIGKILL)
                return held
            os.kill(first.pid, signal.SIGCONT)
            await asyncio.sleep(0.005)
        raise AssertionError("the worker was never caught with a message in hand")

    async def main() -> int:
        nonlocal second
        for _ in range(int(60 / 0.05)):
            if listening(port):
                break
            await asyncio.sleep(0.05)
        sending = asyncio.gather(*(device(s) for s in range(1, DEVICES + 1)))
        held = await kill_mid_batch()
        second = worker_command(env, log, config)
        await sending
        await drained(config, wait=60)  # after ack_wait, and the dead worker's heartbeat
        return held

    try:
        held = asyncio.run(main())
    finally:
        for process in (gateway, first, second):
            if process is not None:
                stop(process)
        asyncio.run(remove(config))
    assert first.returncode == -signal.SIGKILL and held >= 1, log.read_text()[-3000:]
    assert len(answered) == DEVICES * HOURS
    assert counts(container) == (DEVICES * HOURS, DEVICES * HOURS, DEVICES * HOURS * 4)


def test_while_nats_is_down_nothing_is_answered_and_what_was_answered_is_stored(
    devices: Container, tmp_path: Path
) -> None:
    server = PrivateNats(tmp_path).start()
    config = bus_config(url=server.url, publish_timeout=1.0)

    async def answer_within(link: Device, seconds: float) -> Packet | None:
        try:
            return decode(await asyncio.wait_for(link.reader.readuntil(b"\r\n"), seconds))
        except TimeoutError:
            return None

    async def main() -> tuple[Packet, Packet | None, Packet, int, Packet, int]:
        async with workers(devices, config):
            gateway = await gateway_over(devices, config)
            bus = gateway.bus
            assert bus is not None
            try:
                link = await Device.connect(gateway)
                await link.send(hourly(0))
                before = await link.frame()
                server.stop()
                await until(lambda: not bus.connected)
                await link.send(hourly(1))
                while_down = await answer_within(link, 1.0)
                server.start()  # the same port and store: the stream and consumers are back
                sent = 1
                again = None
                while again is None and sent < 30:  # the device sends again, as HJ 212 says
                    await link.send(hourly(1))
                    sent += 1
                    again = await answer_within(link, 1.0)
                assert again is not None
                await link.send(hourly(2))
                after = await link.frame()
                await link.close()
                failed = gateway.counters.totals["write_failed"]
            finally:
                await gateway.close()
            return before, while_down, again, sent, after, failed

    try:
        before, while_down, again, sent, after, failed = asyncio.run(main())
        left = asyncio.run(backlog(config))
    finally:
        server.stop()
    assert before.qn == qn_of(hourly(0)) and while_down is None and failed >= 1
    assert again.qn == qn_of(hourly(1)) and after.qn == qn_of(hourly(2))
    assert left == 0
    assert stored_rows(devices) == 3 * 4  # three hours, each value once
    stored = archived(devices)
    assert set(stored) == {("stored", None)} and 3 <= len(stored) <= 2 + sent
