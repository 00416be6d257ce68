"""The HJ 212 gateway: an asyncio TCP server for data acquisition units (数采仪).

Three layers (design anchor 4): the pure codec (:mod:`ecoradar.hj212.frame` cuts the stream,
:mod:`ecoradar.hj212.codec` decodes); the per-connection protocol
(:class:`~ecoradar.hj212.gateway_session.DeviceSession`: framing, limits, idle timeout, answers
in order); and the handler, :meth:`Gateway.handle`, which decides the answers
(:mod:`ecoradar.hj212.gateway_rules`), platform commands (1012 set time, 2061 history) and
counters once a frame is durably stored.

A frame is judged by the shared :class:`~ecoradar.monitoring.pipeline.Intake` (decode with the
device's options, authenticate by MN and password), archived and stored through the
:class:`~ecoradar.monitoring.batcher.Batcher`, and answered only after its transaction has
committed (HJ 212-2017 §6.1, §6.2: a device that is not answered sends again, and storage is
idempotent on MN, CN, DataTime and factor, so a repeat costs one archive row).

Durability: answers wait for the commit, and on SQLite the gateway's engine syncs the WAL at
every commit (``synchronous=FULL``, see :mod:`ecoradar.hj212.gateway_process`). The writes and
detection run in a child process (:mod:`ecoradar.hj212.gateway_writer`), so the event loop does
not share its interpreter lock with them.

Across machines (``bus``, :mod:`ecoradar.bus`): a batch is published to NATS JetStream instead,
and answered once JetStream has acknowledged it; ``ecoradar worker`` processes detect and write.
The gateway then reads the database (registry, latest hours) and writes nothing to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from typing import TYPE_CHECKING

from ecoradar.bootstrap import Container
from ecoradar.hj212.codec import decode
from ecoradar.hj212.codes import Command
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.gateway_limits import (
    GatewayCounters,
    GatewayLimits,
    PeerGuard,
    Rate,
)
from ecoradar.hj212.gateway_process import prepare_process, require_full_sync
from ecoradar.hj212.gateway_recovery import Gap, GapTracker, latest_hours
from ecoradar.hj212.gateway_rules import REFUSED, answers, refusal
from ecoradar.hj212.gateway_session import DeviceSession, SessionLimits
from ecoradar.hj212.gateway_writer import Setup, WriterProcess, inbox_path
from ecoradar.hj212.packet import LENIENT, Packet, make_qn
from ecoradar.hj212.replies import history_request, set_time_request
from ecoradar.monitoring.batcher import Batcher, Write
from ecoradar.monitoring.intake import Verdict, peek_mn
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.store import Received

if TYPE_CHECKING:
    from ecoradar.bus.publisher import BusPublisher

log = logging.getLogger(__name__)

__all__ = [
    "Gateway",
    "GatewayCounters",
    "GatewayLimits",
    "Rate",
    "prepare_process",
    "require_full_sync",
]

DEFAULT_BACKLOG = 1024
"""Pending TCP connections the kernel queues (thousands of devices reconnect at once after an
outage of the platform)."""
OFFLINE_SWEEP = 60.0
"""Seconds between looks for devices that stopped sending hourly data (live ``offline``)."""
HISTORY_COMMAND = Command.HOURLY_DATA


class Gateway:
    """The server, the shared writer, gap recovery, commands to devices and counters.

    Build it (this reads the registry and the latest stored hours), then ``await start()`` in
    the loop that will run it, and ``await close()`` at the end.
    """

    def __init__(
        self,
        container: Container,
        limits: GatewayLimits | None = None,
        *,
        write: Write | None = None,
        full_sync: bool = True,
        writer_process: bool = True,
        writer_setup: Setup | None = None,
        bus: BusPublisher | None = None,
    ) -> None:
        self.container = container
        self.limits = limits or GatewayLimits()
        self.clock = container.clock
        self.bus = bus
        """Batches published to NATS JetStream (workers detect and write); ``None``: written
        here (embedded)."""
        synced = full_sync and bus is None and require_full_sync(container.engine)
        in_process = write is None and bus is None
        count = 0
        if in_process and writer_process:
            count = self.limits.writers
        if self.limits.inbox and not count:
            raise ValueError("an inbox needs the gateway's writer processes (no bus, no write)")
        self.writers = [
            WriterProcess(
                container,
                full_sync=synced,
                setup=writer_setup,
                inbox=inbox_path(container.settings, index) if self.limits.inbox else None,
            )
            for index in range(count)
        ]
        """Writes (and detection) in child processes, each for the devices whose MN falls to
        it (:meth:`submit`); none: in this process's writer thread (``write`` given, or
        ``writer_process=False``), or by workers (``bus``)."""
        self.writer = self.writers[0] if self.writers else None
        detect = not self.writers and bus is None
        self.intake = Intake(container, mode="live", detect=detect)
        with container.reading() as session:
            self.recovery = GapTracker(latest_hours(session))
        sinks: list[Write] = list(self.writers) or [write or bus or self.intake.write]
        self.batchers = [
            Batcher(sink, max_items=self.limits.batch_items, max_delay=self.limits.batch_delay)
            for sink in sinks
        ]
        """One group commit per writer: a device's packets always go to the same one, in
        order."""
        self.batcher = self.batchers[0]
        self.counters = GatewayCounters()
        self.guard = PeerGuard(self.limits, self.counters.totals)
        self.sessions: set[DeviceSession] = set()
        self._by_mn: dict[str, DeviceSession] = {}
        self._server: asyncio.Server | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._last_qn = 0
        self.accepting = False

    # -- life cycle --------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port`` (0 picks a free port, see :attr:`port`)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, w.start) for w in self.writers))
        if self.bus is not None:
            await self.bus.start()
        for batcher in self.batchers:
            batcher.start()
        limits = SessionLimits(
            max_frame=self.limits.max_frame,
            idle_timeout=self.limits.idle_timeout,
            frame_deadline=self.limits.frame_deadline,
        )
        self._server = await loop.create_server(
            lambda: DeviceSession(self, limits), host, port, backlog=DEFAULT_BACKLOG
        )
        self.accepting = True
        if self.limits.directory_refresh:
            self._refresh = asyncio.create_task(self._refresh_directory())
        if self.bus is None:  # else the workers sweep
            self._sweeper = asyncio.create_task(self._sweep_offline())
        log.info("HJ 212 gateway listening on %s", ", ".join(self.addresses))

    @property
    def addresses(self) -> list[str]:
        if self._server is None:
            return []
        return [f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in self._server.sockets]

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the gateway is not listening")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Stop listening, store and answer what was received, then close every connection."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for task in (self._refresh, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.gather(*(batcher.drain() for batcher in self.batchers))
        for session in list(self.sessions):
            session.close()
        for _ in range(3):
            await asyncio.sleep(0)  # connection_lost: cut frames are archived too
        await asyncio.gather(*(batcher.close() for batcher in self.batchers))
        loop = asyncio.get_running_loop()
        for writer in self.writers:
            await loop.run_in_executor(None, writer.close)
        if self.bus is not None:
            await self.bus.close()
        self.accepting = False
        log.info("HJ 212 gateway stopped")

    async def _refresh_directory(self) -> None:
        assert self.limits.directory_refresh is not None
        while True:
            await asyncio.sleep(self.limits.directory_refresh)
            try:  # in each writer's thread: never while a write uses the detection state
                await self.batcher.run_in_worker(self.intake.reload_directory)
                for batcher, writer in zip(self.batchers, self.writers, strict=False):
                    await batcher.run_in_worker(writer.reload)
            except Exception:
                log.exception("reloading the device directory failed; keeping the old one")

    async def _sweep_offline(self) -> None:
        """Open ``offline`` alerts for devices whose hourly data stopped (by the clock)."""
        while True:
            await asyncio.sleep(OFFLINE_SWEEP)
            try:  # in the writer's thread, like every use of the detection state (one writer
                # sweeps: the sweep reads every point's newest hour from the store)
                await self.batcher.run_in_worker(
                    self.writer.sweep if self.writer else self.intake.sweep
                )
            except Exception:
                log.exception("the offline sweep failed; trying again later")

    # -- called by sessions ------------------------------------------------------------------

    def submit(self, received: Received) -> asyncio.Future[None]:
        """Hand ``received`` to its writer's group commit; the future resolves once stored."""
        return self.batchers[self.shard(received.verdict.mn)].submit(received)

    def shard(self, mn: str | None) -> int:
        """The writer (index into :attr:`batchers`) of the device ``mn``: always the same one,
        so a device's values are stored and judged in the order they came, as with one
        writer. Frames without an MN go to the first."""
        count = len(self.batchers)
        if count == 1 or not mn:
            return 0
        return zlib.crc32(mn.encode()) % count

    def admit(self, session: DeviceSession) -> bool:
        """A new connection: whether it may stay (the connection limits, in all and from its
        address)."""
        if not self.guard.admit(session.peer, session.address, len(self.sessions)):
            return False
        self.sessions.add(session)
        self.counters.totals["connections"] += 1
        return True

    def forget(self, session: DeviceSession) -> None:
        if session not in self.sessions:
            return  # never admitted
        self.sessions.discard(session)
        self.guard.release(session.address)
        for mn in session.mns:
            if self._by_mn.get(mn) is session:
                del self._by_mn[mn]

    def archives(self, session: DeviceSession, received: Received) -> bool:
        """Whether ``received`` is archived: an accepted packet always; a refused frame within
        the archive limits of its address, its MN and the gateway (else counted only)."""
        verdict = received.verdict
        if verdict.outcome not in REFUSED:
            return True
        now = self.clock.now().timestamp()
        return self.guard.archive(session.peer, session.address, verdict.mn, now)

    def judge(self, session: DeviceSession, frame: bytes) -> Received:
        """Decode and authenticate ``frame``; an authenticated MN is bound to ``session``."""
        now = self.clock.now()
        try:
            received = self.intake.judge(frame, session.peer, now)
        except Exception as exc:  # a bug must not cost the connection, nor the frame's archive
            log.exception("judging a frame from %s failed", session.peer)
            detail = f"internal error: {exc!r}"[:500]
            verdict = Verdict("refused", peek_mn(frame), reason="internal_error", detail=detail)
            return Received(frame, session.peer, now, verdict)
        verdict = received.verdict
        if verdict.device is not None and verdict.outcome not in REFUSED:
            mn = verdict.device.mn
            if mn not in session.mns:
                session.mns.add(mn)
            self._by_mn[mn] = session
        return received

    def send_command(self, mn: str, frame: bytes) -> bool:
        """Send ``frame`` to the latest connection of device ``mn``; whether it is connected."""
        session = self._by_mn.get(mn)
        if session is None or not session.send(frame):
            return False
        self.counters.totals["commands"] += 1
        self.counters.device(mn)["commands"] += 1
        return True

    def next_qn(self) -> str:
        """A QN for a platform request: the clock's, made unique and increasing (§6.3.2)."""
        qn = max(int(make_qn(self.clock.now())), self._last_qn + 1)
        self._last_qn = qn
        return f"{qn:017d}"

    def write_failed(
        self, session: DeviceSession, received: Received, error: BaseException
    ) -> None:
        """Storing ``received`` failed: it is not answered (the device will send it again)."""
        mn = received.verdict.mn
        self.counters.totals["write_failed"] += 1
        self.counters.device(mn)["write_failed"] += 1
        log.error("packet from %s MN=%s not stored, not answered: %s", session.peer, mn, error)

    def handle(
        self, session: DeviceSession, received: Received, *, archived: bool = True
    ) -> list[bytes]:
        """The handler: ``received`` is durably stored (or, ``archived`` false, a refused frame
        beyond the archive limits); what to send back, in order."""
        verdict = received.verdict
        counters = self.counters
        counters.totals["frames"] += 1
        counters.device(verdict.mn)[verdict.outcome] += 1
        packet, device = verdict.packet, verdict.device
        if packet is None or device is None or verdict.outcome in REFUSED:
            counters.reasons[verdict.reason or "unknown"] += 1
            if archived:  # beyond the archive limits: counted, and logged rarely (archives)
                log.warning(
                    "%s from %s MN=%s: %s (%s)",
                    verdict.outcome,
                    session.peer,
                    verdict.mn,
                    verdict.reason,
                    verdict.detail,
                )
            if not received.frame:
                return []  # garbage or a cut frame: nobody to answer
            out = refusal(verdict, received.frame, self._codec_error(received))
            counters.totals["answers"] += len(out)
            return out
        out = answers(packet)
        counters.totals["answers"] += len(out)
        now = self.clock.now()
        point = device.point_id
        gap: Gap | None = None
        if packet.cn not in ("9011", "9012", "9013", "9014"):
            session.identities[packet.mn] = packet
        if point not in session.points:
            session.points.add(point)
            gap = self.recovery.reconnected(point, now)
        if packet.cn in ("9011", "9012"):
            if self.recovery.answered(point, packet.cn, packet.qn, packet.cp):
                log.info("MN=%s finished a history upload (%s %s)", packet.mn, packet.cn, packet.cp)
                gap = self.recovery.next_due(point, now)
        elif packet.cn == Command.TIME_CALIBRATION_REQUEST:
            out.append(self._set_time(packet))
        elif packet.cn == HISTORY_COMMAND and verdict.outcome == "stored" and packet.data_time:
            gap = self.recovery.stored_hour(point, packet.data_time, now) or gap
        if gap is not None:
            request = self._history(session, packet.mn, point, gap)
            if request is not None:
                out.append(request)
        return out

    # -- commands --------------------------------------------------------------------------

    def _set_time(self, notice: Packet) -> bytes:
        """1012 after a 1013 request: the platform time as SystemTime (tables C.3, C.4)."""
        self.counters.totals["set_time_requests"] += 1
        self.counters.device(notice.mn)["commands"] += 1
        return set_time_request(
            st=notice.st,
            pw=notice.pw,
            mn=notice.mn,
            qn=self.next_qn(),
            system_time=self.clock.now(),
            pol_id=notice.cp.get("PolId"),
            edition=notice.edition,
        )

    def _history(self, session: DeviceSession, mn: str, point: int, gap: Gap) -> bytes | None:
        """2061 with BeginTime/EndTime for ``gap`` (tables C.47 to C.50)."""
        identity = session.identities.get(mn)
        if identity is None:
            return None  # no upload seen on this connection yet: ST and PW unknown
        qn = self.next_qn()
        frame = history_request(
            cn=HISTORY_COMMAND,
            st=identity.st,
            pw=identity.pw,
            mn=mn,
            qn=qn,
            begin=gap.begin,
            end=gap.end,
            edition=identity.edition,
        )
        self.recovery.asked(point, gap, qn, self.clock.now())
        self.counters.totals["history_requests"] += 1
        self.counters.device(mn)["commands"] += 1
        log.info(
            "asking MN=%s for %d missing hours %s .. %s (attempt %d, QN %s)",
            mn,
            gap.hours,
            gap.begin.isoformat(),
            gap.end.isoformat(),
            gap.attempts,
            qn,
        )
        return frame

    def _codec_error(self, received: Received) -> HJ212Error | None:
        """The codec's refusal of a refused frame again, with the field at fault (for QnRtn)."""
        verdict = received.verdict
        if verdict.outcome != "refused":
            return None
        options = verdict.device.options if verdict.device is not None else LENIENT
        try:
            decode(received.frame, options)
        except HJ212Error as exc:
            return exc
        return None  # decoded: refused later (e.g. by the reassembler)
