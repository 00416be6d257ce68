"""The gateway's writer with an inbox (``ecoradar.monitoring.inbox``), as two child processes.

The *inbox* child makes each batch durable as one row of the inbox file and answers: it opens
no database and judges nothing, so the answers wait for one small commit. The *mover* child
stores what the inbox holds, in slices, with detection, and runs the offline sweep and the
registry's reloads between slices. Two processes rather than two threads: in one process a
slice or a sweep held the interpreter lock the answers waited for (PostgreSQL, 5,000 packets/s:
answers delayed 1.2-1.7 s while a sweep ran).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ecoradar.bootstrap import bootstrap
from ecoradar.config import Settings
from ecoradar.hj212.gateway_child import Item, Recipe, RequestClock, serve_requests, unpack
from ecoradar.hj212.gateway_process import prepare_process, require_full_sync
from ecoradar.monitoring.inbox import Inbox, InboxError, InboxMover, Position, stored_position
from ecoradar.monitoring.intake import Device
from ecoradar.monitoring.pipeline import Intake
from ecoradar.monitoring.store import BatchResult

log = logging.getLogger(__name__)


def inbox_path(settings: Settings, index: int) -> Path:
    """Where writer ``index`` of a gateway keeps its inbox: under ``ECORADAR_HOME``."""
    return settings.home / "gateway-inbox" / f"writer-{index}.sqlite"


def hold_inbox(path: Path, role: str = "inbox") -> IO[str]:
    """An exclusive lock on ``path``'s lock file for ``role`` for this process's life: two
    gateways never share an inbox (each would store the other's batches)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path.with_name(f"{path.name}.{role}.lock"), "a+")  # noqa: SIM115 - held
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InboxError(
            f"gateway inbox {path} is in use by another gateway on this machine; give each "
            "gateway its own ECORADAR_HOME"
        ) from None
    return handle


def _owner(settings: Settings) -> str:
    """The database an inbox belongs to, as recorded in it (without a password)."""
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _durable(recipe: Recipe) -> bool:
    """The inbox syncs as the store would: in full on PostgreSQL (whose commits always flush),
    on SQLite as the gateway asked."""
    backend = make_url(recipe.settings.resolved_database_url).get_backend_name()
    return recipe.full_sync or backend != "sqlite"


def serve_inbox(connection: Connection, recipe: Recipe) -> None:
    """The inbox child: "write" appends a batch and answers once it is durable."""
    assert recipe.inbox is not None
    path = Path(recipe.inbox)
    guard = hold_inbox(path, "inbox")
    inbox = Inbox(path, _owner(recipe.settings), full_sync=_durable(recipe))

    def handle(command: str, payload: object) -> object:
        if command != "write":
            raise ValueError(f"unknown request {command!r}")
        assert isinstance(payload, list)
        inbox.append(payload)
        return BatchResult(packets=len(payload))

    try:
        serve_requests(connection, handle)
    finally:
        inbox.close()
        guard.close()


def serve_mover(connection: Connection, recipe: Recipe) -> None:
    """The mover child: stores the inbox in slices; the sweep and reloads run between them."""
    assert recipe.inbox is not None
    path = Path(recipe.inbox)
    guard = hold_inbox(path, "mover")
    clock = RequestClock(recipe.now)
    container = bootstrap(recipe.settings, clock=clock)
    container.gate = None  # not the parent's gate: the answers do not wait for this process
    if recipe.full_sync:
        require_full_sync(container.engine)
    if recipe.setup is not None:
        recipe.setup(container)
    intake = Intake(container, mode="live" if recipe.mode == "live" else "replay")
    prepare_process()
    store = _Store(intake)
    mover = InboxMover(
        path,
        _owner(recipe.settings),
        store=store.items,
        store_one=store.refused,
        progress=store.progress,
        full_sync=_durable(recipe),
    )
    mover.start()

    def handle(command: str, payload: object) -> object:
        if command == "sweep":
            mover.later(store.sweep)
            return 0  # counted and logged here
        if command == "reload":
            mover.later(intake.reload_directory)
            return None
        if command == "inbox":
            return {"backlog": mover.backlog(), "stats": mover.stats}
        raise ValueError(f"unknown request {command!r}")

    try:
        serve_requests(connection, handle, clock, on_stop=mover.stop)  # stop: store it all
    finally:
        guard.close()


class _Store:
    """The mover's writes, through the intake (detection included)."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.devices: dict[int, Device] = {}

    def items(self, items: list[Item], within: Callable[[Session], object]) -> object:
        return self.intake.write([unpack(item, self.devices) for item in items], within=within)

    def refused(
        self, item: Item, error: BaseException, within: Callable[[Session], object]
    ) -> object:
        """``item`` archived alone (without the point it may have lost meanwhile), with the
        database's reason, its values not stored."""
        received = unpack(item, self.devices)
        verdict = replace(
            received.verdict,
            outcome="quarantined",
            device=None,
            reason="store_refused",
            detail=f"{type(error).__name__}: {error}"[:500],
            rows=[],
            bad_values=0,
        )
        return self.intake.write([replace(received, verdict=verdict)], within=within)

    def progress(self, generation: str) -> Position:
        with self.intake.container.reading() as session:
            return stored_position(session, generation)

    def sweep(self) -> None:
        opened = self.intake.sweep()
        if opened:
            log.info("offline sweep: %d alerts opened", opened)
