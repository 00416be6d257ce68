"""Faults the gateway meets in the field (issue 13, item 4): none loses an answered packet or
stores a value twice. A device that floods; 10,000 idle connections; a half-open connection;
the archive's disk full; PostgreSQL restarted under the gateway (``test_gateway_pg_restart``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import socket
import sqlite3
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from ecoradar.bootstrap import Container
from ecoradar.cli.gateway import raise_open_file_limit
from ecoradar.hj212.gateway import Gateway
from ecoradar.monitoring.models import Measurement, RawPacket
from tests.integration.test_gateway import Device, devices, hourly, run_gateway, until

__all__ = ["devices"]  # the fixture, shared with test_gateway

IDLE = 10_000
KB_PER_IDLE_CONNECTION = 50


def counts(box: Container) -> tuple[int, int, int]:
    """(hourly values stored, distinct (point, hour) stored, archived packets stored)."""
    with box.reading() as session:
        values = session.scalar(
            select(func.count()).select_from(Measurement).where(Measurement.kind == "hour")
        )
        hours = session.scalar(
            select(func.count()).select_from(
                select(Measurement.point_id, Measurement.data_time).distinct().subquery()
            )
        )
        archived = session.scalar(
            select(func.count()).select_from(RawPacket).where(RawPacket.outcome == "stored")
        )
    return values or 0, hours or 0, archived or 0


def test_a_flooding_device_costs_another_device_nothing_and_nothing_doubles(
    devices: Container,
) -> None:
    """Device 1 sends 600 hours back to back without waiting for answers, and each of them
    twice; device 2 sends 20 hours one by one meanwhile. Every packet is answered, every hour
    stored once."""
    flood = [hourly(h, 1) for h in range(-600, 0)]  # all before the clock: none in the future

    async def scenario(gateway: Gateway) -> tuple[int, int]:
        flooder, steady = await Device.connect(gateway), await Device.connect(gateway)

        async def flooding() -> int:
            await flooder.send(b"".join(flood) + b"".join(flood))
            return sum(1 for p in await flooder.frames(2 * len(flood)) if p.cn == "9014")

        async def steadily() -> int:
            answered = 0
            for hour in range(20):
                await steady.send(hourly(hour, 2))
                answered += (await steady.frame()).cn == "9014"
            return answered

        result = await asyncio.gather(flooding(), steadily())
        await flooder.close()
        await steady.close()
        return result[0], result[1]

    flooded, steady = run_gateway(devices, scenario)
    assert (flooded, steady) == (1200, 20)
    values, hours, archived = counts(devices)
    assert hours == 620, "every hour of both devices once"
    assert values == 4 * 620  # four values an hour: two limited factors, O2 and the flow
    assert archived == 1220, "every packet archived as received"


def _hold_idle(port: int, count: int, pipe: Connection) -> None:
    raise_open_file_limit()

    async def hold() -> None:
        opened = []
        for start in range(0, count, 500):
            opened += await asyncio.gather(
                *(
                    asyncio.open_connection("127.0.0.1", port)
                    for _ in range(min(500, count - start))
                )
            )
        pipe.send(len(opened))
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        for _, writer in opened:
            writer.close()

    asyncio.run(hold())


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_ten_thousand_idle_connections_cost_little_and_a_device_is_still_answered(
    devices: Container,
) -> None:
    if devices.engine.dialect.name != "sqlite":
        pytest.skip("what an idle connection costs does not depend on the database")
    raise_open_file_limit()

    async def scenario(gateway: Gateway) -> tuple[int, float, str]:
        loop = asyncio.get_running_loop()
        gc.collect()
        before = _rss_kib()
        ours, theirs = multiprocessing.Pipe()
        holder = multiprocessing.get_context("spawn").Process(
            target=_hold_idle, args=(gateway.port, IDLE, theirs)
        )
        holder.start()
        try:
            opened = await loop.run_in_executor(None, ours.recv)
            assert opened == IDLE
            await until(lambda: len(gateway.sessions) >= IDLE)
            gc.collect()
            per_connection = (_rss_kib() - before) * 1024 / len(gateway.sessions) / 1000
            device = await Device.connect(gateway)
            await device.send(hourly(0, 1))
            answer = (await device.frame()).cn
            await device.close()
            return len(gateway.sessions), per_connection, answer
        finally:
            ours.send("close")
            await loop.run_in_executor(None, holder.join, 30)

    sessions, per_connection, answer = run_gateway(
        devices, scenario, max_connections=IDLE + 50, max_per_address=IDLE + 50
    )
    assert sessions >= IDLE
    assert per_connection < KB_PER_IDLE_CONNECTION, f"{per_connection:.1f} KB per connection"
    assert answer == "9014" and counts(devices)[1] == 1


def test_a_half_open_connection_is_probed_and_closed_and_what_it_sent_is_kept_once(
    devices: Container,
) -> None:
    """A device sends an hour, then half of the next, then its network goes away without a
    word: its socket is probed by TCP keepalive, the half frame meets its deadline and the
    connection is closed; the answered hour is stored once, the cut frame is archived as
    refused."""
    whole, nxt = hourly(0, 1), hourly(1, 1)

    async def scenario(gateway: Gateway) -> tuple[str, bool, int]:
        device = await Device.connect(gateway)
        await device.send(whole)
        answer = (await device.frame()).cn
        await until(lambda: len(gateway.sessions) == 1)
        (session,) = gateway.sessions
        sock = session._transport.get_extra_info("socket") if session._transport else None
        probed = sock is not None and sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        await device.send(nxt[: len(nxt) // 2])  # ... and nothing more, never a FIN
        closed = await device.closed_by_gateway()
        await device.close()
        return answer, bool(probed) and closed, len(gateway.sessions)

    answer, probed_and_closed, left = run_gateway(devices, scenario, frame_deadline=0.5)
    assert answer == "9014" and probed_and_closed and left == 0
    values, hours, archived = counts(devices)
    assert (hours, archived) == (1, 1)
    with devices.reading() as session:
        cut = session.scalar(
            select(func.count()).select_from(RawPacket).where(RawPacket.outcome != "stored")
        )
    assert cut == 1


def cap_pages(limit: Path, box: Container) -> None:
    """``box``'s SQLite file may grow only as far as the number in ``limit`` says (``PRAGMA
    max_page_count``, read at each transaction's start); 0: no limit. The gateway's writer
    process runs it too (``writer_setup``): it is a module-level function, so it pickles."""

    def cap(conn: Any) -> None:
        pages = int(limit.read_text() or "0")
        conn.exec_driver_sql(f"PRAGMA max_page_count={pages or 2**30}")

    event.listen(box.engine, "begin", cap, insert=True)


@pytest.fixture
def full_disk(devices: Container, tmp_path: Path) -> Path:
    """The SQLite file may grow only as far as the number in the returned file says, here and
    in the gateway's writer process (:func:`cap_pages`): SQLite then fails the write with
    "database or disk is full", as on a full disk."""
    if devices.engine.dialect.name != "sqlite":
        pytest.skip("a full disk is played with SQLite's page limit; PostgreSQL has none")
    limit = tmp_path / "max_pages"
    limit.write_text("0")
    cap_pages(limit, devices)
    return limit


def _fill(box: Container) -> int:
    """Fill the database file up to its current size; its number of pages."""
    database = box.engine.url.database
    assert database is not None
    filler = sqlite3.connect(database, isolation_level=None)
    try:
        filler.execute("CREATE TABLE IF NOT EXISTS filler (junk BLOB)")
        pages = filler.execute("PRAGMA page_count").fetchone()[0]
        filler.execute(f"PRAGMA max_page_count={pages}")
        with contextlib.suppress(sqlite3.OperationalError):  # "database or disk is full"
            while True:
                filler.execute("INSERT INTO filler VALUES (randomblob(200))")
        return int(pages)
    finally:
        filler.close()


def test_on_a_full_disk_what_cannot_be_stored_is_not_answered_and_is_stored_once_later(
    devices: Container, full_disk: Path
) -> None:
    """While the file cannot grow, a packet whose values need a new page is not answered (the
    device keeps it and sends it again); one that fits is answered and stored. Once there is
    space again, what was not answered is sent again: every hour ends up stored once."""
    frames = [hourly(h, 1) for h in range(-10, 0)]

    async def scenario(gateway: Gateway) -> tuple[int, int]:
        full_disk.write_text(str(_fill(devices)))  # not one page more, none of them free
        device = await Device.connect(gateway)
        refused: list[bytes] = []
        for frame in frames:
            await device.send(frame)
            try:
                # silent for 3 s: refused (a loaded machine may answer a stored packet after 1 s)
                answer = await asyncio.wait_for(device.reader.readuntil(b"\r\n"), 3.0)
            except TimeoutError:
                refused.append(frame)
                await device.close()  # the device gives up on this connection
                device = await Device.connect(gateway)
            else:
                assert b"CN=9014" in answer
        full_disk.write_text("0")  # space again
        for frame in refused:
            await device.send(frame)
            assert (await device.frame()).cn == "9014"
        await device.close()
        return len(refused), len(frames)

    refused, sent = run_gateway(devices, scenario, writer_setup=partial(cap_pages, full_disk))
    assert refused > 0, "the full disk refused nothing: the test did not fill it"
    values, hours, archived = counts(devices)
    assert (hours, archived) == (sent, sent), "every hour stored once, archived once"
