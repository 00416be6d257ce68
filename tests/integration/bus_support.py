"""A gateway over the bus with in-process workers, on the NATS server the suite shares
(127.0.0.1:4222): every test gets a stream, consumers and membership bucket of its own names,
deleted afterwards. Fault tests that stop the server run one of their own (:class:`PrivateNats`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import nats

from ecoradar.bootstrap import Container
from ecoradar.bus.config import BusConfig
from ecoradar.bus.publisher import BusPublisher
from ecoradar.bus.stream import delete
from ecoradar.bus.worker import BusWorker
from ecoradar.hj212.gateway import Gateway, GatewayLimits
from ecoradar.monitoring.store import Received
from ecoradar.simulate.served import free_port

T = TypeVar("T")
NATS_URL = os.environ.get("ECORADAR_TEST_NATS_URL", "nats://127.0.0.1:4222")
DRAIN_WAIT = 30.0
NATS_SERVER = "/usr/sbin/nats-server"


def bus_config(url: str = NATS_URL, **settings: Any) -> BusConfig:
    """Names of this test's own (stream ``T_<hex>``, subjects ``t.<hex>.P``), as the commands
    name them for ``--stream T_<hex>``."""
    settings.setdefault("partitions", 4)
    settings.setdefault("ack_wait", 3.0)
    settings.setdefault("heartbeat", 0.2)
    settings.setdefault("member_ttl", 1.0)
    settings.setdefault("reconnect_wait", 0.1)
    return BusConfig.for_stream(url, f"T_{uuid.uuid4().hex[:10]}", **settings)


async def backlog(config: BusConfig) -> int:
    """Messages not yet acknowledged by a worker, over every partition."""
    nc = await nats.connect(config.url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(config.stream)
        return int(info.state.messages)  # work queue: a message leaves once acknowledged
    finally:
        await nc.close()


async def drained(config: BusConfig, wait: float = DRAIN_WAIT) -> None:
    for _ in range(int(wait / 0.05)):
        if await backlog(config) == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"stream {config.stream} still holds messages after {wait} s")


async def remove(config: BusConfig) -> None:
    nc = await nats.connect(config.url)
    try:
        await delete(nc.jetstream(), config)
    finally:
        await nc.close()


@contextlib.asynccontextmanager
async def workers(
    box: Container, config: BusConfig, count: int = 1, **options: Any
) -> AsyncIterator[list[BusWorker]]:
    """``count`` in-process workers, closed (after the stream drained) at the end."""
    options.setdefault("sweep_every", None)
    options.setdefault("refresh_every", None)
    started = [BusWorker(box, config, **options) for _ in range(count)]
    try:
        for worker in started:
            await worker.start()
        yield started
        await drained(config)
    finally:
        for worker in started:
            await worker.close()


def run_over_bus(
    box: Container,
    scenario: Callable[[Gateway], Awaitable[T]],
    *,
    write: Callable[[Sequence[Received]], object] | None = None,
    count: int = 1,
    config: BusConfig | None = None,
    **limits: Any,
) -> T:
    """``test_gateway.run_gateway`` over the bus: a gateway publishing to a stream of its own,
    ``count`` workers writing; returns once every published batch is written."""
    assert write is None, "a test that replaces the write does not run over the bus"
    config = config or bus_config()

    async def main() -> T:
        limits.setdefault("directory_refresh", None)
        try:
            async with workers(box, config, count):
                gateway = Gateway(box, GatewayLimits(**limits), bus=BusPublisher(config))
                await gateway.start("127.0.0.1", 0)
                try:
                    return await asyncio.wait_for(scenario(gateway), 60)
                finally:
                    await gateway.close()
        finally:
            await remove(config)

    return asyncio.run(main())


class PrivateNats:
    """A NATS server of one test's own (free port, store directory under ``home``), which the
    test may stop and start again without disturbing the suite's server."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> PrivateNats:
        store = self.home / "nats-store"
        store.mkdir(parents=True, exist_ok=True)
        command = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(store)]
        with (self.home / "nats.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((self.home / "nats.log").read_text())
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(10)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True
