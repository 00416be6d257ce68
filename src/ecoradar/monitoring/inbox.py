"""The gateway's inbox: answered batches made durable in an append-only file, stored later in
slices.

On SQLite a batch of a few dozen packets from as many devices touches a few pages per packet
(the measurements' point-first key, the archive's indexes by MN and by point), and a commit
writes every page it touched whole: about 20 KB of WAL per packet, 100 MB/s at 5,000 packets/s,
and the checkpoints that copy it back stall the commits they fall in (README, "The monitoring
pipeline"). With an inbox the writer commits each batch as one row of a small SQLite file of its
own (a few pages, its own lock and WAL) and answers the devices; a mover thread stores what the
inbox holds in slices, one transaction each (detection included): what arrives while a slice is
stored makes the next one, so slices grow with the load, a device's pages are written once per
slice instead of once per batch, and the main database's checkpoints stall only the mover.

Nothing accepted is lost and nothing is stored twice: the slice's last position (batch, item)
is written in the same transaction as its rows (``gateway_inbox_progress``), and the inbox
forgets a batch only after that. A writer killed at any point finds its inbox on the next start
and stores what is left. Stored values show in the pages a slice later than without an inbox
(tens of milliseconds, a second or two at the peak); ``ecoradar gateway --inbox`` turns it on.

The inbox file is private to its writer (mode 0600): it holds pickled batches the writer made
itself, and an inbox made for another database is refused while it still holds batches.
"""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.core.errors import EcoRadarError
from ecoradar.monitoring.models import InboxProgress
from ecoradar.monitoring.store import REFUSED_DATA

log = logging.getLogger(__name__)

Item = tuple[Any, ...]
Position = tuple[int, int]
"""(batch id, index of an item in it): the inbox's order."""
START: Position = (0, -1)
DEFAULT_INTERVAL = 0.2
"""Seconds the mover waits when the inbox is empty (a write wakes it no sooner: polling keeps the
writer's path to one insert). Under load it never waits: at 5,000 packets/s, 2,000 devices, a
slice held 160-360 packets (README); 1-second slices of 5,000 cost less CPU but their commits
and checkpoints crowd the inbox's own on the disk (p99 47-130 ms against 25-33)."""
STARTUP_RETRY = 5.0
"""Seconds between tries while the database cannot be written (down, restarting): to open the
inbox and read its progress, or to store a slice that failed."""
SLICE_ITEMS = 20_000
"""Items stored in one transaction at most (a backlog is stored in several)."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL)",
)


class InboxError(EcoRadarError):
    """The inbox cannot be used (it belongs to another database, or is damaged)."""


class Inbox:
    """One writer's inbox file. Use from one thread (open another for another thread)."""

    def __init__(self, path: Path, owner: str, *, full_sync: bool = True) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
            if fresh:
                os.chmod(path, 0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if full_sync else 'NORMAL'}")
            self._db.execute("PRAGMA busy_timeout=10000")
            for statement in _SCHEMA:
                self._db.execute(statement)
            self.generation = self._claim(owner)
        except sqlite3.DatabaseError as exc:
            raise InboxError(f"gateway inbox {path}: {exc}") from exc

    def _claim(self, owner: str) -> str:
        """The file's generation, made anew when it is new or changes owner while empty."""
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("owner") == owner and "generation" in meta:
            return str(meta["generation"])
        if meta.get("owner") is not None and self.count():
            raise InboxError(
                f"gateway inbox {self.path} holds {self.count()} batches not yet stored in "
                f"another database ({meta['owner']}); start the gateway on that database to "
                "store them, or move the file away"
            )
        generation = str(uuid.uuid4())
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("owner", owner), ("generation", generation)],
            )
        return generation

    def append(self, items: Sequence[Item]) -> int:
        """Make ``items`` durable as one batch; its id."""
        body = pickle.dumps(list(items), protocol=pickle.HIGHEST_PROTOCOL)
        cursor = self._db.execute("INSERT INTO batches (body) VALUES (?)", (body,))
        batch_id = cursor.lastrowid
        assert batch_id is not None
        return batch_id

    def pending(self, after: Position, limit: int = SLICE_ITEMS) -> list[tuple[int, list[Item]]]:
        """Batches holding items after ``after``, oldest first, about ``limit`` items in all;
        the items of ``after``'s own batch up to ``after`` are left out."""
        out: list[tuple[int, list[Item]]] = []
        count = 0
        rows = self._db.execute(
            "SELECT id, body FROM batches WHERE id >= ? ORDER BY id", (after[0],)
        )
        for batch_id, body in rows:
            items: list[Item] = pickle.loads(body)
            if batch_id == after[0]:
                items = items[after[1] + 1 :]
            if not items:
                continue
            out.append((batch_id, items))
            count += len(items)
            if count >= limit:
                break
        rows.close()
        return out

    def forget(self, upto: int) -> None:
        """Delete the batches up to ``upto`` (stored whole)."""
        self._db.execute("DELETE FROM batches WHERE id <= ?", (upto,))

    def count(self) -> int:
        found: int = self._db.execute("SELECT count(*) FROM batches").fetchone()[0]
        return found

    def close(self) -> None:
        self._db.close()


Store = Callable[[list[Item], Callable[[Session], object]], object]
"""Stores items in one transaction, calling the given function in it (the progress)."""
StoreOne = Callable[[Item, BaseException, Callable[[Session], object]], object]
"""Stores an item the database refused as an archive row alone, with the reason."""


@dataclass
class MoverStats:
    slices: int = 0
    items: int = 0
    isolated: int = 0
    """Slices the database refused, stored again item by item."""
    archived_only: int = 0
    """Items whose values the database refused: archived with the reason, values not stored."""
    failures: int = 0
    """Slices that failed and stayed in the inbox for the next turn."""
    last_error: str | None = None


class InboxMover:
    """Stores an inbox's batches in slices, in a thread of its own (see the module doc).

    ``lock`` is held while a slice is stored: whoever else uses the same detection state (the
    sweep, a reload of the registry) takes it too.
    """

    def __init__(
        self,
        path: Path,
        owner: str,
        *,
        store: Store,
        store_one: StoreOne,
        progress: Callable[[str], Position],
        full_sync: bool = True,
        interval: float = DEFAULT_INTERVAL,
        slice_items: int = SLICE_ITEMS,
    ) -> None:
        self.path, self.owner, self.full_sync = path, owner, full_sync
        self.store, self.store_one, self.progress = store, store_one, progress
        self.interval = interval
        self.slice_items = slice_items
        self.lock = threading.Lock()
        self.stats = MoverStats()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._chores: list[Callable[[], object]] = []
        self._chores_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._inbox: Inbox | None = None
        self._at: Position = START

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="inbox-mover", daemon=True)
        self._thread.start()

    def later(self, chore: Callable[[], object]) -> None:
        """Run ``chore`` in the mover's thread after the slice being stored (the offline sweep,
        a reload of the registry: they share the slices' detection state, and the writes that
        answer devices do not wait for them)."""
        with self._chores_lock:  # not the slices' lock: the caller answers devices
            self._chores.append(chore)
        self._wake.set()

    def stop(self) -> None:
        """Store everything the inbox holds, then end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._open():  # the database may be down for now: the inbox keeps it all
            if self._stop.wait(STARTUP_RETRY):
                return
        assert self._inbox is not None
        try:
            failed = False
            while True:  # after a failure (the database down) it waits longer: less noise
                self._wake.wait(STARTUP_RETRY if failed else self.interval)
                self._wake.clear()
                stopping = self._stop.is_set()
                failed = not self._move_all()
                self._run_chores()
                if stopping:
                    return
        finally:
            self._inbox.close()

    def _open(self) -> bool:
        """Open the inbox and read how far it was stored; whether that worked."""
        try:
            if self._inbox is None:
                self._inbox = Inbox(self.path, self.owner, full_sync=self.full_sync)
            self._at = self.progress(self._inbox.generation)
        except Exception:  # noqa: BLE001 - logged, tried again
            log.exception("the gateway inbox %s cannot be stored yet; trying again", self.path)
            return False
        return True

    def _run_chores(self) -> None:
        with self._chores_lock:
            chores, self._chores = self._chores, []
        with self.lock:
            for chore in chores:
                try:
                    chore()
                except Exception:  # noqa: BLE001 - a chore's failure stops no slice
                    log.exception("a gateway chore in the inbox's mover failed")

    def _move_all(self) -> bool:
        """Store what the inbox holds, a slice at a time, until it is empty: what comes while
        a slice is stored makes the next one, so slices grow with the load (as the batcher's
        batches do). A slice that fails stays for the next turn; whether none failed."""
        while True:
            try:
                if not self.move_once():
                    return True
            except Exception as exc:  # noqa: BLE001 - kept in the inbox, tried again
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("storing the gateway inbox %s failed; trying again", self.path)
                return False

    def move_once(self) -> int:
        """Store one slice; the number of items stored (0: the inbox was empty)."""
        inbox = self._inbox
        assert inbox is not None
        batches = inbox.pending(self._at, self.slice_items)
        if not batches:
            return 0
        items = [item for _, batch in batches for item in batch]
        last_id, last_batch = batches[-1]  # whole: only the first batch may have been begun
        last = self._at[1] + len(last_batch) if last_id == self._at[0] else len(last_batch) - 1
        end = (last_id, last)
        with self.lock:
            try:
                self.store(items, self._marker(inbox.generation, end))
            except REFUSED_DATA as exc:
                log.warning(
                    "slice of %d refused by the database (%s); storing each alone", len(items), exc
                )
                self.stats.isolated += 1
                self._store_each(inbox.generation, batches)
        self._at = end
        self.stats.slices += 1
        self.stats.items += len(items)
        inbox.forget(last_id)
        return len(items)

    def _store_each(self, generation: str, batches: list[tuple[int, list[Item]]]) -> None:
        at = self._at
        for batch_id, items in batches:
            first = at[1] + 1 if batch_id == at[0] else 0
            for index, item in enumerate(items, start=first):
                marker = self._marker(generation, (batch_id, index))
                try:
                    self.store([item], marker)
                except REFUSED_DATA as exc:
                    self.store_one(item, exc, marker)
                    self.stats.archived_only += 1
                    log.error(
                        "a packet's values were refused by the database (%s); archived with "
                        "the reason",
                        exc,
                    )
                at = self._at = (batch_id, index)

    @staticmethod
    def _marker(generation: str, at: Position) -> Callable[[Session], object]:
        def mark(session: Session) -> None:
            session.merge(InboxProgress(generation=generation, batch_id=at[0], item=at[1]))

        return mark

    def backlog(self) -> int:
        """Batches not yet stored (from another connection; for reports and tests)."""
        probe = Inbox(self.path, self.owner, full_sync=self.full_sync)
        try:
            return probe.count()
        finally:
            probe.close()


def stored_position(session: Session, generation: str) -> Position:
    """How far ``generation``'s inbox was stored (:data:`START` if never)."""
    row = session.execute(
        select(InboxProgress.batch_id, InboxProgress.item).where(
            InboxProgress.generation == generation
        )
    ).one_or_none()
    return START if row is None else (row[0], row[1])
