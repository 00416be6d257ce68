"""The gateway's batch writer: group commit, resolution after the write, failures told."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from ecoradar.monitoring.batcher import Batcher, BatchWriteError
from ecoradar.monitoring.intake import Verdict
from ecoradar.monitoring.store import Received

T = TypeVar("T")
WHEN = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def item(n: int) -> Received:
    return Received(b"frame %d" % n, f"peer{n}", WHEN, Verdict("message", f"MN{n}"))


class Recorder:
    """A write that records its batches; fails when told to."""

    def __init__(self, fail: type[Exception] | None = None, poison: bytes | None = None) -> None:
        self.batches: list[list[bytes]] = []
        self.fail = fail
        self.poison = poison
        self.thread: set[str] = set()

    def __call__(self, batch: Sequence[Received]) -> None:
        self.thread.add(threading.current_thread().name)
        if self.fail is not None:
            raise self.fail("INSERT", {}, Exception("refused"))
        if self.poison is not None and any(i.frame == self.poison for i in batch):
            raise IntegrityError("INSERT", {}, Exception("constraint"))
        self.batches.append([i.frame for i in batch])


def run(main: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(main, 10))


def test_items_submitted_together_are_written_in_one_batch_off_the_loop() -> None:
    write = Recorder()

    async def main() -> list[None]:
        batcher = Batcher(write, max_items=100, max_delay=0.01)
        batcher.start()
        futures = [batcher.submit(item(n)) for n in range(10)]
        results = await asyncio.gather(*futures)
        await batcher.close()
        return list(results)

    assert run(main()) == [None] * 10
    assert write.batches == [[b"frame %d" % n for n in range(10)]]
    assert all(name.startswith("batch-writer") for name in write.thread)


def test_a_full_batch_is_written_without_waiting_for_the_delay() -> None:
    write = Recorder()

    async def main() -> None:
        batcher = Batcher(write, max_items=4, max_delay=60)
        batcher.start()
        await asyncio.gather(*(batcher.submit(item(n)) for n in range(8)))
        await batcher.close()

    run(main())
    assert [len(b) for b in write.batches] == [4, 4]


def test_a_future_resolves_only_after_its_write_returned() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(batch: Sequence[Received]) -> None:
        entered.set()
        release.wait(5)

    async def main() -> tuple[bool, bool]:
        batcher = Batcher(slow, max_items=10, max_delay=0)
        batcher.start()
        future = batcher.submit(item(1))
        while not entered.is_set():
            await asyncio.sleep(0.001)
        during = future.done()
        release.set()
        await future
        await batcher.close()
        return during, future.done()

    assert run(main()) == (False, True)


def test_a_failed_write_fails_every_waiting_item() -> None:
    async def main() -> list[BaseException | None]:
        batcher = Batcher(Recorder(fail=OperationalError), max_items=10, max_delay=0.001)
        batcher.start()
        futures = [batcher.submit(item(n)) for n in range(3)]
        results = await asyncio.gather(*futures, return_exceptions=True)
        await batcher.close()
        return [r if isinstance(r, BaseException) else None for r in results]

    errors = run(main())
    assert all(isinstance(e, BatchWriteError) for e in errors)
    assert "MN0" in str(errors[0]) and isinstance(errors[0].__cause__, OperationalError)


def test_data_the_database_refuses_costs_only_its_own_item() -> None:
    write = Recorder(poison=b"frame 1")

    async def main() -> list[bool]:
        batcher = Batcher(write, max_items=10, max_delay=0.001)
        batcher.start()
        futures = [batcher.submit(item(n)) for n in range(3)]
        results = await asyncio.gather(*futures, return_exceptions=True)
        await batcher.close()
        return [isinstance(r, BatchWriteError) for r in results]

    assert run(main()) == [False, True, False]
    assert write.batches == [[b"frame 0"], [b"frame 2"]]


def test_closing_writes_what_is_still_waiting() -> None:
    write = Recorder()

    async def main() -> None:
        batcher = Batcher(write, max_items=100, max_delay=60)
        batcher.start()
        future = batcher.submit(item(1))
        await batcher.close()
        assert future.done() and future.result() is None
        with pytest.raises(RuntimeError):
            batcher.submit(item(2))

    run(main())
    assert write.batches == [[b"frame 1"]]
