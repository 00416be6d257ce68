"""Logging in over HTTP (the login page and ``POST /api/auth/token``): both are in the audit
log, the slow password check holds no transaction, and the rate limit keys on the account and
the address together, so an attacker elsewhere cannot lock the owner out. And a new account's
password must not be easy to guess."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.models import AuditEntry
from ecoradar.auth import login, passwords, ratelimit
from ecoradar.auth.errors import LoginFailed, TooManyAttempts
from ecoradar.auth.models import LoginAttempt
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from tests.conftest import USER_PASSWORD, Login, MakeUser
from tests.factories import load_small_registry

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

ATTACKER = "203.0.113.9"
OWNER = "10.0.0.2"


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


@pytest.fixture
def officer(make_user: MakeUser) -> Login:
    return make_user("officer", region="A", username="alice", display_name="王丽")


def client_at(box: Container, address: str) -> TestClient:
    return TestClient(create_app(box), client=(address, 40000))


def token_login(client: TestClient, password: str, username: str = "alice") -> int:
    response = client.post("/api/auth/token", json={"username": username, "password": password})
    return response.status_code


def logins(box: Container) -> list[AuditEntry]:
    with box.reading() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "user.login")))


def test_a_login_through_the_token_endpoint_or_the_page_is_in_the_audit_log(
    city: Container, officer: Login
) -> None:
    with client_at(city, OWNER) as client:
        assert token_login(client, USER_PASSWORD) == 201
        page = client.post(
            "/login",
            data={"username": "alice", "password": USER_PASSWORD},
            follow_redirects=False,
        )
        assert page.status_code == 303
        assert token_login(client, "wrong-password") == 401
    entries = logins(city)
    assert [(e.actor, e.entity_id, e.ip, e.after) for e in entries] == [
        (f"user:{officer.user_id}:alice", str(officer.user_id), OWNER, {"via": "token"}),
        (f"user:{officer.user_id}:alice", str(officer.user_id), OWNER, {"via": "page"}),
    ], "each success once, with where it came from; failures are login attempts, not entries"
    assert all(e.actor_user_id == officer.user_id for e in entries)


def test_an_attackers_failures_from_one_address_do_not_stop_the_owner_at_another(
    city: Container, officer: Login, clock: FakeClock
) -> None:
    with client_at(city, ATTACKER) as attacker, client_at(city, OWNER) as owner:
        statuses = set()
        for _ in range(30):
            status = token_login(attacker, "guess-after-guess")
            statuses.add(status)
            if status == 429:
                clock.advance(timedelta(seconds=1))
        assert statuses == {401, 429}, "the attacker's address is slowed down"
        assert token_login(attacker, USER_PASSWORD) == 429, "even with the right password"
        assert token_login(owner, USER_PASSWORD) == 201
        page = owner.post(
            "/login",
            data={"username": "alice", "password": USER_PASSWORD},
            follow_redirects=False,
        )
        assert page.status_code == 303


def test_the_password_is_checked_with_no_transaction_open(
    city: Container, officer: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_units: list[str] = []
    seen: list[list[str]] = []

    def watched(name: str) -> object:
        original = getattr(city, name)

        @contextmanager
        def unit(*args: object, **kwargs: object) -> Iterator[Session]:
            open_units.append(name)
            try:
                with original(*args, **kwargs) as session:
                    yield session
            finally:
                open_units.remove(name)

        return unit

    monkeypatch.setattr(city, "transaction", watched("transaction"))
    monkeypatch.setattr(city, "reading", watched("reading"))
    verify = passwords.verify_password

    def checking(stored_hash: str, password: str) -> bool:
        seen.append(list(open_units))
        return verify(stored_hash, password)

    monkeypatch.setattr(passwords, "verify_password", checking)
    with client_at(city, OWNER) as client:
        assert token_login(client, USER_PASSWORD) == 201
        page = client.post(
            "/login", data={"username": "alice", "password": "wrong-password"}
        )  # fmt: skip
        assert page.status_code == 401
    assert seen == [[], []]


def test_attempts_that_raced_past_the_first_check_are_judged_again_when_recorded(
    city: Container, officer: Login
) -> None:
    """Many guesses sent at once all pass the read step; recording them one at a time, the
    rate limit refuses those over it, and a right password among them tells nothing."""
    now = city.clock.now()
    with city.reading() as session:
        raced = [
            login.look_up(session=session, username="alice", ip=ATTACKER, now=now)
            for _ in range(ratelimit.PAIR_FREE + 1)
        ]
    outcomes = []
    for candidate, password in zip(raced, ["x1", "x2", "x3", USER_PASSWORD], strict=True):
        checked = login.check(candidate, password)
        try:
            with city.transaction() as session:
                try:
                    login.record(
                        session=session, candidate=candidate, checked=checked, now=now, via="token"
                    )
                    outcomes.append("in")
                except LoginFailed:  # committed, as log_in does
                    outcomes.append("failed")
        except TooManyAttempts:
            outcomes.append("refused")
    assert outcomes == ["failed"] * ratelimit.PAIR_FREE + ["refused"]
    with city.reading() as session:
        assert session.scalar(select(LoginAttempt.id).where(LoginAttempt.succeeded)) is None


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ({}, "密码：太容易被猜中（其中重复了字符或词语）"),
        ({"Accept-Language": "en"}, "password: too easy to guess (it repeats characters"),
    ],
)
def test_an_account_with_a_password_easy_to_guess_is_refused_in_the_readers_language(
    city: Container, admin_headers: dict[str, str], language: dict[str, str], words: str
) -> None:
    with client_at(city, OWNER) as client:
        response = client.post(
            "/api/users",
            json={"username": "bob", "role": "public", "password": "aaaaaaaaaa"},
            headers={**admin_headers, **language},
        )
        assert response.status_code == 422 and words in response.json()["detail"]
        people = client.get("/api/users", params={"q": "bob"}, headers=admin_headers).json()
        assert people["total"] == 0
