"""Virtual data acquisition units (数采仪) that speak HJ 212-2017 to a platform over TCP.

Each :class:`VirtualDevice` is one asyncio task (thousands fit in one process). It connects,
uploads real-time (2011), minute (2051), hourly (2061) and daily (2031) data with DataTime at
the interval start in China time, waits for the 9014 answer of each upload (§6.2: re-sends the
same packet after a timeout, gives the link up after the retries of table 1) and reconnects with
exponential backoff and jitter. While connected it answers the platform's requests: history
recovery (2051/2061/2031 with BeginTime/EndTime: 9011, the uploads, 9012), set time (1012),
get time (1011), start and stop real-time data (2011, 2012).

A real logger keeps its history and the platform asks for what it missed: intervals that fall
due while the device is disconnected are not sent on reconnection but served on request,
regenerated from the seed (:func:`ecoradar.simulate.traffic.upload`), so they carry the values
the device would have sent. :class:`~ecoradar.simulate.devices_fleet.Fleet` runs many devices;
:class:`Fault`, ``script`` and :meth:`VirtualDevice.drop` inject faults for demos and tests.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from ecoradar.hj212.codec import decode
from ecoradar.hj212.codes import Command, QnRtn
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.frame import FrameDecoder
from ecoradar.hj212.packet import Packet, make_qn
from ecoradar.simulate.devices_config import DeviceOptions, DeviceStats, Fault
from ecoradar.simulate.devices_requests import (
    DeviceState,
    Recover,
    Reply,
    SetClock,
    answer,
)
from ecoradar.simulate.devices_schedule import Schedule, SimClock, Stream, backoff_delay
from ecoradar.simulate.traffic import (
    CN_DAY,
    CN_HOUR,
    CN_MINUTE,
    CN_REALTIME,
    PointProfile,
    upload,
)

log = logging.getLogger(__name__)

FaultScript = Callable[["VirtualDevice", int, bytes], Fault]
"""``script(device, n, frame)``: the fate of the device's ``n``-th transmission (from 1,
re-sends included)."""

_READ_SIZE = 65536
_ANSWERS = frozenset(
    {Command.REQUEST_ANSWER, Command.EXECUTION_RESULT, Command.NOTIFY_ANSWER, Command.DATA_ANSWER}
)
_QN_RTN_NAMES = {str(int(code)): code.name.lower().replace("_", " ") for code in QnRtn}


class _LinkDown(Exception):
    """The connection is unusable or must be dropped; the device reconnects."""


class VirtualDevice:
    """One data acquisition unit of one monitoring point. :meth:`run` until cancelled."""

    def __init__(
        self,
        profile: PointProfile,
        options: DeviceOptions,
        clock: SimClock,
        *,
        script: FaultScript | None = None,
    ) -> None:
        self.profile = profile
        self.options = options
        self.clock = clock
        self.script = script
        self.stats = DeviceStats()
        self.offset = timedelta(0)
        """Device clock minus simulated clock, changed by set-time requests (1012)."""
        self.realtime = True
        """Real-time uploads on (2011 request) or off (2012 notice)."""
        self.given_up: str | None = None
        self._rng = random.Random(f"{options.seed}:{profile.mn}:device")
        lag = timedelta(seconds=self._rng.uniform(0, options.spread_seconds))
        streams = [
            Stream(CN_HOUR, timedelta(hours=1), True, lag),
            Stream(CN_DAY, timedelta(days=1), True, lag),
        ]
        if options.minute_seconds > 0:
            streams.append(Stream(CN_MINUTE, self._minute_step, True, lag))
        if options.rtd_seconds > 0:
            streams.append(Stream(CN_REALTIME, timedelta(seconds=options.rtd_seconds), False, lag))
        self._schedule = Schedule(streams)
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[Packet]] = {}
        self._lock = asyncio.Lock()
        self._requests: set[asyncio.Task[None]] = set()
        self._sleeper: asyncio.Future[None] | None = None
        self._last_qn: datetime | None = None
        self._transmissions = 0
        self._link_uploads = 0
        self._link_answers = 0
        self._refusals = 0

    @property
    def mn(self) -> str:
        return self.profile.mn

    @property
    def _minute_step(self) -> timedelta:
        return timedelta(seconds=self.options.minute_seconds or 60)

    def now(self) -> datetime:
        """The device's clock: simulated time plus the offset set by the platform."""
        return self.clock.now() + self.offset

    def drop(self) -> None:
        """Drop the current connection now, like a modem losing its carrier."""
        if self._writer is not None:
            self._writer.transport.abort()

    async def run(self) -> None:
        """Connect, upload, answer; reconnect after drops. Returns only when the device gives up
        (refused by the platform); stop it by cancelling."""
        options = self.options
        attempt = 0
        try:
            while self.given_up is None:
                try:
                    async with asyncio.timeout(options.connect_timeout):
                        reader, writer = await asyncio.open_connection(options.host, options.port)
                except (OSError, TimeoutError) as exc:
                    self.stats.connect_failures += 1
                    log.debug(
                        "%s: cannot connect to %s:%s: %s", self.mn, options.host, options.port, exc
                    )
                    await asyncio.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                if self.stats.connections:
                    self.stats.reconnects += 1
                self.stats.connections += 1
                await self._connected(reader, writer)
                if self.given_up is not None:
                    break
                self.stats.drops += 1
                attempt = 0 if self._link_answers else attempt + 1
                await asyncio.sleep(self._backoff(attempt))
        finally:
            await self._close()

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, self._rng, base=self.options.backoff_base, cap=self.options.backoff_cap
        )

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection, until it drops."""
        self._writer = writer
        self._link_uploads = self._link_answers = 0
        self._schedule.resync(self.now())
        log.info("%s: connected to %s:%s", self.mn, self.options.host, self.options.port)
        receiver = asyncio.create_task(self._receive(reader))
        sender = asyncio.create_task(self._send_scheduled())
        try:
            done, _ = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            tasks = [receiver, sender, *self._requests]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._requests.clear()
            self._pending.clear()
            await self._close()
        for task in done:
            if not task.cancelled() and (exc := task.exception()) is not None:
                if not isinstance(exc, _LinkDown | OSError):
                    raise exc
                log.info("%s: connection ended: %s", self.mn, exc)

    async def _close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        try:
            async with asyncio.timeout(2.0):
                await writer.wait_closed()
        except (OSError, TimeoutError):
            writer.transport.abort()

    # Receiving: answers wake the upload waiting for them, requests are served in a task.

    async def _receive(self, reader: asyncio.StreamReader) -> None:
        decoder = FrameDecoder()
        while data := await reader.read(_READ_SIZE):
            for item in decoder.feed(data):
                if isinstance(item, HJ212Error):
                    log.warning("%s: unreadable bytes from the platform: %s", self.mn, item)
                    continue
                try:
                    packet = decode(item)
                except HJ212Error as exc:
                    log.warning("%s: refused a frame from the platform: %s", self.mn, exc)
                    continue
                self._dispatch(packet)
        log.info("%s: the platform closed the connection", self.mn)

    def _dispatch(self, packet: Packet) -> None:
        if packet.cn in _ANSWERS:
            waiter = self._pending.get(packet.qn or "")
            if waiter is not None and not waiter.done():
                waiter.set_result(packet)
            else:
                log.debug(
                    "%s: answer %s to QN %s, which is not waiting", self.mn, packet.cn, packet.qn
                )
            return
        task = asyncio.create_task(self._serve(packet))
        self._requests.add(task)
        task.add_done_callback(self._request_done)

    def _request_done(self, task: asyncio.Task[None]) -> None:
        self._requests.discard(task)
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if isinstance(exc, _LinkDown | OSError):
            log.info("%s: connection ended while serving a request: %s", self.mn, exc)
        else:
            log.error("%s: serving a request failed", self.mn, exc_info=exc)
        self.drop()

    # Uploading.

    async def _send_scheduled(self) -> None:
        while True:
            stream = self._schedule.next()
            if stream is None:
                await asyncio.Future()  # nothing scheduled: serve requests only
                return
            delay = self.clock.real_seconds(stream.next_due - self.now())
            if delay > 0:
                await self._sleep(delay)
                if stream.next_due > self.now():  # woken early: the clock was set
                    continue
            else:
                await asyncio.sleep(0)  # catching up: let the other devices run
            data_time = stream.take(self.now())
            if stream.cn == CN_REALTIME and not self.realtime:
                continue
            async with self._lock:
                await self._transmit(stream.cn, data_time)
            drop_every = self.options.drop_every
            if drop_every and self._link_uploads >= drop_every:
                raise _LinkDown(f"dropped after {drop_every} uploads (--drop-every)")

    async def _sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._sleeper = sleeper = loop.create_future()
        handle = loop.call_later(seconds, _wake, sleeper)
        try:
            await sleeper
        finally:
            handle.cancel()
            self._sleeper = None

    def _next_qn_time(self) -> datetime:
        """The device time for a new QN, one millisecond past the last so that QNs are unique."""
        now = self.now()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_qn is not None and now <= self._last_qn:
            now = self._last_qn + timedelta(milliseconds=1)
        self._last_qn = now
        return now

    async def _transmit(self, cn: str, data_time: datetime) -> None:
        """Send one upload; with Flag A wait for its answer, re-sending the same frame after each
        timeout. Call with ``_lock`` held: one upload waits for its answer at a time."""
        sent_at = self._next_qn_time()
        qn = make_qn(sent_at)
        frame = upload(
            self.profile,
            cn,
            data_time,
            seed=self.options.seed,
            needs_answer=self.options.needs_answer,
            sent_at=sent_at,
        )
        self.stats.count_upload(cn)
        self._link_uploads += 1
        if not self.options.needs_answer:
            await self._emit(frame)
            return
        waiter: asyncio.Future[Packet] = asyncio.get_running_loop().create_future()
        self._pending[qn] = waiter
        attempts = 1 + self.options.retries
        try:
            for attempt in range(attempts):
                if attempt:
                    self.stats.retries += 1
                await self._emit(frame)
                try:
                    # not asyncio.wait_for: in 3.11 it can swallow a cancellation that
                    # coincides with the answer, and the device would go on after being stopped
                    async with asyncio.timeout(self.options.answer_timeout):
                        reply = await asyncio.shield(waiter)
                except TimeoutError:
                    continue
                self._answered(reply)
                return
        finally:
            self._pending.pop(qn, None)
        self.stats.unanswered += 1
        raise _LinkDown(f"no answer to QN {qn} after {attempts} transmissions (HJ 212 §6.2.1)")

    async def _emit(self, frame: bytes) -> None:
        self._transmissions += 1
        fate = Fault.SEND if self.script is None else self.script(self, self._transmissions, frame)
        if fate is Fault.DROP:
            raise _LinkDown(
                f"fault script dropped the connection at transmission {self._transmissions}"
            )
        if fate is Fault.SEND:
            await self._write(frame)

    async def _write(self, frame: bytes) -> None:
        writer = self._writer
        if writer is None or writer.is_closing():
            raise _LinkDown("the connection is closed")
        writer.write(frame)
        await writer.drain()

    def _answered(self, answer: Packet) -> None:
        if answer.cn == Command.REQUEST_ANSWER and answer.cp.get("QnRtn") != str(int(QnRtn.READY)):
            code = answer.cp.get("QnRtn", "?")
            self.stats.refused += 1
            self._refusals += 1
            meaning = _QN_RTN_NAMES.get(code, "unknown code")
            log.warning("%s: the platform refused an upload: QnRtn=%s (%s)", self.mn, code, meaning)
            if self._refusals >= self.options.refusals_before_giving_up:
                self.given_up = f"refused {self._refusals} times, last QnRtn={code} ({meaning})"
                log.error("%s: gives up: %s", self.mn, self.given_up)
                raise _LinkDown(self.given_up)
            return
        self._refusals = 0
        self.stats.answered += 1
        self._link_answers += 1

    # Serving the platform's requests (steps decided in :mod:`.devices_requests`).

    async def _serve(self, request: Packet) -> None:
        self.stats.requests += 1
        log.info("%s: request CN=%s QN=%s from the platform", self.mn, request.cn, request.qn)
        now = self.now()
        state = DeviceState(
            profile=self.profile,
            now=now,
            earliest=now - self.options.retention,
            minute_step=self._minute_step,
            limit=self.options.max_recovery,
        )
        for step in answer(request, state):
            if isinstance(step, Reply):
                await self._write(step.frame)
            elif isinstance(step, Recover):
                self.stats.recovery_requests += 1
                log.info("%s: recovering %d uploads of CN=%s", self.mn, len(step.times), step.cn)
                async with self._lock:
                    for data_time in step.times:
                        await self._transmit(step.cn, data_time)
                        self.stats.recovered += 1
            elif isinstance(step, SetClock):
                self.offset = step.when - self.clock.now()
                self.stats.time_sets += 1
                self._schedule.resync(self.now())
                if self._sleeper is not None:
                    _wake(self._sleeper)
                log.info("%s: clock set to %s", self.mn, step.when.isoformat())
            else:
                self.realtime = step.on


def _wake(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


__all__ = [
    "DeviceOptions",
    "DeviceStats",
    "Fault",
    "FaultScript",
    "SimClock",
    "VirtualDevice",
]
