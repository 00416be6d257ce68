"""Judging frames in a second process: decode, authenticate and make the rows there, so that the
process that detects and writes does only that (``ecoradar ingest`` on two cores).

One worker process judges the batches in the order they are given and keeps the judge's state
(split messages waiting for their parts) between them, so the result is the one of judging in
order in one process. Batches go out and come back whole (a few hundred kilobytes each), never
frame by frame; the worker stays ahead by :data:`AHEAD` batches.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from types import TracebackType

from ecoradar.monitoring.intake import Judge
from ecoradar.monitoring.prepared import PreparedBatch, Received, prepare_batch

AHEAD = 2
"""Batches handed to the worker before the first is collected."""
START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
"""Fork where there is fork: the worker starts in milliseconds with the directory it inherits,
where a spawned one would import the whole command line again (seconds) and need the main
module guarded. The worker runs only pure code (no database, no logging, no new threads)."""

_judge: Judge | None = None
_dialect = ""


def _start(judge: Judge, dialect: str) -> None:
    """In the worker: take the judge (directory, pending split messages) and the backend."""
    global _judge, _dialect
    _judge, _dialect = judge, dialect


def _judge_batch(chunk: list[tuple[bytes, str]], now: datetime) -> PreparedBatch:
    judge = _judge
    assert judge is not None, "the worker was not started"
    return prepare_batch(
        [Received(frame, peer, now, judge(frame, now)) for frame, peer in chunk], _dialect
    )


def _state() -> Judge:
    assert _judge is not None, "the worker was not started"
    return _judge


class JudgingProcess:
    """A worker process judging batches of ``(frame, peer)`` in order (a context manager)."""

    def __init__(self, judge: Judge, dialect: str) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context(START_METHOD),
            initializer=_start,
            initargs=(judge, dialect),
        )

    def __enter__(self) -> JudgingProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def judge(
        self, chunks: Iterable[list[tuple[bytes, str]]], now: Callable[[], datetime]
    ) -> Iterator[PreparedBatch]:
        """The prepared batches of ``chunks``, in order; ``now()`` is read as each is sent."""
        waiting: deque[Future[PreparedBatch]] = deque()
        for chunk in chunks:
            waiting.append(self._executor.submit(_judge_batch, chunk, now()))
            if len(waiting) > AHEAD:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()

    def judge_state(self) -> Judge:
        """The worker's judge, with the split messages still waiting for parts."""
        return self._executor.submit(_state).result()
