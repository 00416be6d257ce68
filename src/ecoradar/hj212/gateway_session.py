"""One device connection of the gateway: an :class:`asyncio.Protocol` with its own session state.

The session feeds every chunk to a :class:`~ecoradar.hj212.frame.FrameDecoder` (TCP splits and
merges, garbage, oversize frames; HJ 212-2017 §6.3.1), hands each frame to the gateway to be
judged and stored, and writes the answers in the order the frames came, each only once its
frame is durably stored. Limits:

* a data segment above ``max_frame`` bytes is refused as ``oversize`` (archived, counted) and
  skipped up to the next ``##``: the connection survives, so the frames after it are served;
* a connection that sends only refusals (:data:`MAX_CONSECUTIVE_ERRORS` in a row without one
  good frame) or buffers more than :data:`MAX_BUFFERED_FRAMES` frames' worth without a complete
  one is closed;
* :data:`MAX_IN_FLIGHT` frames waiting for the database stop reading from the connection until
  :data:`RESUME_IN_FLIGHT` are left (backpressure to TCP instead of memory);
* a connection without an accepted packet for ``idle_timeout`` seconds is closed (not while it
  waits for answers): bytes alone, a trickle or refused frames, do not keep it open;
* a frame whose first bytes came ``frame_deadline`` seconds ago and is still not complete closes
  the connection (the time reading is paused for backpressure does not count);
* a refused frame beyond the gateway's archive limits is answered and counted, not archived
  (:mod:`ecoradar.hj212.gateway_limits`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.frame import FrameDecoder
from ecoradar.hj212.gateway_rules import REFUSED
from ecoradar.hj212.packet import Packet
from ecoradar.monitoring.intake import Verdict
from ecoradar.monitoring.store import Received

if TYPE_CHECKING:
    from ecoradar.hj212.gateway import Gateway

log = logging.getLogger("ecoradar.hj212.gateway")

MAX_IN_FLIGHT = 64
"""Frames of one connection waiting to be stored before reading from it pauses."""
RESUME_IN_FLIGHT = 16
MAX_CONSECUTIVE_ERRORS = 32
"""Refused chunks in a row (garbage, oversize) after which a connection is closed."""
MAX_BUFFERED_FRAMES = 2
"""Bytes held without a complete frame, in largest frames (``##``, length, CRC, CR LF incl.)."""
_FRAME_OVERHEAD = 12


@dataclass(frozen=True)
class SessionLimits:
    max_frame: int
    idle_timeout: float
    frame_deadline: float


KEEPALIVE_IDLE = 60
"""Seconds of silence after which the kernel probes a device's connection: a data acquisition
unit whose network went away without closing (a half-open connection: power cut, a 4G link
dropped) is found after ``KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_PROBES`` seconds
(90), long before the idle timeout, and its socket and session are freed."""
KEEPALIVE_INTERVAL = 10
KEEPALIVE_PROBES = 3


def keep_alive(sock: socket.socket | None) -> None:
    """TCP keepalive on a device's socket (where the platform has the options)."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (
            ("TCP_KEEPIDLE", KEEPALIVE_IDLE),
            ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
            ("TCP_KEEPCNT", KEEPALIVE_PROBES),
        ):
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
    except OSError:  # not a TCP socket (a test's socketpair): nothing to keep alive
        return


class DeviceSession(asyncio.Protocol):
    """The protocol of one TCP connection (one data acquisition unit, or a few behind a DTU)."""

    def __init__(self, gateway: Gateway, limits: SessionLimits) -> None:
        self.gateway = gateway
        self.limits = limits
        self.decoder = FrameDecoder(max_length=limits.max_frame)
        self.max_buffered = MAX_BUFFERED_FRAMES * (limits.max_frame + _FRAME_OVERHEAD)
        self.peer = "?"
        self.address: str | None = None
        """The per-address key of the peer (``None``: exempt from per-address limits)."""
        self.mns: set[str] = set()
        """MNs authenticated on this connection (commands to them are sent here)."""
        self.points: set[int] = set()
        self.identities: dict[str, Packet] = {}
        """Latest packet (not an answer) of each MN: the ST, PW and edition to address it with."""
        self.closed = False
        self._transport: asyncio.Transport | None = None
        self._pending: deque[tuple[asyncio.Future[None], Received, bool]] = deque()
        self._paused = False
        self._eof = False
        self._errors = 0
        self._last_accepted = 0.0
        self._idle: asyncio.TimerHandle | None = None
        self._frame_since: float | None = None
        """When the first bytes of the frame now in the decoder came (``None``: none is)."""
        self._deadline: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        keep_alive(transport.get_extra_info("socket"))
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        host = peer[0] if isinstance(peer, tuple) else str(peer)
        self.address = self.gateway.guard.address(host)
        if not self.gateway.admit(self):
            self.closed = True
            transport.abort()
            return
        self._last_accepted = self._loop.time()
        self._idle = self._loop.call_later(self.limits.idle_timeout, self._check_idle)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        now = self._loop.time()
        items = self.decoder.feed(data)
        for item in items:
            if isinstance(item, bytes):
                self._errors = 0
                received = self.gateway.judge(self, item)
                if received.verdict.outcome not in REFUSED:
                    self._last_accepted = now
                self._submit(received)
            else:
                self._refused_chunk(item)
                self._errors += 1
                if self._errors >= MAX_CONSECUTIVE_ERRORS:
                    self._give_up(f"{self._errors} refused chunks in a row")
                    return
        if self.decoder.buffered > self.max_buffered:
            self._give_up(f"{self.decoder.buffered} bytes buffered without a complete frame")
            return
        if not self.decoder.buffered:
            self._frame_since = None
        elif items or self._frame_since is None:  # a new frame began
            self._frame_since = now
            if self._deadline is None:
                self._deadline = self._loop.call_later(
                    self.limits.frame_deadline, self._check_frame
                )

    def eof_received(self) -> bool:
        """The device stopped sending: answer what it sent, then close (half-close kept)."""
        self._eof = True
        if not self._pending and self._transport is not None:
            self._transport.close()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for timer in (self._idle, self._deadline):
            if timer is not None:
                timer.cancel()
        self._idle = self._deadline = None
        for error in self.decoder.close():  # a frame cut short by the disconnect
            self._refused_chunk(error)
        self.gateway.forget(self)

    def pause_writing(self) -> None:  # the device does not read its answers: stop reading it
        if self._transport is not None and not self._paused and not self.closed:
            self._transport.pause_reading()
            self._paused = True

    def resume_writing(self) -> None:
        self._resume_if_drained()

    # -- the session ---------------------------------------------------------------------------

    def send(self, frame: bytes) -> bool:
        """Write ``frame`` to the device (a platform command); whether the connection is open."""
        if self.closed or self._transport is None or self._transport.is_closing():
            return False
        self._transport.write(frame)
        return True

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def _submit(self, received: Received) -> None:
        if not self.gateway.accepting:
            return  # the gateway is stopping: not stored, so not answered
        archived = self.gateway.archives(self, received)
        if archived:
            future = self.gateway.submit(received)
        else:  # a refused frame beyond the archive limits: answered in turn, not stored
            future = self._loop.create_future()
            future.set_result(None)
        self._pending.append((future, received, archived))
        future.add_done_callback(self._stored)
        if len(self._pending) >= MAX_IN_FLIGHT and not self._paused and self._transport:
            self._transport.pause_reading()
            self._paused = True

    def _refused_chunk(self, error: HJ212Error) -> None:
        """Garbage, an oversize frame or a cut frame: archived and counted, never answered."""
        verdict = Verdict(
            "refused",
            min(self.mns) if self.mns else None,
            reason=error.reason.value,
            detail=error.detail,
        )
        self._submit(Received(b"", self.peer, self.gateway.clock.now(), verdict))

    def _stored(self, _: asyncio.Future[None]) -> None:
        """Answer, in order, every frame at the head of the queue whose write has ended."""
        pending = self._pending
        out: list[bytes] = []
        while pending and pending[0][0].done():
            future, received, archived = pending.popleft()
            error = future.exception() if not future.cancelled() else asyncio.CancelledError()
            if error is not None:
                self.gateway.write_failed(self, received, error)
                continue
            try:
                out.extend(self.gateway.handle(self, received, archived=archived))
            except Exception:  # a bug in one answer must not cost the connection
                log.exception("answering a frame from %s failed", self.peer)
        if out and not self.closed and self._transport is not None:
            self._transport.write(b"".join(out))
        self._resume_if_drained()

    def _resume_if_drained(self) -> None:
        transport = self._transport
        if transport is None or self.closed:
            return
        if self._eof and not self._pending:
            transport.close()
        elif self._paused and len(self._pending) <= RESUME_IN_FLIGHT:
            if transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[1]:
                transport.resume_reading()
                self._paused = False
                if self._frame_since is not None:  # not read while paused: its time restarts
                    self._frame_since = self._loop.time()

    def _check_idle(self) -> None:
        self._idle = None
        if self.closed:
            return
        remaining = self._last_accepted + self.limits.idle_timeout - self._loop.time()
        if remaining > 0 or self._pending:
            self._idle = self._loop.call_later(max(remaining, 0.05), self._check_idle)
            return
        self.gateway.counters.totals["idle_closed"] += 1
        log.info(
            "closing %s (MN %s): no accepted packet for %.1f s",
            self.peer,
            ",".join(sorted(self.mns)) or "-",
            self.limits.idle_timeout,
        )
        self.close()

    def _check_frame(self) -> None:
        self._deadline = None
        if self.closed or self._frame_since is None:
            return
        remaining = self._frame_since + self.limits.frame_deadline - self._loop.time()
        if remaining > 0 or self._paused:
            delay = max(remaining, 0.05) if not self._paused else self.limits.frame_deadline
            self._deadline = self._loop.call_later(delay, self._check_frame)
            return
        self.gateway.counters.totals["frame_timeout"] += 1
        log.info(
            "closing %s (MN %s): a frame begun %.1f s ago is not complete",
            self.peer,
            ",".join(sorted(self.mns)) or "-",
            self.limits.frame_deadline,
        )
        self.close()

    def _give_up(self, why: str) -> None:
        self.gateway.counters.totals["connections_dropped"] += 1
        log.warning("closing %s (MN %s): %s", self.peer, ",".join(sorted(self.mns)) or "-", why)
        self.closed = True
        if self._transport is not None:
            self._transport.close()
