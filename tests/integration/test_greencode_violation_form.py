"""Naming a violation (a green-code veto) in the problem page's on-site form, on confirmation."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoradar.core.clock import CHINA_TZ
from ecoradar.greencode.models import StaleCode
from ecoradar.problems.models import Problem
from tests.integration import test_problem_pages as pages
from tests.integration.test_problem_pages import (
    EN,
    IN_G1,
    World,
    as_user,
    jpeg,
    post,
    refusal_text,
    verifying,
)

client = pages.client
world = pages.world
"""The problem pages' fixtures: the small registry with an officer, a grid worker and the
enterprise's user, and a logged-in test client."""


def onsite(world: World) -> dict[str, str]:
    at = world.clock.now().astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")
    return {"at": at, "lat": str(IN_G1[0]), "lon": str(IN_G1[1]), "text": "发现暗管"}


def violation_of(world: World, problem_id: int) -> str | None:
    with world.box.reading() as session:
        found = session.get(Problem, problem_id)
        assert found is not None
        return found.violation


def reported_about_the_enterprise(client: TestClient, world: World) -> int:
    problem = world.report(enterprise=True)
    officer = as_user(client, world, world.officer)
    post(client, f"/problems/{problem}/actions/accept", officer)
    post(
        client,
        f"/problems/{problem}/actions/assign",
        officer,
        {"assignee_id": str(world.worker.user_id)},
    )
    worker = as_user(client, world, world.worker)
    post(client, f"/problems/{problem}/actions/start_verification", worker)
    world.clock.advance(timedelta(minutes=1))
    return problem


def test_an_officer_names_the_violation_with_the_confirmation(
    client: TestClient, world: World
) -> None:
    problem = reported_about_the_enterprise(client, world)
    csrf = as_user(client, world, world.officer)
    page = client.get(f"/problems/{problem}").text
    assert 'name="violation"' in page and "偷排暗管或旁路" in page
    assert "Bypass or hidden pipe" in client.get(f"/problems/{problem}", headers=EN).text
    photo = [("files", ("site.jpg", jpeg(), "image/jpeg"))]
    confirmed = post(
        client,
        f"/problems/{problem}/actions/confirm",
        csrf,
        {**onsite(world), "violation": "bypass"},
        files=photo,
    )
    assert confirmed.status_code == 303, refusal_text(confirmed.text)
    assert world.state(problem) == "confirmed" and violation_of(world, problem) == "bypass"
    with world.box.reading() as session:
        assert session.scalars(select(StaleCode.reason)).all() != []


def test_an_unknown_violation_refuses_the_whole_confirmation(
    client: TestClient, world: World
) -> None:
    problem = reported_about_the_enterprise(client, world)
    csrf = as_user(client, world, world.officer)
    photo = [("files", ("site.jpg", jpeg(), "image/jpeg"))]
    refused = post(
        client,
        f"/problems/{problem}/actions/confirm",
        csrf,
        {**onsite(world), "violation": "arson"},
        files=photo,
    )
    assert refused.status_code == 422
    assert world.state(problem) == "verifying" and violation_of(world, problem) is None


def test_the_grid_worker_confirms_without_the_violation_field(
    client: TestClient, world: World
) -> None:
    problem, worker = verifying(client, world)
    page = client.get(f"/problems/{problem}").text
    assert 'id="submit-confirm"' in page and 'name="violation"' not in page
