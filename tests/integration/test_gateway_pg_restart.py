"""PostgreSQL restarted under the gateway (issue 13, item 4): a packet that arrives while the
server is down is not answered (the device keeps it and sends it again); once the server is back
the gateway reconnects by itself, and every hour is stored once.

The server is a cluster of the test's own (``initdb`` as the ``postgres`` user, a free port, a
directory of its own), so stopping it disturbs no other test."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import FakeClock
from ecoradar.hj212.gateway import Gateway
from ecoradar.simulate.served import free_port
from tests.conftest import START, TEST_SECRET
from tests.integration.test_gateway import Device, hourly, register, run_gateway
from tests.integration.test_gateway_faults import counts

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


@dataclass
class Cluster:
    directory: Path
    port: int

    def _ctl(self, *args: str) -> None:
        assert BIN is not None
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(BIN / "pg_ctl"),
                "-D",
                str(self.directory),
                *args,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory}"
        )
        self._ctl("-o", options, "-l", str(self.directory / "log"), "-w", "start")

    def crash(self) -> None:
        """Stop it at once, as a crash would (no shutdown checkpoint)."""
        self._ctl("-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/ecoradar"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if BIN is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs PostgreSQL's server binaries and root (to run them as postgres)")
    directory = Path(tempfile.mkdtemp(prefix="ecoradar-pg-"))
    directory.chmod(0o755)
    data = directory / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(BIN / "initdb"),
            "-D",
            str(data),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = Cluster(data, free_port())
    server.start()
    admin = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE ecoradar"))
    admin.dispose()
    try:
        yield server
    finally:
        try:
            server.crash()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def box(cluster: Cluster, tmp_path: Path) -> Iterator[Container]:
    """The sample devices' registry on the cluster, on the suite's fake clock."""
    settings = Settings(
        environment="test", secret_key=TEST_SECRET, home=tmp_path, database_url=cluster.url
    )
    container = bootstrap(settings, clock=FakeClock(START))
    migrate.upgrade(container.engine)
    register(container, tmp_path)
    yield container
    container.close()


def test_a_restarted_postgresql_loses_no_answered_packet_and_doubles_none(
    cluster: Cluster, box: Container
) -> None:
    frames = [hourly(h, 1) for h in range(-12, 0)]

    async def scenario(gateway: Gateway) -> tuple[int, int]:
        device = await Device.connect(gateway)
        for frame in frames[:4]:  # the server is up
            await device.send(frame)
            assert (await device.frame()).cn == "9014"
        cluster.crash()
        unanswered = []
        for frame in frames[4:8]:
            await device.send(frame)
            try:
                await asyncio.wait_for(device.reader.readuntil(b"\r\n"), 2.0)
            except TimeoutError:
                unanswered.append(frame)
        await asyncio.get_running_loop().run_in_executor(None, cluster.start)
        for frame in [*unanswered, *frames[8:]]:  # sent again, and what comes next
            await device.send(frame)
            assert (await device.frame()).cn == "9014"
        await device.close()
        return len(unanswered), len(frames)

    unanswered, sent = run_gateway(box, scenario)
    assert unanswered == 4, "nothing is answered while the server is down"
    values, hours, archived = counts(box)
    assert (hours, archived) == (sent, sent)


def test_with_the_inbox_packets_are_answered_while_postgresql_is_down_and_stored_once_back(
    cluster: Cluster, box: Container
) -> None:
    """The inbox holds what comes while the server is down: every packet is answered, and the
    mover stores it all, once, when the server is back."""
    frames = [hourly(h, 1) for h in range(-12, 0)]

    async def scenario(gateway: Gateway) -> int:
        device = await Device.connect(gateway)
        await device.send(b"".join(frames[:4]))
        answered = sum(p.cn == "9014" for p in await device.frames(4))
        cluster.crash()
        await device.send(b"".join(frames[4:8]))
        answered += sum(p.cn == "9014" for p in await device.frames(4))
        await asyncio.get_running_loop().run_in_executor(None, cluster.start)
        await device.send(b"".join(frames[8:]))
        answered += sum(p.cn == "9014" for p in await device.frames(4))
        await device.close()
        return answered

    assert run_gateway(box, scenario, inbox=True) == len(frames), "all answered"
    _, hours, archived = counts(box)
    assert (hours, archived) == (len(frames), len(frames))
