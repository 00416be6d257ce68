"""Units of work that write, on a database with one writer (SQLite) or many (PostgreSQL).

* :class:`WriteGate` — one process's writers, in the order they asked: the web app's requests,
  the scheduler and the gateway's batches (whose child process writes while its parent holds
  the gate) take turns first come, first served, so a flood of one never starves the other.
  SQLite allows one writer at a time; the gate queues them in this process instead of letting
  them race for the database's lock, whose busy handler polls and favours whoever asks last.
  Writers in other processes (a command, a standalone gateway) still meet at the database's
  lock: ``BEGIN IMMEDIATE`` waits for it up to the busy timeout.
* :func:`is_retryable` — an error that says "another unit of work was in the way" (SQLite busy
  or locked; PostgreSQL serialization failure, deadlock, lock timeout; a connection pool that
  had none free): nothing was changed, and the whole unit of work may run again.
* :func:`retrying` — run a unit of work again after such an error, with growing, jittered
  pauses, until a deadline; then :class:`WriteBusy` (HTTP 503 with ``Retry-After``).
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ecoradar.core.errors import EcoRadarError

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_PAUSE = 0.005
"""Seconds before the first retry; each later pause doubles, up to :data:`LONGEST_PAUSE`."""
LONGEST_PAUSE = 0.25
RETRY_AFTER = 2
"""Seconds a refused client is told to wait (``Retry-After``)."""

_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_PG_RETRYABLE = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
}
_PG_CHECK_VIOLATION = "23514"


class WriteBusy(EcoRadarError):
    """The database stayed busy with other writes for longer than the bounded wait; nothing was
    changed. The client may try again after ``retry_after`` seconds (HTTP 503)."""

    def __init__(self, what: str = "the database", retry_after: int = RETRY_AFTER) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"{what} is busy with other changes: nothing was changed, "
            f"try again in {retry_after} seconds"
        )


class WriteGate:
    """A lock handed to waiters in the order they came, with a bounded wait.

    Not owned by a thread: a web request may take it in one worker thread and give it back in
    another (FastAPI runs a dependency's setup and teardown where it likes).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()
        self.handoffs = 0
        """Times the gate passed straight from one writer to a waiting one."""
        self.turns = 0
        self.held_seconds = 0.0
        """Time the gate was held, all turns together."""
        self.longest_seconds = 0.0
        """The longest single turn."""
        self._since = 0.0

    def acquire(self, timeout: float) -> bool:
        """Take the gate; False when ``timeout`` seconds passed first."""
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                self._start_turn()
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def _start_turn(self) -> None:
        self.turns += 1
        self._since = time.monotonic()

    def release(self) -> None:
        with self._mutex:
            if not self._held:
                raise RuntimeError("the write gate is not held")
            turn = time.monotonic() - self._since
            self.held_seconds += turn
            self.longest_seconds = max(self.longest_seconds, turn)
            if self._waiters:
                self.handoffs += 1
                self._start_turn()
                self._waiters.popleft().set()  # the gate stays held, by the next in line
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def __str__(self) -> str:
        return (
            f"{self.turns} turns, held {self.held_seconds:.1f} s in all "
            f"(longest {self.longest_seconds:.2f} s), "
            f"{self.handoffs} handed straight to a waiting writer"
        )


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` says only that other work was in the way (nothing was changed by the
    failed unit of work, and running it again may succeed)."""
    if isinstance(exc, WriteBusy | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        exc = exc.orig if exc.orig is not None else exc
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY
        text = str(exc)
        return "database is locked" in text or "database table is locked" in text
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == _PG_CHECK_VIOLATION:
        # a row routed to a DEFAULT partition while a partition of its range was attached
        # (the router chose before it waited for the lock): routed again, it finds its own
        return "violates partition constraint" in str(exc)
    return sqlstate in _PG_RETRYABLE


def retrying(
    work: Callable[[], T],
    *,
    wait: float,
    what: str = "the database",
    sleep: Callable[[float], object] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> T:
    """``work()``, run again after a retryable error (:func:`is_retryable`) with pauses that
    double from :data:`FIRST_PAUSE` (jittered, at most :data:`LONGEST_PAUSE`) until ``wait``
    seconds have passed; then :class:`WriteBusy`. Other errors pass through at once."""
    deadline = monotonic() + wait
    pause = FIRST_PAUSE
    attempt = 0
    while True:
        attempt += 1
        try:
            return work()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            left = deadline - monotonic()
            if left <= 0:
                log.warning("%s stayed busy after %d attempts: %s", what, attempt, exc)
                raise WriteBusy(what) from exc
            sleep(min(left, pause * (0.5 + random.random())))  # noqa: S311 - jitter only
            pause = min(pause * 2, LONGEST_PAUSE)
