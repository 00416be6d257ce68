"""Every role of ``ecoradar demo`` has something to do the moment the demo is made: a small
demo world (the ``prepare`` of ``ecoradar demo``) on each backend and, signed in as each demo
account through the web app, the role's home or main list shows at least one item to act on.
And the back-filled history's public reports came in through the clue intake like live ones:
clue rows, tracking codes, deduplication, at the history's time."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.audit.models import AuditEntry
from ecoradar.auth import sessions
from ecoradar.auth.models import User
from ecoradar.bootstrap import Container, bootstrap
from ecoradar.clues.models import Clue
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Finding
from ecoradar.simulate.demo import Prepared, prepare
from tests.conftest import BACKENDS, START, TEST_SECRET
from tests.integration.problem_support import create_app_for, fast_hashing

ENTERPRISES, DAYS = 16, 7
"""The smallest world that shows every role's work and a back-filled public report (with
seed 1; 8 enterprises have no report in 7 days)."""
ROLES = ("admin", "officer", "gridworker", "enterprise", "deputy", "citizen")


@dataclass
class Demo:
    box: Container
    prepared: Prepared
    clients: dict[str, TestClient]
    users: dict[str, int]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("demo")
    server = None
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), directory / "demo.db")
        url = f"sqlite:///{directory / 'demo.db'}"
    else:
        server = request.getfixturevalue("postgres")
        url = server.fresh()
    settings = Settings(
        environment="development",
        secret_key=TEST_SECRET,
        home=directory / "home",
        database_url=url,
    )
    with fast_hashing():
        prepared = prepare(settings, enterprises=ENTERPRISES, days=DAYS, seed=1, now=START)
    box = bootstrap(settings, clock=FakeClock(prepared.state.at))
    clients: dict[str, TestClient] = {}
    users: dict[str, int] = {}
    try:
        app = create_app_for(box)
        with box.transaction() as session:
            for name in ROLES:
                user = session.scalar(select(User).where(User.username == name))
                assert user is not None, name
                started = sessions.start_session(session=session, user=user, now=box.clock.now())
                clients[name] = TestClient(app)
                clients[name].cookies.set(sessions.COOKIE, started.secret)
                users[name] = user.id
        yield Demo(box, prepared, clients, users)
    finally:
        for client in clients.values():
            client.close()
        box.close()
        if server is not None:
            server.discard(url.rsplit("/", 1)[1])


def _json(client: TestClient, path: str) -> object:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.text[:500])
    return answer.json()


def test_the_back_filled_public_reports_came_through_the_clue_intake(demo: Demo) -> None:
    end = demo.prepared.state.at
    with demo.box.reading() as session:
        public = list(session.scalars(select(Finding).where(Finding.channel == "public")))
        clues = {c.finding_id: c for c in session.scalars(select(Clue))}
        submitted = session.scalar(select(func.count()).where(AuditEntry.action == "clue.submit"))
    back_filled = [f for f in public if f.received_at < end]
    assert back_filled, "the history has no public report"
    for finding in public:
        clue = clues.get(finding.id)
        assert clue is not None, f"public finding {finding.id} has no clue"
        assert re.fullmatch(r"[0-9A-Z]{10}", clue.tracking_code)
        assert clue.received_at == finding.received_at  # the back-fill's clock, not today's
        assert clue.problem_id == finding.problem_id
    assert submitted == len(clues)
    desk = _json(demo.clients["officer"], "/api/clues?channel=public&per_page=200")
    assert isinstance(desk, dict)
    assert {item["finding_id"] for item in desk["items"]} >= {f.id for f in back_filled}


def test_the_officer_and_the_administrator_have_clues_and_attention(demo: Demo) -> None:
    for role in ("officer", "admin"):
        client = demo.clients[role]
        attention = _json(client, "/api/attention")
        assert isinstance(attention, dict)
        counts = {item["key"]: item["count"] for item in attention["items"]}
        assert attention["total"] > 0 and counts["new_clues"] > 0, (role, counts)
        assert counts["questions_open"] > 0, (role, counts)
        desk = _json(client, "/api/clues")
        assert isinstance(desk, dict) and desk["total"] > 0, role
        page = client.get("/clues")
        assert page.status_code == 200 and "/problems/" in page.text, role


def test_the_grid_worker_has_a_problem_to_verify(demo: Demo) -> None:
    client = demo.clients["gridworker"]
    listed = _json(client, "/api/problems")
    assert isinstance(listed, dict)
    mine = [
        p
        for p in listed["items"]
        if p["assignee_id"] == demo.users["gridworker"] and p["state"] == "assigned"
    ]
    assert mine, listed
    page = client.get("/grid/clues")
    assert page.status_code == 200
    assert f'data-problem="{mine[0]["id"]}"' in page.text
    assert "/actions/start_verification" in page.text


def test_the_enterprise_has_a_task_or_a_problem_to_rectify(demo: Demo) -> None:
    client = demo.clients["enterprise"]
    tasks = _json(client, "/api/selfcheck/tasks")
    problems = _json(client, "/api/problems")
    reminders = _json(client, "/api/reminders")
    assert isinstance(tasks, dict) and isinstance(problems, dict) and isinstance(reminders, list)
    to_do = [t for t in tasks["items"] if t["state"] in ("pending", "overdue")]
    to_rectify = [p for p in problems["items"] if p["state"] == "rectifying"]
    to_answer = [r for r in reminders if r["state"] in ("issued", "acknowledged")]
    assert to_do or to_rectify or to_answer, (tasks, problems, reminders)
    assert to_do, "the history leaves the demo enterprise's last week to its people"
    page = client.get("/selfcheck")
    assert page.status_code == 200 and f"/selfcheck/tasks/{to_do[0]['id']}" in page.text


def test_the_deputy_follows_problems_of_the_region(demo: Demo) -> None:
    client = demo.clients["deputy"]
    followed = _json(client, "/api/supervision/problems")
    assert isinstance(followed, list) and followed
    assert any(item["questions"] for item in followed)
    listed = _json(client, "/api/problems")
    assert isinstance(listed, dict) and listed["total"] > 0
    page = client.get("/supervision")
    assert page.status_code == 200 and f"/problems/{followed[0]['problem_id']}" in page.text


def test_the_citizen_sees_their_report_and_its_tracking_status(demo: Demo) -> None:
    client = demo.clients["citizen"]
    listed = _json(client, "/api/problems")
    assert isinstance(listed, dict) and listed["total"] > 0
    problem = listed["items"][0]
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and f"/problems/{problem['id']}" in page.text
    with demo.box.reading() as session:
        code = session.scalar(
            select(Clue.tracking_code)
            .join(Finding, Clue.finding_id == Finding.id)
            .where(Finding.reporter_user_id == demo.users["citizen"])
        )
    assert code is not None
    tracked = _json(client, f"/api/clues/track/{code}")
    assert isinstance(tracked, dict)
    assert tracked["status"] == "open" and tracked["state"] == problem["state"]
