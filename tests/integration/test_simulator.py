"""Simulated data acquisition units over real loopback sockets, against a scripted platform.

The platform here is a small asyncio server written for the tests: it records every frame per
connection, answers uploads (9014, or whatever a test scripts), drops connections, and sends
requests. Simulated clocks run fast; every wait has a short timeout and nothing asserts how long
anything took.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli.simulate import app as simulate_app
from ecoradar.hj212 import (
    STRICT,
    FrameDecoder,
    HJ212Error,
    Packet,
    data_answer,
    decode,
    history_request,
    make_qn,
    request_answer,
    set_time_request,
)
from ecoradar.hj212.codec import encode
from ecoradar.hj212.packet import CST
from ecoradar.monitoring.models import Measurement
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry_service
from ecoradar.registry.models import MonitoringPoint
from ecoradar.simulate.devices import DeviceOptions, Fault, FaultScript, SimClock, VirtualDevice
from ecoradar.simulate.devices_fleet import Fleet
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import FactorProfile, PointProfile, hourly_series, upload
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
START = datetime(2026, 11, 2, 8, 0, tzinfo=CST)
HOUR = timedelta(hours=1)
DATA = frozenset({"2011", "2051", "2061", "2031"})
GAS = PointProfile(
    "0123456789ABCDEF01234567",
    "123456",
    "gas",
    (FactorProfile("a21026", 35.0, 6.0), FactorProfile("a21002", 50.0, 6.0)),
)
WAIT = 10.0  # seconds any one expected event may take before the test fails


@dataclass
class Received:
    connection: int
    packet: Packet
    frame: bytes


@dataclass
class ScriptedPlatform:
    """A scripted HJ 212 platform on 127.0.0.1. ``answer(packet)`` gives the frames to write
    back to an upload (default: a 9014 to every upload with Flag A); ``accepting`` false closes
    new connections at once. Frames it cannot read are kept in ``errors``."""

    answer: Callable[[Packet], list[bytes]] | None = None
    accepting: bool = True
    received: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    port: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[Any]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self.writers:
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        if not self.accepting:
            writer.close()
            return
        self.connections += 1
        number = self.connections
        self.writers.append(writer)
        decoder = FrameDecoder()
        try:
            while data := await reader.read(65536):
                for frame in decoder.feed(data):
                    try:
                        if isinstance(frame, HJ212Error):
                            raise frame
                        packet = decode(frame, STRICT)
                    except HJ212Error as exc:
                        self.errors.append(f"{exc}: {frame!r}")
                        continue
                    async with self._changed:
                        self.received.append(Received(number, packet, frame))
                        self._changed.notify_all()
                    if packet.cn in DATA:
                        for n, reply in enumerate(self._replies(packet)):
                            if n:
                                await asyncio.sleep(0.02)  # let the pieces arrive apart
                            writer.write(reply)
                            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _replies(self, packet: Packet) -> list[bytes]:
        if self.answer is not None:
            return self.answer(packet)
        return [data_answer(packet)] if packet.needs_answer else []

    async def wait_for(
        self, predicate: Callable[[Received], bool], *, after: int = 0, timeout: float = WAIT
    ) -> Received:
        """The first frame from index ``after`` on that matches, waiting for it if need be."""

        async def find() -> Received:
            index = after
            async with self._changed:
                while True:
                    while index < len(self.received):
                        item = self.received[index]
                        index += 1
                        if predicate(item):
                            return item
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def send(self, frame: bytes) -> None:
        """Write ``frame`` on the newest connection."""
        writer = self.writers[-1]
        writer.write(frame)
        await writer.drain()

    def drop(self) -> None:
        """Close the newest connection."""
        self.writers[-1].transport.abort()

    def packets(self, cn: str, connection: int | None = None) -> list[Packet]:
        return [
            r.packet
            for r in self.received
            if r.packet.cn == cn and connection in (None, r.connection)
        ]


def run(scenario: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(scenario, 60))


@asynccontextmanager
async def platform(**kwargs: Any) -> AsyncIterator[ScriptedPlatform]:
    server = ScriptedPlatform(**kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert not server.errors  # every frame the devices sent is strict HJ 212-2017


def options(port: int, **changes: Any) -> DeviceOptions:
    """Fast settings for tests: short answer timeout and backoff."""
    base = DeviceOptions(
        port=port, answer_timeout=2.0, backoff_base=0.02, backoff_cap=0.1, spread_seconds=1.0
    )
    return replace(base, **changes)


@asynccontextmanager
async def running(
    device: VirtualDevice,
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(device.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def device(
    port: int, *, speed: float = 600, start: datetime = START, **changes: Any
) -> VirtualDevice:
    return VirtualDevice(GAS, options(port, **changes), SimClock(start, speed))


def is_data(r: Received) -> bool:
    return r.packet.cn in DATA


def of_kind(cn: str) -> Callable[[Received], bool]:
    return lambda r: r.packet.cn == cn


# --- uploads and answers ---------------------------------------------------------------------


def test_a_device_uploads_every_kind_with_flag_a_and_aligned_data_times() -> None:
    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port, speed=3600, start=START.replace(hour=23, minute=30))
            async with running(dau):
                for cn in ("2011", "2051", "2061", "2031"):
                    await p.wait_for(of_kind(cn))
            steps = {"2011": 30, "2051": 60, "2061": 3600, "2031": 86400}
            for r in p.received:
                packet = r.packet
                assert packet.needs_answer and packet.mn == GAS.mn and packet.st == "31"
                assert packet.data_time is not None
                local = packet.data_time.astimezone(CST)
                seconds = local.hour * 3600 + local.minute * 60 + local.second
                assert seconds % steps[packet.cn] == 0, (packet.cn, local)
            assert dau.stats.answered >= dau.stats.sent - 1 >= 4  # the last may be in flight
            assert dau.stats.retries == dau.stats.unanswered == 0
            qns = [r.packet.qn for r in p.received]
            assert len(set(qns)) == len(qns)

    run(scenario())


def test_answers_split_across_reads_or_merged_with_a_request_are_understood() -> None:
    def answer(packet: Packet) -> list[bytes]:
        reply = data_answer(packet)
        request = encode(
            qn=make_qn(START), st="31", cn="1011", pw=GAS.password, mn=GAS.mn, flag=5, cp={}
        )
        if packet.cn == "2051":
            return [reply + request]  # one write: an answer and a request
        return [reply[:9], reply[9:]]  # an answer in two pieces

    async def scenario() -> None:
        async with platform(answer=answer) as p:
            dau = device(p.port, answer_timeout=WAIT)
            async with running(dau):
                await p.wait_for(lambda r: r.packet.cn == "9012")
                await p.wait_for(lambda r: r.packet.cn == "2051")
                await p.wait_for(lambda r: r.packet.cn == "2011")
                sent = len([r for r in p.received if is_data(r)])
                await p.wait_for(is_data, after=len(p.received))
            assert dau.stats.answered >= sent
            assert dau.stats.retries == 0
            time_answer = p.packets("1011")[0]
            assert "SystemTime" in time_answer.cp

    run(scenario())


def test_an_unanswered_upload_is_sent_again_unchanged() -> None:
    seen: set[str] = set()

    def first_time_silent(packet: Packet) -> list[bytes]:
        if packet.qn in seen:
            return [data_answer(packet)]
        seen.add(packet.qn or "")
        return []

    async def scenario() -> None:
        async with platform(answer=first_time_silent) as p:
            dau = device(p.port, answer_timeout=0.2)
            async with running(dau):
                first = await p.wait_for(is_data)
                again = await p.wait_for(lambda r: r.packet.qn == first.packet.qn, after=1)
                await p.wait_for(is_data, after=p.received.index(again) + 1)
            assert again.frame == first.frame
            assert dau.stats.retries >= 1 and dau.stats.answered >= 1

    run(scenario())


def test_a_device_gives_the_link_up_after_the_retries_and_reconnects() -> None:
    async def scenario() -> None:
        async with platform(answer=lambda packet: []) as p:
            dau = device(p.port, answer_timeout=0.05, retries=2)
            async with running(dau):
                await p.wait_for(lambda r: r.connection == 2)
            first = p.received[0]
            same = [r for r in p.received if r.packet.qn == first.packet.qn]
            assert [r.connection for r in same] == [1, 1, 1]
            assert dau.stats.unanswered >= 1 and dau.stats.reconnects >= 1

    run(scenario())


def test_a_lost_transmission_of_a_fault_script_is_retried() -> None:
    def lose_the_first(device: VirtualDevice, n: int, frame: bytes) -> Fault:
        return Fault.LOSE if n == 1 else Fault.SEND

    async def scenario() -> None:
        async with platform() as p:
            dau = VirtualDevice(
                GAS,
                options(p.port, answer_timeout=1.0),
                SimClock(START, 600),
                script=lose_the_first,
            )
            async with running(dau):
                first = await p.wait_for(is_data)
                await p.wait_for(is_data, after=1)
            assert [r.packet.qn for r in p.received].count(first.packet.qn) == 1
            assert dau.stats.retries >= 1

    run(scenario())


def test_a_refused_device_logs_it_and_gives_up_without_resending() -> None:
    async def scenario() -> None:
        async with platform(answer=lambda packet: [request_answer(packet, 3)]) as p:
            dau = device(p.port)
            async with running(dau) as task:
                await asyncio.wait_for(task, WAIT)
            qns = [r.packet.qn for r in p.received]
            assert len(qns) == len(set(qns)) == 3
            assert dau.stats.refused == 3 and dau.stats.connections == 1
            assert dau.given_up is not None and "QnRtn=3" in dau.given_up

    run(scenario())


# --- drops, reconnection and recovery --------------------------------------------------------


def test_a_dropped_device_reconnects_and_does_not_resend_what_was_answered() -> None:
    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port)
            async with running(dau):
                await p.wait_for(lambda r: r.packet.cn == "2051")
                p.drop()
                await p.wait_for(lambda r: r.connection == 2 and r.packet.cn == "2051")
            assert dau.stats.reconnects == 1 and dau.stats.drops == 1
            before = {(r.packet.cn, r.packet.data_time) for r in p.received if r.connection == 1}
            after = {(r.packet.cn, r.packet.data_time) for r in p.received if r.connection == 2}
            assert not before & after

    run(scenario())


def test_drop_every_cuts_each_connection_after_that_many_uploads() -> None:
    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port, drop_every=3)
            async with running(dau):
                await p.wait_for(lambda r: r.connection == 4)
            for number in (1, 2, 3):
                assert len([r for r in p.received if r.connection == number]) == 3
            assert dau.stats.reconnects >= 3

    run(scenario())


def test_a_history_request_gets_9011_the_hourly_packets_and_9012() -> None:
    begin, end = START - 5 * HOUR, START - 3 * HOUR

    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port, seed=7)
            async with running(dau):
                await p.wait_for(is_data)
                qn = make_qn(START - HOUR)
                mark = len(p.received)
                await p.send(
                    history_request(
                        cn="2061", st="31", pw=GAS.password, mn=GAS.mn, qn=qn, begin=begin, end=end
                    )
                )
                ready = await p.wait_for(lambda r: r.packet.cn == "9011", after=mark)
                done = await p.wait_for(lambda r: r.packet.cn == "9012", after=mark)
            assert ready.packet.qn == done.packet.qn == qn
            assert (ready.packet.st, ready.packet.cp) == ("91", {"QnRtn": "1"})
            assert done.packet.cp == {"ExeRtn": "1"}
            first, last = p.received.index(ready), p.received.index(done)
            recovered = [
                r.packet
                for r in p.received[first:last]
                if r.packet.cn == "2061"
                and r.packet.data_time is not None
                and r.packet.data_time <= end
            ]
            expected = [decode(f) for f in hourly_series(GAS, begin, 3, seed=7)]
            assert [x.data_time for x in recovered] == [x.data_time for x in expected]
            assert [x.items for x in recovered] == [x.items for x in expected]
            assert all(x.needs_answer for x in recovered)
            assert dau.stats.recovery_requests == 1 and dau.stats.recovered == 3

    run(scenario())


def test_the_platform_recovers_the_hours_missed_while_a_device_was_away() -> None:
    def hours(p: ScriptedPlatform, connection: int) -> list[datetime]:
        return [x.data_time for x in p.packets("2061", connection) if x.data_time is not None]

    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port, speed=36_000, rtd_seconds=0, minute_seconds=0, seed=11)
            async with running(dau):
                await p.wait_for(lambda r: r.packet.cn == "2061")
                p.accepting = False
                p.drop()
                while dau.now() < START + 4 * HOUR:  # hours pass while the device is away
                    await asyncio.sleep(0.01)
                p.accepting = True
                await p.wait_for(lambda r: r.connection == 2 and r.packet.cn == "2061")
                begin, end = max(hours(p, 1)) + HOUR, min(hours(p, 2)) - HOUR
                qn, mark = make_qn(START), len(p.received)
                await p.send(
                    history_request(
                        cn="2061", st="31", pw=GAS.password, mn=GAS.mn, qn=qn, begin=begin, end=end
                    )
                )
                await p.wait_for(lambda r: r.packet.cn == "9012" and r.packet.qn == qn, after=mark)
            recovered = [
                r.packet
                for r in p.received[mark:]
                if r.packet.cn == "2061" and begin <= (r.packet.data_time or START) <= end
            ]
            count = (end - begin) // HOUR + 1
            assert count >= 2
            assert [x.data_time for x in recovered] == [begin + h * HOUR for h in range(count)]
            expected = hourly_series(GAS, begin, count, seed=11)
            assert [x.items for x in recovered] == [decode(f).items for f in expected]
            every = sorted({x.data_time for x in p.packets("2061") if x.data_time is not None})
            assert every == [every[0] + h * HOUR for h in range(len(every))]  # no gap left

    run(scenario())


def test_set_time_moves_the_device_clock_and_its_data_times() -> None:
    target = START + timedelta(days=10)

    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port)
            async with running(dau):
                await p.wait_for(is_data)
                qn = make_qn(START)
                mark = len(p.received)
                await p.send(
                    set_time_request(st="31", pw=GAS.password, mn=GAS.mn, qn=qn, system_time=target)
                )
                ready = await p.wait_for(lambda r: r.packet.cn == "9011", after=mark)
                done = await p.wait_for(lambda r: r.packet.cn == "9012", after=mark)
                later = await p.wait_for(
                    lambda r: (
                        r.packet.cn == "2011"
                        and r.packet.data_time is not None
                        and r.packet.data_time >= target
                    ),
                    after=mark,
                )
            assert ready.packet.qn == done.packet.qn == qn
            assert ready.packet.cp == {"QnRtn": "1"} and done.packet.cp == {"ExeRtn": "1"}
            assert (later.packet.qn or "") >= make_qn(target)
            assert dau.stats.time_sets == 1

    run(scenario())


def test_a_request_with_a_wrong_password_is_refused() -> None:
    async def scenario() -> None:
        async with platform() as p:
            dau = device(p.port)
            async with running(dau):
                await p.wait_for(is_data)
                mark = len(p.received)
                await p.send(
                    history_request(
                        cn="2061",
                        st="31",
                        pw="999999",
                        mn=GAS.mn,
                        qn=make_qn(START),
                        begin=START - 2 * HOUR,
                        end=START - HOUR,
                    )
                )
                refusal = await p.wait_for(lambda r: r.packet.cn == "9011", after=mark)
            assert refusal.packet.cp == {"QnRtn": "3"}
            assert dau.stats.recovered == 0

    run(scenario())


# --- many devices ----------------------------------------------------------------------------


def test_a_fleet_of_two_hundred_devices_runs_in_one_process() -> None:
    water = (FactorProfile("w01018", 50.0), FactorProfile("w21003", 5.0))
    profiles = [
        PointProfile(f"{n:024X}", "123456", "water", water)
        if n % 2
        else PointProfile(f"{n:024X}", "123456", "gas", GAS.factors)
        for n in range(200)
    ]

    async def scenario() -> None:
        async with platform() as p:
            fleet = Fleet(profiles, options(p.port), SimClock(START, 600), ramp_up=0.2)
            runner = asyncio.create_task(fleet.run())
            try:
                async with asyncio.timeout(WAIT):
                    while not all(d.stats.answered for d in fleet.devices):
                        await asyncio.sleep(0.01)
            finally:
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
            assert {r.packet.mn for r in p.received} == {x.mn for x in profiles}
            totals = fleet.totals()
            assert totals.connections == len(profiles)
            assert totals.answered >= len(profiles)
            assert not fleet.given_up

    run(scenario())


# --- the command -----------------------------------------------------------------------------


class PlatformThread:
    """A scripted platform on its own event loop, for a command that runs ``asyncio.run``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.platform = ScriptedPlatform()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ScriptedPlatform:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.platform.start(), self.loop).result(WAIT)
        return self.platform

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.platform.close(), self.loop).result(WAIT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)
        self.loop.close()


X, Y = 120.25, 30.5  # inside grid G1 of china_city()


def mn_of(serial: int) -> str:
    return f"0123456789AB{serial:012X}"


@pytest.fixture
def registry(container: Container, cli_env: dict[str, str], tmp_path: Path) -> list[str]:
    """Three gas points in the database the command uses; their MNs in order."""
    register_points(container, tmp_path, 3)
    return [mn_of(n) for n in (1, 2, 3)]


def test_the_devices_command_runs_the_registry_points_and_prints_a_summary(
    registry: list[str],
) -> None:
    with PlatformThread() as p:
        result = CliRunner().invoke(
            simulate_app,
            [
                "devices",
                "--count",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(p.port),
                "--speed",
                "600",
                "--duration",
                "1.5",
                "--start",
                "2026-11-02T08:00",
            ],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.stderr
    assert "2 simulated devices" in result.stdout
    assert "recovery requests served" in result.stdout
    assert {r.packet.mn for r in p.received} == set(registry[:2])
    assert all(
        r.packet.data_time is not None and r.packet.data_time >= START - 2 * HOUR
        for r in p.received
    )


def devices_at_speed(port: int, *options: str) -> None:
    result = CliRunner().invoke(
        simulate_app,
        ["devices", "--count", "1", "--host", "127.0.0.1", "--port", str(port), *options],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr


def test_at_speed_the_devices_replay_up_to_now_and_never_send_the_platforms_future(
    registry: list[str],
) -> None:
    """The platform runs on real time here: at 7200 times an hour passes in half a second,
    then the devices go on at real pace; with only --duration they replay up to now."""
    began = datetime.now(CST)
    an_hour_ago = (began - HOUR).isoformat(timespec="seconds")
    with PlatformThread() as p:
        devices_at_speed(p.port, "--speed", "7200", "--duration", "2", "--start", an_hour_ago)
    ended = datetime.now(CST)
    times = [r.packet.data_time for r in p.received if r.packet.data_time is not None]
    assert times and min(times) < began - HOUR / 2  # it did replay the past hour
    assert max(times) <= ended  # 2 s at 7200 times would have been 3 hours ahead
    with PlatformThread() as p:
        devices_at_speed(p.port, "--speed", "3600", "--duration", "1", "--rtd-seconds", "0")
    times = [r.packet.data_time for r in p.received if r.packet.data_time is not None]
    assert times and min(times) < began - HOUR / 2 and max(times) <= datetime.now(CST)


def test_the_devices_command_has_help() -> None:
    result = CliRunner().invoke(simulate_app, ["devices", "--help"])
    assert result.exit_code == 0
    for option in (
        "--count",
        "--host",
        "--port",
        "--speed",
        "--start",
        "--duration",
        "--rtd-seconds",
        "--drop-every",
    ):
        assert option in result.stdout


def test_the_devices_command_refuses_a_bad_start(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(simulate_app, ["devices", "--start", "yesterday"])
    assert result.exit_code == 1
    assert "--start" in result.stderr


# --- against the real gateway ----------------------------------------------------------------


def register_points(box: Container, directory: Path, count: int) -> None:
    """``count`` enterprises with one gas point each (password 123456) in ``box``'s database."""
    features = regions.read_regions_file(write_json(directory / "city.geojson", china_city()))
    enterprises = write_csv(
        directory / "e.csv",
        ENTERPRISE_HEADER,
        [enterprise_row(n, X, Y) for n in range(1, count + 1)],
    )
    rows = [row + ["123456"] for n in range(1, count + 1) for row in gas_rows(n, mn_of(n))]
    points = write_csv(directory / "p.csv", [*POINT_HEADER, "password"], rows)
    with box.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=box.clock.now()
        )
    with box.transaction() as session:
        registry_service.import_registry(
            session=session,
            enterprises=enterprises,
            points=points,
            regions=box.regions,
            now=box.clock.now(),
        )


def stored_hours(box: Container) -> dict[str, set[datetime]]:
    """Hourly DataTimes stored per MN (SO2 rows)."""
    with box.transaction() as session:
        rows = session.execute(
            select(MonitoringPoint.mn, Measurement.data_time)
            .join(Measurement, Measurement.point_id == MonitoringPoint.id)
            .where(Measurement.kind == "hour", Measurement.factor == "a21026")
        )
        found: dict[str, set[datetime]] = {}
        for mn, data_time in rows:
            found.setdefault(mn, set()).add(data_time)
        return found


def gateway_run(
    box: Container,
    clock: SimClock,
    done: Callable[[dict[str, set[datetime]]], bool],
    *,
    script: FaultScript | None = None,
    **changes: Any,
) -> Fleet:
    """Run a device per registered point against a real gateway until ``done(stored hours)``."""
    gateway_module = pytest.importorskip("ecoradar.hj212.gateway")
    with box.transaction() as session:
        profiles = load_profiles(session)

    async def scenario() -> Fleet:
        gateway = gateway_module.Gateway(box, gateway_module.GatewayLimits(directory_refresh=None))
        await gateway.start("127.0.0.1", 0)
        settings = options(gateway.port, rtd_seconds=0, **changes)
        fleet = Fleet(profiles, settings, clock, script=script, ramp_up=0.1)
        runner = asyncio.create_task(fleet.run())
        found: dict[str, set[datetime]] = {}
        try:
            async with asyncio.timeout(30):
                while not done(found := await asyncio.to_thread(stored_hours, box)):
                    await asyncio.sleep(0.1)
        except TimeoutError:
            hours = {mn: sorted(h.isoformat() for h in v) for mn, v in found.items()}
            pytest.fail(
                f"not done in 30 s: device time {clock.now().isoformat()}, gateway time "
                f"{box.clock.now().isoformat()}, writers alive "
                f"{[w.writer.alive() for w in gateway.writers]}, "
                f"counters {gateway.counters.totals} {gateway.counters.reasons}, "
                f"fleet {fleet.totals()}, stored {hours}"
            )
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            await gateway.close()
        return fleet

    return run(scenario())


def no_gap(hours: set[datetime], at_least: int) -> bool:
    ordered = sorted(hours)
    return len(ordered) >= at_least and ordered[-1] - ordered[0] == (len(ordered) - 1) * HOUR


def test_twenty_devices_store_their_hourly_values_through_the_real_gateway(
    container: Container, tmp_path: Path
) -> None:
    register_points(container, tmp_path, 20)
    first = datetime(2026, 11, 2, 3, 0, tzinfo=CST)  # the gateway's clock says 09:00 CST
    fleet = gateway_run(
        container,
        SimClock(first, 7200),
        lambda found: len(found) == 20 and all(len(h) >= 3 for h in found.values()),
        minute_seconds=600,
        seed=5,
    )
    assert fleet.totals().refused == 0 and not fleet.given_up
    one = fleet.devices[0].profile
    with container.transaction() as session:
        rows = session.execute(
            select(Measurement.data_time, Measurement.zs_avg)
            .join(MonitoringPoint, Measurement.point_id == MonitoringPoint.id)
            .where(
                MonitoringPoint.mn == one.mn,
                Measurement.kind == "hour",
                Measurement.factor == "a21026",
            )
        )
        stored = dict(rows.all())
    assert len(stored) >= 3
    for data_time, value in stored.items():
        sent = decode(upload(one, "2061", data_time, seed=5))
        assert value == float(sent.items["a21026"]["ZsAvg"])


def test_an_hour_lost_in_a_drop_is_asked_for_by_the_real_gateway_and_stored(
    container: Container, tmp_path: Path
) -> None:
    register_points(container, tmp_path, 6)
    first = datetime(2026, 11, 2, 3, 0, tzinfo=CST)
    unlucky = {mn_of(n) for n in (1, 3, 5)}
    hourly: dict[str, int] = {}
    lost: dict[str, datetime | None] = {}

    def lose_the_second_hour(device: VirtualDevice, n: int, frame: bytes) -> Fault:
        """The second hourly upload of some devices is never sent: the connection drops
        instead, the device reconnects and that hour is history, for the gateway to ask for."""
        if device.mn in unlucky and device.mn not in lost and b"CN=2061;" in frame:
            hourly[device.mn] = hourly.get(device.mn, 0) + 1
            if hourly[device.mn] == 2:
                lost[device.mn] = decode(frame).data_time
                return Fault.DROP
        return Fault.SEND

    def recovered(found: dict[str, set[datetime]]) -> bool:
        return (
            len(found) == 6
            and all(no_gap(hours, 3) for hours in found.values())
            and set(lost) == unlucky
            and all(lost[mn] in found[mn] for mn in unlucky)
        )

    fleet = gateway_run(
        container,
        SimClock(first, 7200),
        recovered,
        script=lose_the_second_hour,
        minute_seconds=0,
        seed=8,
    )
    assert {d.mn for d in fleet.devices if d.stats.recovered} == unlucky
    assert fleet.totals().reconnects >= 3
