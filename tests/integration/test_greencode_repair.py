"""Repairing a red code: rectification first, then the waiting period, then an application the
enterprise files and an officer in scope decides; the scoped reads and the public view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.greencode.model import load_model
from tests.factories import load_small_registry, uscc
from tests.integration.greencode_support import code_of, settle
from tests.integration.problem_support import (
    REPORTER_NAME,
    Driver,
    People,
    create_app_for,
    enterprise_id,
    fast_hashing,
    jpeg,
    make_people,
    public_report,
)

_ = fast_hashing
WAIT = load_model().repair_waiting_days


@dataclass
class Red:
    people: People
    drive: Driver
    client: TestClient
    problem: int
    media: int


@pytest.fixture
def red(container: Container, tmp_path: Path) -> Red:
    """Enterprise 1 with a confirmed bypass (red), nothing rectified yet."""
    load_small_registry(container, tmp_path)
    people = make_people(container)
    client = TestClient(create_app_for(container))
    drive = Driver(client, container, people.officer_a.headers)
    pid = public_report(
        container, reporter_user_id=people.reporter.user_id, enterprise=enterprise_id(container, 1)
    )
    media = drive.to_confirmed(pid, people.officer_a.user_id, jpeg(11))
    client.post(
        f"/api/problems/{pid}/violation",
        json={"violation": "bypass"},
        headers=people.officer_a.headers,
    ).raise_for_status()
    settle(container)
    code = code_of(container, 1)
    assert code is not None and code.colour == "red"
    return Red(people, drive, client, pid, media)


def close(red: Red) -> None:
    red.drive.order(red.problem)
    evidence = {"text": "已拆除暗管", "attachment_ids": [red.media]}
    red.drive.act(red.problem, "report_rectified", evidence=evidence)
    red.drive.act(red.problem, "close")


def file(red: Red, who: dict[str, str] | None = None) -> Any:
    return red.client.post(
        "/api/greencode/repairs",
        json={"statement": "暗管已拆除，已建立台账"},
        headers=who or red.people.enterprise.headers,
    )


def test_an_application_before_rectification_is_refused(red: Red) -> None:
    response = file(red)
    assert response.status_code == 409
    assert f"problem #{red.problem} is not closed" in response.json()["detail"]


def test_an_application_within_the_waiting_period_is_refused(red: Red, clock: FakeClock) -> None:
    close(red)
    clock.advance(timedelta(days=WAIT - 1))
    response = file(red)
    assert response.status_code == 409
    assert "waiting period" in response.json()["detail"]
    eligibility = red.client.get(
        "/api/greencode/repairs/eligibility", headers=red.people.enterprise.headers
    ).json()
    assert eligibility["can_file"] is False and eligibility["earliest"]


def test_an_approved_repair_lifts_the_veto_and_recomputes_at_once(
    red: Red, clock: FakeClock, container: Container
) -> None:
    close(red)
    clock.advance(timedelta(days=WAIT + 1))
    filed = file(red)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["state"] == "pending" and body["covers"] == [f"problem:{red.problem}:bypass"]
    assert file(red).status_code == 409  # one pending at a time
    approved = red.client.post(
        f"/api/greencode/repairs/{body['id']}/approve",
        json={"reason": "现场复核通过"},
        headers=red.people.officer_a.headers,
    )
    assert approved.status_code == 200, approved.text
    code = code_of(container, 1)
    assert code is not None and not code.vetoed and code.colour != "red"
    with container.reading() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_type == "greencode_repair")
            )
        )
    assert actions == ["greencode_repair.file", "greencode_repair.approve"]
    settle(container)  # the next pass keeps the veto lifted
    again = code_of(container, 1)
    assert again is not None and not again.vetoed


def test_a_rejected_repair_keeps_the_code_red_and_needs_a_reason(
    red: Red, clock: FakeClock, container: Container
) -> None:
    close(red)
    clock.advance(timedelta(days=WAIT + 1))
    repair_id = file(red).json()["id"]
    url = f"/api/greencode/repairs/{repair_id}/reject"
    headers = red.people.officer_a.headers
    assert red.client.post(url, json={}, headers=headers).status_code == 422
    rejected = red.client.post(url, json={"reason": "台账不全"}, headers=headers)
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    code = code_of(container, 1)
    assert code is not None and code.colour == "red"
    assert red.client.post(url, json={"reason": "again"}, headers=headers).status_code == 409


def test_only_the_enterprise_itself_files_and_only_an_officer_in_scope_decides(
    red: Red, clock: FakeClock
) -> None:
    close(red)
    clock.advance(timedelta(days=WAIT + 1))
    other = file(red, red.people.other_enterprise.headers)
    assert other.status_code == 409  # its own code has no veto
    assert file(red, red.people.officer_a.headers).status_code == 403
    repair_id = file(red).json()["id"]
    url = f"/api/greencode/repairs/{repair_id}/approve"
    assert red.client.post(url, json={}, headers=red.people.officer_b.headers).status_code == 404
    assert (
        red.client.post(url, json={}, headers=red.people.other_enterprise.headers).status_code
        == 404
    )
    assert red.client.post(url, json={}, headers=red.people.enterprise.headers).status_code == 403
    listed = red.client.get("/api/greencode/repairs", headers=red.people.other_enterprise.headers)
    assert listed.json() == []


def test_codes_are_read_within_scope_and_the_public_view_leaks_nothing_internal(
    red: Red,
) -> None:
    officer_a = red.client.get("/api/greencode/codes", headers=red.people.officer_a.headers)
    assert {r["enterprise_code"] for r in officer_a.json()["items"]} == {uscc(1), uscc(2)}
    assert officer_a.json()["items"][0]["colour"] == "red"  # worst first
    own = red.client.get("/api/greencode/codes", headers=red.people.enterprise.headers).json()
    assert [r["enterprise_code"] for r in own["items"]] == [uscc(1)]
    detail = red.client.get(
        f"/api/greencode/codes/{uscc(1)}", headers=red.people.enterprise.headers
    )
    assert detail.status_code == 200 and detail.json()["vetoed"] is True
    hidden = red.client.get(
        f"/api/greencode/codes/{uscc(1)}", headers=red.people.other_enterprise.headers
    )
    assert hidden.status_code == 404
    history = red.client.get(
        f"/api/greencode/codes/{uscc(1)}/history", headers=red.people.officer_a.headers
    )
    assert [h["colour"] for h in history.json()][-1] == "red"
    public = red.client.get(f"/api/greencode/public/{uscc(1)}")
    assert public.status_code == 200
    text = public.text
    assert public.json()["colour"] == "red" and public.json()["reasons"]
    assert "#" not in text and '"id"' not in text and "problem_id" not in text
    assert REPORTER_NAME not in text and "河里有黑水" not in text
    assert red.client.get("/api/greencode/public/91330000000000000X").status_code == 404
