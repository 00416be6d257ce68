"""The gateway's writes in child processes: detection and the database off the event loop's
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

With an inbox (``GatewayLimits.inbox``) the batch is committed to the writer's inbox file by one
child and stored a moment later by another (``ecoradar.hj212.gateway_inbox``). Children come
from a fork server and open their own container (``ecoradar.hj212.gateway_child``). The parent
waits its turn at its container's write gate before each write it asks for (not with an inbox:
the inbox is the child's own file), so the child's batches and the parent's other writers (the
web app, the scheduler) take turns in the order they came (``ecoradar.core.writes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.hj212.gateway_child import (
    Child,
    ChildGone,
    Recipe,
    RequestClock,
    Setup,
    pack,
    serve_requests,
    unpack,
)
from ecoradar.hj212.gateway_inbox import inbox_path, serve_inbox, serve_mover
from ecoradar.hj212.gateway_process import prepare_process, require_full_sync
from ecoradar.monitoring.intake import Device
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.prepared import Received
from ecoradar.monitoring.store import BatchResult

__all__ = ["Setup", "WriterGone", "WriterProcess", "inbox_path"]

WriterGone = ChildGone
"""The writer process ended while a request was in flight (nothing is known committed)."""


def _serve(connection: Connection, recipe: Recipe) -> None:
    """The writer child (no inbox): store and judge each batch, answer once committed."""
    clock = RequestClock(recipe.now)
    container = bootstrap(recipe.settings, clock=clock)
    container.gate = None  # the parent takes this process's turns to write, at its own gate
    if recipe.full_sync:
        require_full_sync(container.engine)
    if recipe.setup is not None:
        recipe.setup(container)
    intake = Intake(container, mode="live" if recipe.mode == "live" else "replay")
    prepare_process()  # the collector tuned as in the parent: the writer makes most objects
    devices: dict[int, Device] = {}

    def handle(command: str, payload: object) -> object:
        if command == "write":
            assert isinstance(payload, list)
            return intake.write([unpack(item, devices) for item in payload])
        if command == "sweep":
            return intake.sweep()
        if command == "reload":
            intake.reload_directory()
            return None
        raise ValueError(f"unknown request {command!r}")

    serve_requests(connection, handle, clock)


class WriterProcess:
    """A ``write`` (and the sweep and reload of the detection state) served by a child process
    (with an inbox: the inbox's child and the mover's).

    Calls may come from any thread; they are served one at a time, in order.
    """

    def __init__(
        self,
        container: Container,
        mode: str = "live",
        *,
        full_sync: bool = False,
        setup: Setup | None = None,
        inbox: Path | None = None,
    ) -> None:
        self.container = container
        self.mode = mode
        self.full_sync = full_sync
        """SQLite: the child syncs the WAL at each commit (``require_full_sync``)."""
        self.setup = setup
        self.inbox = inbox
        """The inbox file (``ecoradar.monitoring.inbox``), or ``None``."""
        if inbox is None:
            self.writer = Child("gateway-writer", _serve, self._recipe)
            self.mover: Child | None = None
        else:
            self.writer = Child("gateway-inbox", serve_inbox, self._recipe)
            self.mover = Child("gateway-mover", serve_mover, self._recipe)

    def _recipe(self) -> Recipe:
        inbox = str(self.inbox) if self.inbox is not None else None
        now = self.container.clock.now()
        return Recipe(self.container.settings, now, self.mode, self.full_sync, self.setup, inbox)

    @property
    def processes(self) -> list[Any]:
        """The running child processes (the writer's first)."""
        children = [self.writer, self.mover]
        return [c.process for c in children if c is not None and c.process is not None]

    def start(self) -> None:
        """Start the children and wait until they are ready (database open, detection state
        loaded): the first device is not kept waiting, and a child that cannot start fails
        here (:class:`WriterGone`)."""
        self.writer.start()
        if self.mover is not None:
            self.mover.start()

    def __call__(self, batch: Sequence[Received]) -> BatchResult:
        payload = [pack(item) for item in batch]
        if self.mover is not None:  # the inbox is the child's own file: no turn to wait for
            if not self.mover.alive():  # killed: started again, it stores what is left
                self.mover.start()
            result = self._ask(self.writer, "write", payload)
        else:
            with self.container.writing_turn():  # in line with this process's other writers
                result = self._ask(self.writer, "write", payload)
        assert isinstance(result, BatchResult)
        return result

    def sweep(self) -> int:
        """Open offline alerts; with an inbox the mover does it between slices (returns 0)."""
        if self.mover is not None:
            result = self._ask(self.mover, "sweep", None)
        else:
            with self.container.writing_turn():
                result = self._ask(self.writer, "sweep", None)
        assert isinstance(result, int)
        return result

    def reload(self) -> None:
        self._ask(self.mover or self.writer, "reload", None)

    def inbox_report(self) -> dict[str, Any]:
        """The inbox's backlog (batches not yet stored) and its mover's counters."""
        if self.mover is None:
            raise RuntimeError("this writer has no inbox")
        report = self._ask(self.mover, "inbox", None)
        assert isinstance(report, dict)
        return report

    def _ask(self, child: Child, command: str, payload: object) -> object:
        return child.request(command, payload, now=self.container.clock.now())

    def close(self) -> None:
        """Stop the children once they have finished (the mover: once the inbox is stored).
        Idempotent."""
        self.writer.close()
        if self.mover is not None:
            self.mover.close()
