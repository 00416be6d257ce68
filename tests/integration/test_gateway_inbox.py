"""The gateway's inbox (issue 13): answers once a batch is durable in the writer's inbox file,
values and alerts stored moments later by the mover; a writer killed at any point loses no
answered packet and stores none twice; data the database refuses is still archived."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.detection.models import Alert
from ecoradar.hj212.gateway import Gateway, GatewayLimits
from ecoradar.hj212.gateway_inbox import hold_inbox, inbox_path
from ecoradar.monitoring.inbox import Inbox, InboxError, InboxMover
from ecoradar.monitoring.models import InboxProgress, RawPacket
from ecoradar.registry.models import MonitoringPoint
from tests.factories import load_small_registry
from tests.integration.test_detection import capture
from tests.integration.test_gateway import Device, devices, hourly, mn_of, run_gateway, until
from tests.integration.test_gateway_faults import counts

__all__ = ["devices"]  # the fixture, shared with test_gateway


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def gated(flag: str, container: Container) -> None:
    """In the writer process: the mover stores nothing until ``flag`` exists."""
    move = InboxMover.move_once

    def move_once(self: InboxMover) -> int:
        return move(self) if Path(flag).exists() else 0

    InboxMover.move_once = move_once  # type: ignore[method-assign]


def killed_at_forget(container: Container) -> None:
    """In the writer process: die (SIGKILL) right after a slice is stored, before the inbox
    forgets it."""

    def forget(self: Inbox, upto: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    Inbox.forget = forget  # type: ignore[method-assign]


def backlog(path: Path) -> int:
    """Batches in the inbox at ``path``, read without claiming it."""
    with contextlib.closing(sqlite3.connect(path)) as raw:
        found: int = raw.execute("SELECT count(*) FROM batches").fetchone()[0]
    return found


async def send_all(gateway: Gateway, frames: list[bytes]) -> int:
    """Send ``frames`` on one connection; the number answered "stored" (9014)."""
    device = await Device.connect(gateway)
    await device.send(b"".join(frames))
    answers = await device.frames(len(frames))
    await device.close()
    return sum(1 for answer in answers if answer.cn == "9014")


def test_values_and_alerts_are_stored_after_the_answer_and_nothing_is_left(
    city: Container,
) -> None:
    frames = [frame + b"\r\n" for frame in capture(hours=30)]  # asking for no answer

    async def scenario(gateway: Gateway) -> None:
        device = await Device.connect(gateway)
        await device.send(b"".join(frames))
        await until(lambda: gateway.batcher.stats.items == len(frames))
        await device.close()

    run_gateway(city, scenario, inbox=True)  # its close stores what the inbox holds
    _, hours, archived = counts(city)
    assert (hours, archived) == (len(frames), len(frames))
    with city.reading() as session:
        alerts = session.execute(select(Alert.kind, Alert.factor, Alert.start, Alert.end)).all()
        progress = session.scalars(select(InboxProgress)).all()
    (exceedance,) = [a for a in alerts if a.kind == "exceedance"]
    assert exceedance.factor == "a21026"
    assert (exceedance.end - exceedance.start).total_seconds() == 3 * 3600
    assert len(progress) == 1, "one inbox, its position stored with the values"
    path = inbox_path(city.settings, 0)
    assert backlog(path) == 0, "the inbox is empty once the gateway has stopped"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_writer_killed_with_its_inbox_full_stores_it_once_on_the_next_start(
    devices: Container, tmp_path: Path
) -> None:
    frames = [hourly(h) for h in range(24)]
    setup = partial(gated, str(tmp_path / "never"))

    async def scenario(gateway: Gateway) -> int:
        answered = await send_all(gateway, frames)
        assert counts(devices) == (0, 0, 0), "answered from the inbox, stored nothing yet"
        for process in gateway.writers[0].processes:  # the inbox's and the mover's
            os.kill(process.pid, signal.SIGKILL)
            await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
        return answered

    assert run_gateway(devices, scenario, inbox=True, writer_setup=setup) == 24
    assert counts(devices) == (0, 0, 0)

    async def idle(gateway: Gateway) -> None:
        await until(lambda: counts(devices)[2] == 24)

    run_gateway(devices, idle, inbox=True)
    _, hours, archived = counts(devices)
    assert (hours, archived) == (24, 24), "every answered packet once"


def test_a_writer_killed_between_storing_a_slice_and_forgetting_it_stores_nothing_twice(
    devices: Container,
) -> None:
    frames = [hourly(h) for h in range(24)]

    async def scenario(gateway: Gateway) -> int:
        answered = await send_all(gateway, frames)
        mover = gateway.writers[0].mover
        assert mover is not None
        process = mover.process
        await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
        assert not process.is_alive(), "killed at the first forget"
        return answered

    assert run_gateway(devices, scenario, inbox=True, writer_setup=killed_at_forget) == 24
    stored_before = counts(devices)[2]
    assert 0 < stored_before <= 24

    async def idle(gateway: Gateway) -> None:
        await until(lambda: counts(devices)[2] >= 24)

    run_gateway(devices, idle, inbox=True)
    assert counts(devices)[1:] == (24, 24), "the stored slice was not stored again"


def test_a_packet_whose_point_went_away_before_it_was_stored_is_still_archived(
    devices: Container, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    frames = [hourly(h, 2) for h in range(3)] + [hourly(h, 1) for h in range(3)]

    async def scenario(gateway: Gateway) -> int:
        answered = await send_all(gateway, frames)
        with devices.transaction() as session:  # device 2's point is deleted meanwhile
            session.execute(delete(MonitoringPoint).where(MonitoringPoint.mn == mn_of(2)))
        flag.touch()
        await until(lambda: counts(devices)[2] == 3)
        return answered

    assert run_gateway(devices, scenario, inbox=True, writer_setup=partial(gated, str(flag))) == 6
    with devices.reading() as session:
        rows = session.execute(
            select(RawPacket.mn, RawPacket.outcome, RawPacket.reason, RawPacket.point_id)
        ).all()
    assert len(rows) == 6, "every answered packet archived"
    refused = [r for r in rows if r.mn == mn_of(2)]
    assert {(r.outcome, r.reason, r.point_id) for r in refused} == {
        ("quarantined", "store_refused", None)
    }
    assert counts(devices)[1] == 3, "device 1's hours stored"


def test_an_inbox_is_held_by_one_gateway_and_belongs_to_one_database(tmp_path: Path) -> None:
    path = tmp_path / "inbox" / "writer-0.sqlite"
    held = hold_inbox(path, "inbox")
    with pytest.raises(InboxError, match="in use by another gateway"):
        hold_inbox(path, "inbox")
    hold_inbox(path, "mover").close()  # each child of a writer holds its own
    held.close()
    hold_inbox(path, "inbox").close()

    inbox = Inbox(path, "sqlite:///a.db")
    generation = inbox.generation
    inbox.append([("frame",)])
    inbox.close()
    with pytest.raises(InboxError, match=r"holds 1 batches not yet stored .*sqlite:///a.db"):
        Inbox(path, "sqlite:///b.db")
    again = Inbox(path, "sqlite:///a.db")
    assert again.generation == generation and again.count() == 1
    again.forget(10)
    again.close()
    moved = Inbox(path, "sqlite:///b.db")  # empty: it may change hands, as a new inbox
    assert moved.generation != generation
    moved.close()


def test_pending_picks_up_after_the_last_item_stored(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "i.sqlite", "owner")
    first = inbox.append([(1,), (2,), (3,)])
    second = inbox.append([(4,)])
    assert inbox.pending((0, -1)) == [(first, [(1,), (2,), (3,)]), (second, [(4,)])]
    assert inbox.pending((first, 1)) == [(first, [(3,)]), (second, [(4,)])]
    assert inbox.pending((first, 2)) == [(second, [(4,)])]
    assert inbox.pending((first, 2), limit=1) == [(second, [(4,)])]
    assert inbox.pending((0, -1), limit=2) == [(first, [(1,), (2,), (3,)])]
    inbox.close()


def test_an_inbox_needs_the_writer_processes(devices: Container) -> None:
    with pytest.raises(ValueError, match="inbox needs"):
        Gateway(devices, GatewayLimits(inbox=True), write=lambda batch: None)


def test_the_gateway_command_refuses_an_inbox_with_a_bus() -> None:
    result = CliRunner().invoke(app, ["gateway", "--inbox", "--bus", "nats://127.0.0.1:4222"])
    assert result.exit_code == 2 and "--inbox" in result.output
