"""The pure parts of write concurrency: the write gate's order, what counts as "other work was
in the way", and running a unit of work again until a bounded wait runs out."""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg.errors
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ecoradar.core.writes import WriteBusy, WriteGate, is_retryable, retrying


def _wait_until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_writers_get_their_turn_in_the_order_they_asked() -> None:
    gate = WriteGate()
    assert gate.acquire(1)
    order: list[int] = []

    def writer(n: int) -> None:
        assert gate.acquire(10)
        order.append(n)
        gate.release()

    threads = []
    for n in range(6):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: gate.waiting == n + 1)  # queued behind the ones before
    gate.release()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4, 5]
    assert gate.handoffs == 6 and gate.turns == 7 and gate.held_seconds > 0
    assert str(gate).startswith("7 turns, held ")


def test_a_flood_of_one_writer_does_not_starve_another() -> None:
    """One thread takes the gate again and again as fast as it can (a device flood); another
    asks once: it gets the next turn, not one after the flood."""
    gate = WriteGate()
    stop = threading.Event()
    flood_turns: list[int] = []
    turns = 0

    def flood() -> None:
        nonlocal turns
        while not stop.is_set():
            assert gate.acquire(10)
            turns += 1
            time.sleep(0.002)
            gate.release()

    thread = threading.Thread(target=flood)
    thread.start()
    _wait_until(lambda: turns > 5)
    assert gate.acquire(10)
    flood_turns.append(turns)
    time.sleep(0.01)
    flood_turns.append(turns)
    gate.release()
    stop.set()
    thread.join(10)
    assert flood_turns[0] == flood_turns[1], "the flood went on while the click held its turn"


def test_a_turn_not_given_in_time_is_refused_and_the_line_moves_on() -> None:
    gate = WriteGate()
    assert gate.acquire(1)
    assert not gate.acquire(0.05)
    assert gate.waiting == 0
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(gate.acquire(10)))
    thread.start()
    _wait_until(lambda: gate.waiting == 1)
    gate.release()
    thread.join(10)
    assert got == [True]
    gate.release()
    with pytest.raises(RuntimeError):
        gate.release()


def _locked() -> OperationalError:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
    return OperationalError("BEGIN IMMEDIATE", {}, error)


@pytest.mark.parametrize(
    "error",
    [
        _locked(),
        OperationalError("x", {}, sqlite3.OperationalError("database table is locked")),
        OperationalError("x", {}, psycopg.errors.SerializationFailure("could not serialize")),
        OperationalError("x", {}, psycopg.errors.DeadlockDetected("deadlock detected")),
        OperationalError("x", {}, psycopg.errors.LockNotAvailable("lock timeout")),
        IntegrityError(
            "x",
            {},
            psycopg.errors.CheckViolation(
                'new row for relation "measurements_hour_default" violates partition constraint'
            ),
        ),
        PoolTimeout("QueuePool limit reached"),
        WriteBusy(),
    ],
)
def test_other_work_in_the_way_is_worth_another_try(error: Exception) -> None:
    assert is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("x", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
        OperationalError("x", {}, sqlite3.OperationalError("no such table: problems")),
        OperationalError("x", {}, sqlite3.OperationalError("attempt to write a readonly database")),
        OperationalError("x", {}, psycopg.errors.UndefinedTable("no such table")),
        IntegrityError("x", {}, psycopg.errors.CheckViolation('violates check constraint "kind"')),
        ValueError("database is locked"),
    ],
)
def test_other_errors_are_not_tried_again(error: Exception) -> None:
    assert not is_retryable(error)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_busy_unit_of_work_runs_again_until_it_succeeds() -> None:
    clock = _Clock()
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise _locked()
        return "done"

    result = retrying(work, wait=5, sleep=clock.sleep, monotonic=clock.monotonic)
    assert result == "done" and len(calls) == 4
    assert len(clock.slept) == 3 and clock.slept[0] < clock.slept[-1]


def test_a_unit_of_work_busy_for_longer_than_the_wait_gives_up_with_write_busy() -> None:
    clock = _Clock()

    def work() -> None:
        raise _locked()

    with pytest.raises(WriteBusy) as raised:
        retrying(work, wait=2, sleep=clock.sleep, monotonic=clock.monotonic, what="a batch")
    assert clock.now == pytest.approx(2, abs=0.3)
    assert "a batch is busy" in str(raised.value) and raised.value.retry_after > 0
    assert all(pause <= 0.25 * 1.5 for pause in clock.slept)


def test_other_errors_pass_through_at_once() -> None:
    clock = _Clock()

    def work() -> None:
        raise IntegrityError("x", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        retrying(work, wait=5, sleep=clock.sleep, monotonic=clock.monotonic)
    assert clock.slept == []
