"""The gateway's writes in a child process: detection and the database off the event loop's
interpreter lock.

In one process the batch writer thread and the event loop share the interpreter lock: every
microsecond of Python the write needs (making rows, binding them, detecting) is one the loop
waits for, and answers wait with it. :class:`WriterProcess` is a ``write`` for the
:class:`~ecoradar.monitoring.batcher.Batcher` that sends each batch, compactly (frames, verdicts
without their decoded packets, rows), to a child process with its own
:class:`~ecoradar.monitoring.pipeline.Intake` (detection state, database connection), and
returns once the child has *committed* the batch: the durability contract of the batcher holds
unchanged (an answer only after the commit; a failure of the write, or of the child, fails every
item of the batch, which is then not answered). A child that died is started again for the next
batch; its detection state is rebuilt from the store, as after a restart.

The child comes from a fork server (``multiprocessing``'s ``forkserver``), a process started
once with this module imported and no thread but its own, never from a fork of the parent: the
parent has threads (the batchers', the executor's, in ``ecoradar demo`` the web app's and the
scheduler's), and a fork taken while one of them held a lock (of logging, of a connection pool,
of the interpreter's imports) gives a child that waits for that lock forever — a writer
restarted after its child died forks while the batchers run, and the suite's gateway tests,
forking after other tests had left threads behind, timed out in two clean-clone runs. The child
therefore inherits nothing: it opens its own container from
the parent's settings (:func:`ecoradar.bootstrap.bootstrap`), the SQLite sync the gateway asked
for, and whatever ``setup`` the gateway was given (picklable: a module-level function or a
``functools.partial`` of one). It takes "now" from each request, so it runs on the parent's
clock. The parent waits its turn at its container's write gate before each write it asks for,
so the child's batches and the parent's other writers (the web app, the scheduler) take turns
in the order they came (``ecoradar.core.writes``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.hj212.gateway_process import prepare_process, require_full_sync
from ecoradar.monitoring.intake import Device, Verdict
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.prepared import Received
from ecoradar.monitoring.store import BatchResult

log = logging.getLogger(__name__)

Item = tuple[Any, ...]
Setup = Callable[[Container], None]
"""Run in each writer process once its container is open (faults in tests, for example)."""

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])
"""The fork server imports the writer (and with it detection and the store) once; a child still
runs the main script again if there is one (``multiprocessing.spawn.prepare``: the guarded
``ecoradar`` console script, a bench), which :meth:`WriterProcess.start` waits for."""


class WriterGone(RuntimeError):
    """The writer process ended while a request was in flight (nothing is known committed)."""


@dataclass(frozen=True)
class _Recipe:
    """What the child opens its own container from (sent to it pickled)."""

    settings: Settings
    now: datetime
    mode: str
    full_sync: bool
    setup: Setup | None


class _RequestClock:
    """The child's clock: the parent's "now", sent with each request."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def pack(item: Received) -> Item:
    """What the child needs of ``item`` (its decoded packet stays here)."""
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


def _serve(connection: Connection, recipe: _Recipe) -> None:
    """The child: answer requests until told to stop or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us once it has drained
    clock = _RequestClock(recipe.now)
    container = bootstrap(recipe.settings, clock=clock)
    container.gate = None  # the parent takes this process's turns to write, at its own gate
    if recipe.full_sync:
        require_full_sync(container.engine)
    if recipe.setup is not None:
        recipe.setup(container)
    intake = Intake(container, mode="live" if recipe.mode == "live" else "replay")
    prepare_process()  # the collector tuned as in the parent: the writer makes most objects
    devices: dict[int, Device] = {}
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        command, now, payload = request
        if command == "stop":
            connection.send(("ok", None))
            return
        clock.at = now
        try:
            if command == "write":
                value: object = intake.write([unpack(item, devices) for item in payload])
            elif command == "sweep":
                value = intake.sweep()
            elif command == "ready":
                value = None
            elif command == "reload":
                intake.reload_directory()
                value = None
            else:
                raise ValueError(f"unknown request {command!r}")
        except Exception as exc:  # noqa: BLE001 - told to the parent, which fails the batch
            connection.send(("error", _portable(exc)))
        else:
            connection.send(("ok", value))


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling (the batcher tells database refusals apart by type)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class WriterProcess:
    """A ``write`` (and the sweep and reload of the detection state) served by a child process.

    Calls may come from any thread; they are served one at a time, in order.
    """

    def __init__(
        self,
        container: Container,
        mode: str = "live",
        *,
        full_sync: bool = False,
        setup: Setup | None = None,
    ) -> None:
        self.container = container
        self.mode = mode
        self.full_sync = full_sync
        """SQLite: the child syncs the WAL at each commit (``require_full_sync``)."""
        self.setup = setup
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None

    def start(self) -> None:
        """Start the child (from the fork server: it holds no socket or lock of ours) and wait
        until it is ready (its database open, its detection state loaded): the first device is
        not kept waiting, and a child that cannot start fails here (:class:`WriterGone`)."""
        with self._lock:
            self._start()
        self._request("ready", None)

    def _start(self) -> None:
        recipe = _Recipe(
            self.container.settings,
            self.container.clock.now(),
            self.mode,
            self.full_sync,
            self.setup,
        )
        ours, theirs = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve,
            args=(theirs, recipe),
            name="gateway-writer",
            daemon=True,
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        log.info("gateway writer process %s started", process.pid)

    def __call__(self, batch: Sequence[Received]) -> BatchResult:
        payload = [pack(item) for item in batch]
        with self.container.writing_turn():  # in line with this process's other writers
            result = self._request("write", payload)
        assert isinstance(result, BatchResult)
        return result

    def sweep(self) -> int:
        with self.container.writing_turn():
            result = self._request("sweep", None)
        assert isinstance(result, int)
        return result

    def reload(self) -> None:
        self._request("reload", None)

    def _request(self, command: str, payload: object) -> object:
        with self._lock:
            if self._connection is None or not self._process.is_alive():
                self._stop_child()
                self._start()
            connection = self._connection
            assert connection is not None
            try:
                connection.send((command, self.container.clock.now(), payload))
                status, value = connection.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._stop_child()
                raise WriterGone(f"the writer process ended during {command}") from exc
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
            self._stop_child()

    def _stop_child(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(5)
            if process.is_alive():  # pragma: no cover - a child stuck in a write
                log.error("gateway writer process %s did not stop; killing it", process.pid)
                os.kill(process.pid, 9)
                process.join(5)
