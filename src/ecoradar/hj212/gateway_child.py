"""The gateway's child processes: how they are made, what they are sent, and how they are asked.

A child comes from a fork server (``multiprocessing``'s ``forkserver``), a process started once
with the writer module imported and no thread but its own, never from a fork of the parent: the
parent has threads (the batchers', the executor's, in ``ecoradar demo`` the web app's and the
scheduler's), and a fork taken while one of them held a lock (of logging, of a connection pool,
of the interpreter's imports) gives a child that waits for that lock forever — a writer
restarted after its child died forks while the batchers run, and the suite's gateway tests,
forking after other tests had left threads behind, timed out in two clean-clone runs. A child
therefore inherits nothing: it is sent a :class:`Recipe` (the parent's settings, the SQLite sync
the gateway asked for, and whatever ``setup`` the gateway was given: picklable, a module-level
function or a ``functools.partial`` of one) and opens what it needs itself. It takes "now"
from each request, so it runs on the parent's clock.

Which children there are: ``ecoradar.hj212.gateway_writer`` (store and detect each batch) or,
with an inbox, ``ecoradar.hj212.gateway_inbox`` (one child makes batches durable in the inbox,
another stores them).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from ecoradar.bootstrap import Container
from ecoradar.config import Settings
from ecoradar.monitoring.intake import Device, Verdict
from ecoradar.monitoring.prepared import Received

log = logging.getLogger(__name__)

Item = tuple[Any, ...]
Setup = Callable[[Container], None]
"""Run in each child once its container is open (faults in tests, for example)."""
Handler = Callable[[str, object], object]
"""A child's answer to a request (command, payload); raises to answer with an error."""

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["ecoradar.hj212.gateway_writer"])
"""The fork server imports the children's code (and with it detection and the store) once; a
child still runs the main script again if there is one (``multiprocessing.spawn.prepare``: the
guarded ``ecoradar`` console script, a bench), which :meth:`Child.start` waits for."""


class ChildGone(RuntimeError):
    """A child process ended while a request was in flight (nothing is known committed)."""


@dataclass(frozen=True)
class Recipe:
    """What a child opens its own container from (sent to it pickled)."""

    settings: Settings
    now: datetime
    mode: str
    full_sync: bool
    setup: Setup | None
    inbox: str | None = None
    """The inbox file's path (``ecoradar.monitoring.inbox``); ``None``: no inbox."""


class RequestClock:
    """A child's clock: the parent's "now", sent with each request."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def pack(item: Received) -> Item:
    """What a child needs of ``item`` (its decoded packet stays here)."""
    v = item.verdict
    point_id = v.device.point_id if v.device is not None else None
    return (
        item.frame,
        item.peer,
        item.received_at,
        v.outcome,
        v.mn,
        point_id,
        v.reason,
        v.detail,
        v.rows,
        v.bad_values,
        v.cn,
        v.qn,
        v.data_time,
    )


def unpack(item: Item, devices: dict[int, Device]) -> Received:
    frame, peer, received_at, outcome, mn, point_id, reason, detail, rows, bad, cn, qn, when = item
    device = None
    if point_id is not None:
        device = devices.get(point_id)
        if device is None:
            device = devices[point_id] = Device(point_id, mn or "", None)
    verdict = Verdict(outcome, mn, None, device, reason, detail, rows, bad, cn, qn, when)
    return Received(frame, peer, received_at, verdict)


def serve_requests(
    connection: Connection,
    handle: Handler,
    clock: RequestClock | None = None,
    on_stop: Callable[[], object] | None = None,
) -> None:
    """A child's loop: answer requests until told to stop (``on_stop`` first) or the parent
    goes away. "ready" is answered by every child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us once it has drained
    while True:
        try:
            command, now, payload = connection.recv()
        except (EOFError, OSError):
            return
        if command == "stop":
            if on_stop is not None:
                on_stop()
            connection.send(("ok", None))
            return
        if clock is not None and now is not None:
            clock.at = now
        try:
            value = None if command == "ready" else handle(command, payload)
        except Exception as exc:  # noqa: BLE001 - told to the parent, which fails the batch
            connection.send(("error", portable(exc)))
        else:
            connection.send(("ok", value))


def portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling (the batcher tells database refusals apart by type)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class Child:
    """One child process running ``target(connection, recipe)``, asked one request at a time
    (from any thread); started again when it died before a request."""

    def __init__(
        self, name: str, target: Callable[[Connection, Recipe], None], recipe: Callable[[], Recipe]
    ) -> None:
        self.name, self.target, self.recipe = name, target, recipe
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None

    @property
    def process(self) -> Any:
        """The running ``multiprocessing`` process, or ``None``."""
        return self._process

    def alive(self) -> bool:
        process = self._process
        return process is not None and bool(process.is_alive())

    def start(self) -> None:
        """Start the child and wait until it is ready (a child that cannot start fails here)."""
        with self._lock:
            self._start()
        self.request("ready", None, now=None)

    def _start(self) -> None:
        ours, theirs = CONTEXT.Pipe()
        process = CONTEXT.Process(
            target=self.target, args=(theirs, self.recipe()), name=self.name, daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        log.info("%s process %s started", self.name, process.pid)

    def request(self, command: str, payload: object, *, now: datetime | None) -> object:
        with self._lock:
            if self._connection is None or not self._process.is_alive():
                self._stop()
                self._start()
            connection = self._connection
            assert connection is not None
            try:
                connection.send((command, now, payload))
                status, value = connection.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._stop()
                raise ChildGone(f"the {self.name} process ended during {command}") from exc
        if status == "error":
            assert isinstance(value, BaseException)
            raise value
        return value

    def close(self) -> None:
        """Stop the child once it has finished what it was doing. Idempotent."""
        with self._lock:
            if self._connection is not None and self._process.is_alive():
                try:
                    self._connection.send(("stop", None, None))
                    self._connection.recv()
                except (EOFError, OSError):
                    pass
            self._stop()

    def _stop(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(5)
            if process.is_alive():  # pragma: no cover - a child stuck in a write
                log.error("%s process %s did not stop; killing it", self.name, process.pid)
                os.kill(process.pid, 9)
                process.join(5)
