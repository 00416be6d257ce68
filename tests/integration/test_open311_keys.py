"""Open311 clients relay many people: each API key's own clue limit, the relayed reporters
counted within a key, the limits on the command line, and the reporters' identities kept for
the officers handling the problem only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.audit.models import AuditEntry
from ecoradar.auth import tokens
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.cli import app
from ecoradar.clues import open311_keys, ratelimit
from ecoradar.clues.models import IntakeAttempt
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import InputError
from tests.conftest import create_login
from tests.integration.open311_support import (
    IN_G1,
    ODOUR,
    REPORTER,
    City,
    city,
    load_regions,
    make_key,
    make_staff,
)
from tests.integration.problem_support import create_app_for
from tests.integration.test_open311 import errors_of

__all__ = ["city"]  # the fixture

runner = CliRunner()
ANONYMOUS_LIMIT = 2


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def limit_key(box: Container, key: str, clues: int | None, reporter: int | None = None) -> None:
    """Give the key ``key`` (its secret) its own limits."""
    with box.transaction() as session:
        principal = tokens.token_principal(session=session, secret=key, now=box.clock.now())
        assert principal.token_id is not None
        token = tokens.token_by_ref(session=session, ref=str(principal.token_id))
        open311_keys.set_limits(
            session=session,
            token=token,
            clues_per_hour=clues,
            per_reporter_per_hour=reporter,
            anonymous_limit=box.settings.clue_rate_limit_per_hour,
            now=box.clock.now(),
        )


@pytest.fixture
def small(settings: Settings, clock: FakeClock, tmp_path: Path) -> Iterator[City]:
    """The city with an anonymous limit of 2 clues an hour, and its key with no limit of its
    own yet."""
    box = bootstrap(
        settings.model_copy(update={"clue_rate_limit_per_hour": ANONYMOUS_LIMIT}), clock=clock
    )
    load_regions(box, tmp_path)
    yield City(box, TestClient(create_app_for(box)), make_key(box))
    box.close()


def public_form() -> dict[str, str]:
    """A report on the public form (an anonymous client: its address is its client)."""
    return {
        "category": "odour",
        "lat": IN_G1["lat"],
        "long": IN_G1["long"],
        "description": "有很重的臭味",
        "attributes": json.dumps({"intensity": "4"}),
    }


def test_a_key_with_limit_n_accepts_n_and_refuses_the_next_alone(
    small: City, clock: FakeClock
) -> None:
    limit_key(small.box, small.key, 5, 5)
    other = make_key(small.box, "hotline-12345")
    limit_key(small.box, other, 3, 3)
    for _ in range(5):  # more than the anonymous limit of 2: the key's own limit holds
        assert small.post(**ODOUR).status_code == 200
    refused = small.post(**ODOUR)
    (description,) = errors_of(refused, 429)
    assert "too many clues" in description
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    for _ in range(3):  # another key has its own budget, untouched by the first's
        assert small.post(key=other, **ODOUR).status_code == 200
    assert small.post(key=other, **ODOUR).status_code == 429
    for _ in range(ANONYMOUS_LIMIT):  # anonymous clients keep the anonymous limit
        assert small.client.post("/api/clues/public", data=public_form()).status_code == 201
    assert small.client.post("/api/clues/public", data=public_form()).status_code == 429
    unlimited = make_key(small.box, "old-app")  # a key without a limit of its own: anonymous
    for _ in range(ANONYMOUS_LIMIT):
        assert small.post(key=unlimited, **ODOUR).status_code == 200
    assert small.post(key=unlimited, **ODOUR).status_code == 429
    clock.advance(timedelta(hours=1, seconds=1))
    assert small.post(**ODOUR).status_code == 200


def test_a_raised_or_lowered_limit_holds_from_the_next_request(small: City) -> None:
    limit_key(small.box, small.key, 3, 2)
    for _ in range(3):
        assert small.post(**ODOUR).status_code == 200
    assert small.post(**ODOUR).status_code == 429
    limit_key(small.box, small.key, 4, None)
    assert small.post(**ODOUR).status_code == 200
    assert small.post(**ODOUR).status_code == 429


def test_one_relayed_reporter_cannot_use_up_the_keys_budget(small: City) -> None:
    limit_key(small.box, small.key, 10, 2)
    one = {"email": "Zhang.San@Example.com", "device_id": "phone-001"}
    assert small.post(**ODOUR, **one).status_code == 200
    assert small.post(**ODOUR, email="zhang.san@example.com ").status_code == 200  # the same
    refused = small.post(**ODOUR, **one)
    (description,) = errors_of(refused, 429)
    assert "this reporter" in description and int(refused.headers["Retry-After"]) > 0
    # any identity already used twice refuses the report, whatever else comes with it
    assert small.post(**ODOUR, email="new@example.com", device_id="phone-001").status_code == 200
    assert small.post(**ODOUR, account_id="x-9", device_id="phone-001").status_code == 429
    for person in ("li.si@example.com", "wang.wu@example.com"):  # others go on
        assert small.post(**ODOUR, email=person).status_code == 200
    for _ in range(3):  # reports without an identity count against the key only
        assert small.post(**ODOUR).status_code == 200
    for person in ("zhao.liu@example.com", "sun.ba@example.com"):
        assert small.post(**ODOUR, email=person).status_code == 200
    assert small.post(**ODOUR, email="qian.qi@example.com").status_code == 429  # the key's 10
    other = make_key(small.box, "other-app")
    limit_key(small.box, other, 10, 2)
    assert small.post(key=other, **ODOUR, **one).status_code == 200  # counted per key


def test_a_reporters_refused_reports_count_and_identities_are_not_kept_in_the_counts(
    small: City,
) -> None:
    limit_key(small.box, small.key, 10, 2)
    person = {"email": REPORTER["email"], "account_id": REPORTER["account_id"]}
    assert small.post(**{**ODOUR, "lat": "north"}, **person).status_code == 400
    assert small.post(**ODOUR, **person).status_code == 200
    assert small.post(**ODOUR, **person).status_code == 429
    with small.box.reading() as session:
        clients = list(session.scalars(select(IntakeAttempt.client)))
    assert len(clients) == 6  # the key and two identities, for the refusal and the clue
    for value in REPORTER.values():
        assert all(value not in c and value.lower() not in c for c in clients)


def test_the_reporters_identities_are_kept_for_the_officers_handling_it_only(
    city: City,
) -> None:
    limit_key(city.box, city.key, 10, 5)
    request_id = city.create(ODOUR, **REPORTER)
    problem_id = city.problem_of(request_id)
    staff = make_staff(city.box)
    found = city.client.get(f"/api/problems/{problem_id}/reporters", headers=staff.officer.headers)
    assert found.status_code == 200, found.text
    (identity,) = found.json()
    for field in ("email", "phone", "account_id", "device_id"):
        assert REPORTER[field] in identity["contact"], field
    elsewhere = create_login(city.box, "officer", region="B", username="officer-b")
    citizen = create_login(city.box, "public", username="citizen")
    for who in (elsewhere, citizen):
        response = city.client.get(f"/api/problems/{problem_id}/reporters", headers=who.headers)
        assert response.status_code in (403, 404), response.text
        assert REPORTER["email"] not in response.text
    for url in (
        f"/open311/v2/requests/{request_id}.json?extensions=true",
        f"/open311/v2/requests/{request_id}.xml?extensions=true",
    ):
        text = city.client.get(url).text
        assert all(value not in text for value in REPORTER.values())
    with city.box.reading() as session:
        reads = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("reporter%")))
        )
    assert reads == ["reporter_contact.read"]


def test_limits_are_checked_and_audited(city: City) -> None:
    for clues, reporter in ((0, 1), (5, 6), (open311_keys.MAX_LIMIT + 1, 1), (5, 0)):
        with pytest.raises(InputError):
            limit_key(city.box, city.key, clues, reporter)
    limit_key(city.box, city.key, 50, None)
    limit_key(city.box, city.key, 10, None)
    drones = make_key(city.box, "drone-east", "drones")
    with pytest.raises(InputError, match="not an Open311 key"):
        limit_key(city.box, drones, 5, 5)
    with city.box.reading() as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "open311_key.limits")
                .order_by(AuditEntry.id)
            )
        )
    anonymous = city.box.settings.clue_rate_limit_per_hour
    assert anonymous > 10
    assert [e.after for e in entries] == [
        {"clues_per_hour": 50, "per_reporter": anonymous},  # the default: the anonymous limit
        {"clues_per_hour": 10, "per_reporter": 10},  # lowered with the key's limit
    ]
    assert entries[1].before == {"clues_per_hour": 50, "per_reporter": anonymous}


def test_keys_are_made_with_limits_listed_and_changed_on_the_command_line(
    small: City, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECORADAR_CLUE_RATE_LIMIT_PER_HOUR", str(ANONYMOUS_LIMIT))
    code, out, err = ecoradar(
        "open311",
        "keys",
        "create",
        "--name",
        "city-hotline",
        "--limit",
        "3",
        "--reporter-limit",
        "1",
    )
    assert code == 0, err
    key = out.strip()
    assert "3 clues an hour" in err
    code, out, err = ecoradar("open311", "keys", "create", "--name", "fixmystreet")
    assert code == 0, err
    assert f"{open311_keys.DEFAULT_KEY_LIMIT} clues an hour" in err
    code, _, err = ecoradar("open311", "keys", "create", "--name", "wrong", "--limit", "0")
    assert code == 1 and "between 1 and" in err
    code, listed, _ = ecoradar("open311", "keys", "list")
    assert code == 0 and "wrong" not in listed  # no key without its limits
    rows = {line.split("│")[2].strip(): line for line in listed.splitlines() if "│" in line}
    assert cells(rows["city-hotline"])[4] == "3 (1)"
    default = f"{open311_keys.DEFAULT_KEY_LIMIT} ({ANONYMOUS_LIMIT})"
    assert cells(rows["fixmystreet"])[4] == default
    assert cells(rows["city-app"])[4] == f"{ANONYMOUS_LIMIT} ({ANONYMOUS_LIMIT})*"
    assert f"anonymous limit of {ANONYMOUS_LIMIT} clues an hour" in listed
    assert small.post(key=key, **ODOUR, email="a@example.com").status_code == 200
    assert small.post(key=key, **ODOUR, email="a@example.com").status_code == 429
    code, out, err = ecoradar("open311", "keys", "limit", "city-hotline", "--reporter-limit", "2")
    assert code == 0, err
    assert "3 clues an hour, 2 per relayed reporter" in out
    assert small.post(key=key, **ODOUR, email="a@example.com").status_code == 200
    assert small.post(key=key, **ODOUR).status_code == 200
    assert small.post(key=key, **ODOUR).status_code == 429  # the key's 3
    code, _, err = ecoradar("open311", "keys", "limit", "city-hotline", "--limit", "0")
    assert code == 1 and "between 1 and" in err
    code, _, err = ecoradar("open311", "keys", "limit", "city-hotline")
    assert code == 1 and "--limit" in err
    make_key(small.box, "drone-east", "drones")
    code, _, err = ecoradar("open311", "keys", "limit", "drone-east", "--limit", "5")
    assert code == 1 and "not an Open311 key" in err


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("│")[1:-1]]


# --- pure rules ------------------------------------------------------------------------------


def test_reporter_clients_are_one_per_identity_normalised_and_per_key() -> None:
    clients = open311_keys.reporter_clients(
        7, {"email": " A@B.cn ", "device_id": "d-1", "account_id": None}
    )
    assert [c.split(":")[2] for c in clients] == ["e", "d"]
    assert all(c.startswith("token:7:") and len(c) <= ratelimit.CLIENT_MAX for c in clients)
    assert clients == open311_keys.reporter_clients(7, {"email": "a@b.cn", "device_id": "d-1"})
    assert open311_keys.reporter_clients(7, {"device_id": "D-1"}) != clients[1:]
    assert open311_keys.reporter_clients(8, {"email": "a@b.cn"})[0] != clients[0]
    assert open311_keys.reporter_clients(7, {"email": " "}) == []
    long = "x" * 10_000
    (only,) = open311_keys.reporter_clients(2**31 - 1, {"account_id": long})
    assert len(only) <= ratelimit.CLIENT_MAX and "x" not in only.split(":")[3]


def test_a_new_keys_limits_are_never_below_an_anonymous_clients() -> None:
    assert open311_keys.default_limits(20) == (open311_keys.DEFAULT_KEY_LIMIT, 20)
    assert open311_keys.default_limits(1_000_000) == (1_000_000, 1_000_000)
    assert open311_keys.default_limits(10**9) == (open311_keys.MAX_LIMIT, open311_keys.MAX_LIMIT)
