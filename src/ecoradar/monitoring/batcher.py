"""Group commit for the gateway: many connections' packets, one transaction per batch.

Every connection hands its :class:`~ecoradar.monitoring.store.Received` items to one
:class:`Batcher`, which writes them with ``Intake.write`` in a worker thread (one write in flight
at a time: SQLite has a single writer, and a second transaction would only wait for the first).
A batch is flushed when it holds ``max_items`` items or when its oldest item has waited
``max_delay`` seconds, whichever comes first; items that arrive while a write is running form
the next batch, so batches grow with the load and latency stays near one write.

Each item's future resolves only after its batch's transaction has committed, so whoever awaits
it may tell the device "stored" (HJ 212-2017 §6.1: the answer closes the exchange, and a device
that gets no answer sends again). When a write fails, every item of the batch gets a
:class:`BatchWriteError` and must not be answered as stored; only when the database refused the
*data* (an integrity or data error) are the items written again one by one, so that one bad
packet does not cost the answers of the hundreds of packets that shared its batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from ecoradar.core.errors import EcoRadarError
from ecoradar.monitoring.store import REFUSED_DATA, Received

DEFAULT_MAX_ITEMS = 500
"""Items per transaction at most (about 2,000 measurement rows of hourly gas data)."""
DEFAULT_MAX_DELAY = 0.005
"""Seconds the oldest item waits for company before its batch is written anyway."""
RECENT = 100_000
"""Writes whose duration :class:`BatcherStats` keeps."""

log = logging.getLogger(__name__)

Write = Callable[[Sequence[Received]], object]
T = TypeVar("T")


class BatchWriteError(EcoRadarError):
    """A packet could not be stored; it must not be answered as stored."""


@dataclass
class BatcherStats:
    batches: int = 0
    items: int = 0
    failed_items: int = 0
    largest_batch: int = 0
    isolated_batches: int = 0
    """Batches written again item by item after the database refused their data."""
    write_seconds: float = 0.0
    """Wall time spent in writes (the worker thread was busy)."""
    write_cpu_seconds: float = 0.0
    """CPU time of the worker thread in writes (Python and database driver)."""
    recent: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=RECENT))
    """(wall seconds, items) of the latest writes, for the benchmark's percentiles."""


class Batcher:
    """Collects items from all connections and writes them in batches in a worker thread.

    Use from one event loop: :meth:`submit` returns a future that resolves (to ``None``) once the
    item is durably stored, or fails with :class:`BatchWriteError`. Futures resolve in
    submission order. :meth:`close` writes what is still waiting, then stops the thread.
    """

    def __init__(
        self,
        write: Write,
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_delay: float = DEFAULT_MAX_DELAY,
    ) -> None:
        if max_items < 1:
            raise ValueError(f"max_items {max_items} must be at least 1")
        if max_delay < 0:
            raise ValueError(f"max_delay {max_delay} must not be negative")
        self._write = write
        self.max_items = max_items
        self.max_delay = max_delay
        self.stats = BatcherStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._items: list[Received] = []
        self._futures: list[asyncio.Future[None]] = []
        self._oldest = 0.0  # loop time the oldest waiting item arrived
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Future[list[BaseException | None]] | None = None
        self._closed = False

    @property
    def waiting(self) -> int:
        """Items submitted and not yet handed to a write."""
        return len(self._items)

    def start(self) -> None:
        """Bind to the running loop and start the worker thread."""
        if self._loop is not None:
            raise RuntimeError("the batcher is already started")
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-writer")

    def submit(self, item: Received) -> asyncio.Future[None]:
        """Queue ``item``; the future resolves once it is durably stored."""
        loop = self._loop
        if loop is None or self._closed:
            raise RuntimeError("the batcher is not running")
        future: asyncio.Future[None] = loop.create_future()
        if not self._items:
            self._oldest = loop.time()
        self._items.append(item)
        self._futures.append(future)
        if self._writing is None:
            if len(self._items) >= self.max_items or self.max_delay == 0:
                self._flush()
            elif self._timer is None:
                self._timer = loop.call_at(self._oldest + self.max_delay, self._on_timer)
        return future

    async def run_in_worker(self, function: Callable[[], T]) -> T:
        """Run ``function`` in the worker thread, between writes (never during one)."""
        if self._loop is None or self._executor is None or self._closed:
            raise RuntimeError("the batcher is not running")
        return await self._loop.run_in_executor(self._executor, function)

    async def drain(self) -> None:
        """Wait until everything submitted so far has been written (or has failed)."""
        while self._items or self._writing is not None:
            if self._writing is not None:
                await asyncio.wait([self._writing])
                await asyncio.sleep(0)  # let the completion callback run
            elif self._items:
                self._flush()

    async def close(self) -> None:
        """Write what is waiting, then stop the worker thread. Idempotent."""
        if self._loop is None or self._closed:
            return
        await self.drain()
        self._closed = True
        if self._executor is not None:  # waits for a run_in_worker call still going, off the loop
            await self._loop.run_in_executor(None, self._executor.shutdown)

    def _on_timer(self) -> None:
        self._timer = None
        if self._writing is None and self._items:
            self._flush()

    def _flush(self) -> None:
        assert self._loop is not None and self._executor is not None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        count = self.max_items
        items, self._items = self._items[:count], self._items[count:]
        futures, self._futures = self._futures[:count], self._futures[count:]
        if self._items:
            self._oldest = self._loop.time()
        writing = self._loop.run_in_executor(self._executor, self._write_items, items)
        self._writing = writing
        writing.add_done_callback(lambda done: self._written(done, items, futures))

    def _write_items(self, items: list[Received]) -> list[BaseException | None]:
        """In the worker thread: the outcome of each item (``None`` when stored)."""
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return self._write_isolating(items)
        finally:
            took = time.perf_counter() - started
            self.stats.write_seconds += took
            self.stats.write_cpu_seconds += time.thread_time() - cpu
            self.stats.recent.append((took, len(items)))

    def _write_isolating(self, items: list[Received]) -> list[BaseException | None]:
        try:
            self._write(items)
        except REFUSED_DATA as exc:
            if len(items) == 1:
                return [exc]
            log.warning(
                "batch of %d refused by the database (%s); writing each alone", len(items), exc
            )
            self.stats.isolated_batches += 1
            outcomes: list[BaseException | None] = []
            for item in items:
                try:
                    self._write([item])
                except Exception as single:  # noqa: BLE001 - reported on the item's future
                    outcomes.append(single)
                else:
                    outcomes.append(None)
            return outcomes
        except Exception as exc:  # noqa: BLE001 - every item of the batch is told
            return [exc] * len(items)
        return [None] * len(items)

    def _written(
        self,
        done: asyncio.Future[list[BaseException | None]],
        items: list[Received],
        futures: list[asyncio.Future[None]],
    ) -> None:
        self._writing = None
        try:
            outcomes = done.result()
        except BaseException as exc:  # noqa: BLE001 - executor gone: nothing was stored
            outcomes = [exc] * len(items)
        stats = self.stats
        stats.batches += 1
        stats.items += len(items)
        stats.largest_batch = max(stats.largest_batch, len(items))
        for item, future, outcome in zip(items, futures, outcomes, strict=True):
            if future.done():
                continue
            if outcome is None:
                future.set_result(None)
            else:
                stats.failed_items += 1
                error = BatchWriteError(
                    f"packet from {item.peer} (MN {item.verdict.mn}) not stored: {outcome}"
                )
                error.__cause__ = outcome
                future.set_exception(error)
        if self._items and self._loop is not None:
            waited = self._loop.time() - self._oldest
            if len(self._items) >= self.max_items or waited >= self.max_delay:
                self._flush()
            elif self._timer is None:
                self._timer = self._loop.call_at(self._oldest + self.max_delay, self._on_timer)
