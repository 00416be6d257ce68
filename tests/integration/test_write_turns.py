"""Units of work that write, against real databases (issue 12): they never fail because another
one is writing; a request whose wait runs out gets 503 with ``Retry-After`` and changes nothing;
a 2xx is sent only once its unit of work is committed; a GET writes nothing in its own."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from ecoradar.auth.models import ApiToken
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.clues import ratelimit
from ecoradar.clues.models import IntakeAttempt
from ecoradar.config import Settings
from ecoradar.problems.models import Finding
from ecoradar.web.app import create_app
from ecoradar.web.busy import RetryBusy
from tests.conftest import Login, MakeUser
from tests.integration.open311_support import IN_G1, load_regions


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    load_regions(container, tmp_path)
    return container


def clue(description: str) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "category": "noise",
        "lat": float(IN_G1["lat"]),
        "long": float(IN_G1["long"]),
        "observed_at": "2026-11-02T08:00:00+08:00",
        "description": description,
    }


def findings(box: Container, description: str) -> int:
    with box.reading() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Finding).where(Finding.description == description)
            )
            or 0
        )


def test_units_of_work_that_read_then_write_never_fail_because_another_writes(
    container: Container,
) -> None:
    """Four threads each read, then write, sixty times at once: with a deferred BEGIN, SQLite
    answered "database is locked" at the first write after a read, whatever the timeout."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker(n: int) -> None:
        try:
            start.wait(10)
            for i in range(60):
                with container.transaction() as session:
                    session.scalar(select(func.count()).select_from(IntakeAttempt))
                    ratelimit.record(
                        session=session, client=f"w{n}", kind="tracking", now=container.clock.now()
                    )
                    if i % 7 == 0:
                        session.flush()
                        session.scalar(select(func.max(IntakeAttempt.id)))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with container.reading() as session:
        assert session.scalar(select(func.count()).select_from(IntakeAttempt)) == 240


def test_a_deadlock_on_postgresql_runs_the_loser_again(container: Container) -> None:
    if container.engine.dialect.name != "postgresql":
        pytest.skip("deadlocks between two writers happen on PostgreSQL; SQLite has one writer")
    with container.transaction() as session:
        session.execute(text("CREATE TABLE pair (id int PRIMARY KEY, n int)"))
        session.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    both = threading.Barrier(2)
    attempts: list[int] = []
    errors: list[BaseException] = []

    def crossing(first: int, second: int) -> None:
        def work(session: Session) -> None:
            attempts.append(first)
            session.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": first})
            if len(attempts) <= 2:
                both.wait(10)  # both hold their first row: the second updates deadlock
            session.execute(text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": second})

        try:
            container.write(work)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=crossing, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(attempts) == 3, "the loser of the deadlock ran once more"
    with container.reading() as session:
        assert session.execute(text("SELECT n FROM pair ORDER BY id")).scalars().all() == [2, 2]


@pytest.fixture
def patient(settings: Settings, clock: Any, tmp_path: Path) -> Iterator[Container]:
    """A container whose writers wait at most half a second."""
    box = bootstrap(settings.model_copy(update={"write_wait": 0.5}), clock=clock)
    load_regions(box, tmp_path)
    yield box
    box.close()


def test_a_request_that_waits_too_long_for_its_turn_gets_503_and_changes_nothing(
    patient: Container, make_user: MakeUser
) -> None:
    admin = make_user("admin")
    client = TestClient(create_app(patient))
    assert patient.gate is not None or patient.engine.dialect.name == "postgresql"
    held = _hold_the_write_lock(patient)
    try:
        answer = client.post("/api/clues/officer", json=clue("堵在门口"), headers=admin.headers)
    finally:
        held.set()
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert "nothing was changed" in answer.json()["detail"]
    assert findings(patient, "堵在门口") == 0
    again = client.post("/api/clues/officer", json=clue("堵在门口"), headers=admin.headers)
    assert again.status_code == 201, again.text
    assert findings(patient, "堵在门口") == 1


def _hold_the_write_lock(box: Container) -> threading.Event:
    """Another writer holds the database until the returned event is set: on SQLite another
    process's connection (``BEGIN IMMEDIATE``), on PostgreSQL a lock on the table every clue
    writes to (the request then fails with a lock timeout, run again until its wait is over)."""
    release = threading.Event()
    ready = threading.Event()

    def hold() -> None:
        if box.engine.dialect.name == "sqlite":
            database = box.engine.url.database
            assert database is not None
            other = sqlite3.connect(database, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            ready.set()
            release.wait(30)
            other.execute("ROLLBACK")
            other.close()
            return
        with box.engine.connect() as conn:
            conn.execute(text("LOCK TABLE findings IN EXCLUSIVE MODE"))
            ready.set()
            release.wait(30)
            conn.rollback()

    threading.Thread(target=hold, daemon=True).start()
    assert ready.wait(10)
    if box.engine.dialect.name == "postgresql":

        @event.listens_for(box.engine, "begin")
        def short_lock_wait(conn: Any) -> None:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")

    return release


def test_a_request_whose_unit_of_work_met_a_busy_database_runs_again_whole_once(
    city: Container, make_user: MakeUser
) -> None:
    admin = make_user("admin")
    flushes: list[int] = []

    @event.listens_for(Session, "before_flush")
    def busy_at_first(session: Session, context: Any, instances: Any) -> None:
        flushes.append(1)
        if len(flushes) == 1:  # the first write of the request: another writer was in the way
            raise _busy()

    try:
        answer = TestClient(create_app(city)).post(
            "/api/clues/officer", json=clue("半夜敲打"), headers=admin.headers
        )
    finally:
        event.remove(Session, "before_flush", busy_at_first)
    assert answer.status_code == 201, answer.text
    assert findings(city, "半夜敲打") == 1


def test_a_2xx_is_sent_only_after_its_unit_of_work_is_committed(
    city: Container, make_user: MakeUser
) -> None:
    admin = make_user("admin")
    happened: list[str] = []

    @event.listens_for(Session, "after_commit")
    def committed(session: Session) -> None:
        happened.append("commit")

    app = create_app(city)

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                happened.append(f"response {message['status']}")
            await send(message)

        await app(scope, receive, sending)

    try:
        answer = TestClient(watching).post(  # type: ignore[arg-type]
            "/api/clues/officer", json=clue("锅炉房冒黑烟"), headers=admin.headers
        )
    finally:
        event.remove(Session, "after_commit", committed)
    assert answer.status_code == 201, answer.text
    assert "response 201" in happened
    assert happened.index("commit") < happened.index("response 201")


def test_a_get_writes_nothing_in_its_unit_of_work_and_last_use_is_written_apart(
    container: Container, make_user: MakeUser
) -> None:
    admin: Login = make_user("admin")
    client = TestClient(create_app(container))
    assert client.get("/api/auth/me", headers=admin.headers).status_code == 200

    def last_used() -> Any:
        with container.reading() as session:
            return session.scalar(select(ApiToken.last_used_at).where(ApiToken.name.like("admin%")))

    assert last_used() is None
    assert len(container.touches) == 1
    assert container.flush_touches() == 1
    assert last_used() == container.clock.now()
    with container.reading() as session, pytest.raises(DBAPIError):
        ratelimit.record(session=session, client="x", kind="tracking", now=container.clock.now())
        session.flush()


def _always_busy_app(calls: list[bytes]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        calls.append(message.get("body", b""))
        raise _busy()

    return app


def _busy() -> OperationalError:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
    return OperationalError("BEGIN IMMEDIATE", {}, error)


def test_a_browser_whose_change_could_not_wait_gets_a_page_in_its_language() -> None:
    calls: list[bytes] = []
    app = RetryBusy(
        _always_busy_app(calls), wait=0.2, headers={"X-Content-Type-Options": "nosniff"}
    )
    client = TestClient(app)
    page = client.post("/report", data={"description": "气味"}, headers={"Accept": "text/html"})
    assert page.status_code == 503 and int(page.headers["retry-after"]) > 0
    assert "text/html" in page.headers["content-type"]
    assert "x-content-type-options" in page.headers
    assert "系统繁忙" in page.text and "没有任何内容被修改" in page.text
    assert len(calls) > 1 and len(set(calls)) == 1, "each run saw the same whole body"
    english = client.post(
        "/report",
        data={"description": "x"},
        headers={"Accept": "text/html", "Accept-Language": "en"},
    )
    assert "Nothing was changed" in english.text
    api = client.post("/api/clues/public", json={"description": "x"})
    assert api.status_code == 503 and "nothing was changed" in api.json()["detail"]
