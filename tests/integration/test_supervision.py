"""Supervisors ("问政"): accounts with a kind and a region, raising a problem through the clue
intake, following read-only (never a reporter's identity), questions the bureau answers by a
deadline, the scope checks, and the figures for staff and the public; on both databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.audit.models import AuditEntry
from ecoradar.auth import service as accounts
from ecoradar.auth import tokens
from ecoradar.bootstrap import Container
from ecoradar.cli import app as cli_app
from ecoradar.clues.models import Clue
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import InputError
from ecoradar.problems.models import Problem
from ecoradar.supervision.models import SupervisionQuestion, Supervisor
from ecoradar.web.app import create_app
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import USER_PASSWORD, Login, log_in
from tests.integration.clue_support import IN_B, clue, load_city, spot, submit
from tests.integration.problem_support import (
    REPORTER_CONTACT,
    REPORTER_NAME,
    People,
    jpeg,
    make_people,
)


@dataclass(frozen=True)
class World:
    box: Container
    client: TestClient
    people: People
    deputy: Login
    """A county A people's congress deputy."""
    journalist: Login
    """County B media."""
    reported: int
    """A problem in G1 reported by a registered member of the public who left a name and phone."""
    tracking_code: str
    """The tracking code of that report."""


def make_supervisor(
    box: Container, username: str, *, kind: str, region: str, organisation: str = ""
) -> Login:
    with box.transaction() as session:
        user = accounts.create_user(
            session=session,
            username=username,
            role="supervisor",
            password=USER_PASSWORD,
            now=box.clock.now(),
            region=region,
            supervisor_kind=kind,
            organisation=organisation,
            display_name=username.upper(),
        )
        issued = tokens.create_token(
            session=session, name=f"{username}-t", scopes=["api"], username=username,
            now=box.clock.now(),
        )  # fmt: skip
        return Login(user.id, user.username, "supervisor", USER_PASSWORD, issued.secret)


@pytest.fixture
def world(container: Container, tmp_path: Path) -> World:
    load_city(container, tmp_path)
    people = make_people(container)
    receipt = submit(
        container,
        clue(
            anonymous=False,
            reporter_user_id=people.reporter.user_id,
            reporter_name=REPORTER_NAME,
            reporter_contact=REPORTER_CONTACT,
            description="河里有黑水排出，联系我 13987654321",
        ),
        actor=f"user:{people.reporter.user_id}:{people.reporter.username}",
    )
    deputy = make_supervisor(
        container, "deputy-a", kind="deputy", region="A", organisation="A县人大常委会"
    )
    journalist = make_supervisor(container, "media-b", kind="media", region="B")
    return World(
        container,
        TestClient(create_app(container)),
        people,
        deputy,
        journalist,
        receipt.problem_id,
        receipt.tracking_code,
    )


def _raise(world: World, who: Login, place: dict[str, float], **extra: str) -> dict[str, object]:
    response = world.client.post(
        "/api/supervision/problems",
        data={
            "category": "water",
            "lat": str(place["lat"]),
            "long": str(place["lon"]),
            "description": "代表视察发现排污口夜间偷排",
            "address_string": "A县河边",
            **extra,
        },
        files=[("photos", ("river.jpg", jpeg(7), "image/jpeg"))],
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _audits(box: Container, action: str) -> int:
    with box.transaction() as session:
        return session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0


def _ask(world: World, who: Login, problem: int, text: str = "何时完成整改？") -> dict[str, object]:
    response = world.client.post(
        f"/api/problems/{problem}/questions", json={"question": text}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


# --- accounts ---------------------------------------------------------------------------------


def test_a_supervisor_account_needs_a_kind_and_a_region(world: World) -> None:
    box = world.box
    with box.transaction() as session:
        for kwargs, field in (
            ({"region": "A"}, "supervisor_kind"),
            ({"region": "A", "supervisor_kind": "mayor"}, "supervisor_kind"),
            ({"supervisor_kind": "deputy"}, "region"),
        ):
            with pytest.raises(InputError, match=f"^{field}"):
                accounts.check_new_user(
                    session=session, username="x-sup", role="supervisor", **kwargs
                )
        with pytest.raises(InputError, match="^supervisor_kind: only supervisors"):
            accounts.check_new_user(
                session=session, username="x-off", role="officer", region="A",
                supervisor_kind="deputy",
            )  # fmt: skip
        kept = session.get(Supervisor, world.deputy.user_id)
        assert kept is not None and (kept.kind, kept.organisation) == ("deputy", "A县人大常委会")


def test_the_cli_creates_a_supervisor_with_kind_and_organisation(
    world: World, cli_env: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        cli_app,
        ["users", "create", "cppcc-1", "--role", "supervisor", "--region", "A",
         "--kind", "cppcc", "--organisation", "A县政协", "--password-stdin"],
        input="a-long-password\n",
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "created user cppcc-1 (supervisor, cppcc, scope A" in result.stdout
    with world.box.transaction() as session:
        user = accounts.user_by_username(session=session, username="cppcc-1")
        row = session.get(Supervisor, user.id)
        assert row is not None and (row.kind, row.organisation) == ("cppcc", "A县政协")
    refused = CliRunner().invoke(
        cli_app,
        ["users", "create", "cppcc-2", "--role", "supervisor", "--region", "A",
         "--password-stdin"],
        input="a-long-password\n",
    )  # fmt: skip
    assert refused.exit_code != 0 and "supervisor_kind" in refused.stderr


# --- raising and following -------------------------------------------------------------------


def test_a_supervisor_raises_a_problem_that_is_routed_and_followed_but_never_public(
    world: World,
) -> None:
    place = spot()
    raised = _raise(world, world.deputy, place, source_ref="dep-1")
    problem_id = raised["problem_id"]
    assert raised["duplicate"] is False and raised["already_known"] is False
    again = _raise(world, world.deputy, place, source_ref="dep-1")
    assert again["problem_id"] == problem_id and again["already_known"] is True
    with world.box.transaction() as session:
        problem = session.get_one(Problem, problem_id)
        finding = problem.findings[0]
        assert (problem.channel, finding.channel) == ("supervisor", "supervisor")
        assert finding.reporter_user_id == world.deputy.user_id
        assert finding.data["supervisor_kind"] == "deputy"
        clue_row = session.scalar(select(Clue).where(Clue.finding_id == finding.id))
        assert clue_row is not None and clue_row.channel == "supervisor"
        assert clue_row.anonymous is False and clue_row.secret_hash is None
        assert len(clue_row.media_ids) == 1
    assert _audits(world.box, "supervision.raise") == 1
    mine = world.client.get("/api/supervision/problems", headers=world.deputy.headers).json()
    assert [(m["problem_id"], m["raised"]) for m in mine] == [(problem_id, True)]
    assert mine[0]["deadline"] is not None and mine[0]["state"] == "reported"
    # routed like any report: the officers of A see it in their queue, those of B do not
    officer_a = world.client.get(
        "/api/problems?channel=supervisor", headers=world.people.officer_a.headers
    )
    assert [p["id"] for p in officer_a.json()["items"]] == [problem_id]
    officer_b = world.client.get(
        "/api/problems?channel=supervisor", headers=world.people.officer_b.headers
    )
    assert officer_b.json()["items"] == []
    # never counted as the public's
    stats = world.client.get("/api/stats/clues", headers=world.people.admin.headers).json()
    channels = {r["channel"]: r["clues"] for r in stats["rows"]}
    assert channels.get("supervisor") == 1 and channels.get("public") == 1


def test_a_supervisor_raises_only_in_their_own_region(world: World) -> None:
    response = world.client.post(
        "/api/supervision/problems",
        data={"category": "water", "lat": str(IN_B["lat"]), "long": str(IN_B["lon"]),
              "description": "B县的问题"},
        headers=world.deputy.headers,
    )  # fmt: skip
    assert response.status_code == 422 and "location" in response.json()["detail"]
    officer = world.client.post(
        "/api/supervision/problems",
        data={"category": "water", "lat": "30", "long": "120", "description": "x"},
        headers=world.people.officer_a.headers,
    )
    assert officer.status_code == 403


def test_a_supervisor_never_sees_a_reporters_identity(world: World) -> None:
    client, deputy, problem = world.client, world.deputy, world.reported
    follow = client.put(f"/api/supervision/problems/{problem}", headers=deputy.headers)
    assert follow.status_code == 204
    _ask(world, deputy, problem)
    secrets = (REPORTER_NAME, REPORTER_CONTACT, world.people.reporter.username, world.tracking_code)
    detail = client.get(f"/api/problems/{problem}", headers=deputy.headers)
    assert detail.status_code == 200 and detail.json()["handles"] is False
    assert "13987654321" not in detail.text  # masked in the description too
    log_in(client, world.box, deputy)
    page = client.get(f"/problems/{problem}")
    assert page.status_code == 200 and "supervisor-panel" in page.text
    pages = [
        detail.text,
        page.text,
        client.get("/supervision").text,
        client.get("/problems").text,
        client.get(f"/api/problems/{problem}/questions", headers=deputy.headers).text,
        client.get("/api/supervision/problems", headers=deputy.headers).text,
    ]
    for text in pages:
        for secret in secrets:
            assert secret not in text, secret
    assert "show-reporter" not in page.text
    refused = client.get(f"/api/problems/{problem}/reporters", headers=deputy.headers)
    assert refused.status_code == 403
    # the officer handling it sees the reporter (the test would notice a name not there)
    officer = client.get(
        f"/api/problems/{problem}/reporters", headers=world.people.officer_a.headers
    )
    assert REPORTER_NAME in officer.text


def test_a_supervisor_takes_no_workflow_action_writes_no_note_and_attaches_nothing(
    world: World,
) -> None:
    client, deputy, problem = world.client, world.deputy, world.reported
    detail = client.get(f"/api/problems/{problem}", headers=deputy.headers).json()
    assert detail["actions"] == []
    accept = client.post(f"/api/problems/{problem}/actions/accept", json={}, headers=deputy.headers)
    assert accept.status_code == 403
    note = client.post(
        f"/api/problems/{problem}/notes", json={"text": "我来说两句", "visibility": "public"},
        headers=deputy.headers,
    )  # fmt: skip
    assert note.status_code == 403
    upload = client.post(
        f"/api/problems/{problem}/attachments",
        files={"file": ("a.jpg", jpeg(3), "image/jpeg")},
        headers=deputy.headers,
    )
    assert upload.status_code == 403
    with world.box.transaction() as session:
        assert session.get_one(Problem, problem).state == "reported"


def test_a_supervisor_sees_their_region_only(world: World) -> None:
    client, journalist, problem = world.client, world.journalist, world.reported
    assert client.get(f"/api/problems/{problem}", headers=journalist.headers).status_code == 404
    asked = client.post(
        f"/api/problems/{problem}/questions", json={"question": "?"}, headers=journalist.headers
    )
    assert asked.status_code == 404
    followed = client.put(f"/api/supervision/problems/{problem}", headers=journalist.headers)
    assert followed.status_code == 404
    listed = client.get("/api/problems", headers=journalist.headers).json()
    assert listed["items"] == []
    _ask(world, world.deputy, problem)
    theirs = client.get("/api/supervision/questions?state=all", headers=journalist.headers)
    assert theirs.status_code == 200 and theirs.json() == []


# --- questions and answers --------------------------------------------------------------------


def test_a_question_is_due_in_five_working_days_and_only_the_regions_officers_answer(
    world: World,
) -> None:
    client, deputy, problem, people = world.client, world.deputy, world.reported, world.people
    asked = _ask(world, deputy, problem, "请问何时查处？")
    # asked Monday 2 November 2026 09:00 China time: due at the end of Monday 9 November
    assert asked["due_at"] == "2026-11-09T15:59:59.999999Z"
    assert asked["state"] == "open" and asked["kind"] == "deputy" and asked["mine"] is True
    assert asked["organisation"] == "A县人大常委会" and asked["asker_name"] is None
    question = asked["id"]
    mine = client.get("/api/supervision/problems", headers=deputy.headers).json()
    assert [m["problem_id"] for m in mine] == [problem]  # asking follows
    # the officers of A see it open; an officer of B cannot see it at all; a grid worker of G1
    # sees the problem but does not answer for the bureau
    open_a = client.get("/api/supervision/questions", headers=people.officer_a.headers).json()
    assert [q["id"] for q in open_a] == [question] and open_a[0]["can_answer"] is True
    assert open_a[0]["asker_name"] == "DEPUTY-A"
    assert client.get("/api/supervision/questions", headers=people.officer_b.headers).json() == []
    for who, status in ((people.officer_b, 404), (people.worker_g1, 403), (deputy, 403)):
        refused = client.post(
            f"/api/supervision/questions/{question}/answer", json={"answer": "x"},
            headers=who.headers,
        )  # fmt: skip
        assert refused.status_code == status, who.username
    box = world.box
    assert isinstance(box.clock, FakeClock)
    box.clock.advance(timedelta(days=8))  # Tuesday 10 November: overdue
    overdue = client.get(
        "/api/supervision/questions?state=overdue", headers=people.officer_a.headers
    )
    assert [q["id"] for q in overdue.json()] == [question]
    log_in(client, box, people.officer_a)
    listing = client.get("/supervision/questions")
    assert listing.status_code == 200 and "overdue-alert" in listing.text
    answered = client.post(
        f"/api/supervision/questions/{question}/answer",
        json={"answer": "已立案查处，责令整改。"},
        headers=people.officer_a.headers,
    )
    assert answered.status_code == 200 and answered.json()["state"] == "answered_late"
    twice = client.post(
        f"/api/supervision/questions/{question}/answer", json={"answer": "again"},
        headers=people.officer_a.headers,
    )  # fmt: skip
    assert twice.status_code == 409
    seen = client.get(f"/api/problems/{problem}/questions", headers=deputy.headers).json()
    assert seen[0]["answer"] == "已立案查处，责令整改。" and seen[0]["can_answer"] is False
    assert _audits(box, "supervision.ask") == 1 and _audits(box, "supervision.answer") == 1
    # the public reporter sees no supervision questions
    assert (
        client.get(f"/api/problems/{problem}/questions", headers=people.reporter.headers).json()
        == []
    )


def test_a_supervisor_waits_for_at_most_three_answers_per_problem(world: World) -> None:
    for n in range(3):
        _ask(world, world.deputy, world.reported, f"问题{n}")
    fourth = world.client.post(
        f"/api/problems/{world.reported}/questions", json={"question": "第四问"},
        headers=world.deputy.headers,
    )  # fmt: skip
    assert fourth.status_code == 409


def test_the_problem_page_forms_ask_and_answer(world: World) -> None:
    client, box, problem = world.client, world.box, world.reported
    csrf = log_in(client, box, world.deputy).csrf_token
    sent = client.post(
        f"/problems/{problem}/questions", data={"csrf_token": csrf, "question": "  "},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 422 and "action-error" in sent.text
    sent = client.post(
        f"/problems/{problem}/questions", data={"csrf_token": csrf, "question": "整改进度如何？"},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=question")
    page = client.get(f"/problems/{problem}")
    assert "整改进度如何？" in page.text and 'data-state="open"' in page.text
    csrf = log_in(client, box, world.people.officer_a).csrf_token
    page = client.get(f"/problems/{problem}")
    assert "form-answer-" in page.text and "DEPUTY-A" in page.text
    with box.transaction() as session:
        question_id = session.scalar(select(SupervisionQuestion.id))
    answered = client.post(
        f"/supervision/questions/{question_id}/answer",
        data={"csrf_token": csrf, "answer": "本周内完成整改。"},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    log_in(client, box, world.deputy)
    home = client.get("/supervision")
    assert home.status_code == 200 and "本周内完成整改。" in home.text
    assert 'data-state="answered"' in home.text


# --- figures ----------------------------------------------------------------------------------


def test_supervision_figures_for_staff_and_published_without_names(world: World) -> None:
    client, box, people = world.client, world.box, world.people
    _raise(world, world.deputy, spot())
    first = _ask(world, world.deputy, world.reported)
    _ask(world, world.deputy, world.reported, "第二问")
    client.post(
        f"/api/supervision/questions/{first['id']}/answer", json={"answer": "已处理"},
        headers=people.officer_a.headers,
    )  # fmt: skip
    assert isinstance(box.clock, FakeClock)
    box.clock.advance(timedelta(days=10))  # the second question is overdue now
    params = {"from": "2026-11-01", "to": "2026-11-30", "period": "month"}
    table = client.get("/api/stats/supervision", params=params, headers=people.officer_a.headers)
    assert table.status_code == 200, table.text
    rows = {(r["period"], r["kind"]): r for r in table.json()["rows"]}
    deputy = rows[("2026-11", "deputy")]
    assert (deputy["problems_raised"], deputy["questions_asked"], deputy["answered"]) == (1, 2, 1)
    assert (deputy["answered_on_time"], deputy["overdue"], deputy["on_time_share"]) == (1, 1, 0.5)
    assert deputy["median_days_to_answer"] == 0.0
    assert rows[("2026-11", "media")]["questions_asked"] == 0
    assert table.json()["total"]["questions_asked"] == 2
    by_region = client.get(
        "/api/stats/supervision", params={**params, "group_by": "region", "level": "county"},
        headers=people.admin.headers,
    ).json()  # fmt: skip
    counties = {
        r["region_code"]: r["questions_asked"] for r in by_region["rows"] if r["region_code"]
    }
    assert counties == {"A": 2, "B": 0}
    officer_b = client.get(
        "/api/stats/supervision", params=params, headers=people.officer_b.headers
    )
    assert officer_b.json()["total"]["questions_asked"] == 0  # not in B's scope
    csv_text = client.get(
        "/api/stats/supervision", params={**params, "format": "csv"}, headers=people.admin.headers
    ).text
    assert csv_text.startswith("period,kind,region_code,region_name,problems_raised")
    assert (
        client.get(
            "/api/stats/supervision", params=params, headers=world.deputy.headers
        ).status_code
        == 403
    )
    log_in(client, box, people.officer_a)
    staff = client.get("/stats/supervision?from=2026-11-01&to=2026-11-30&period=month")
    assert staff.status_code == 200 and 'id="stat-asked">2<' in staff.text
    client.cookies.clear()
    public = client.get("/public/supervision?year=2026")
    assert public.status_code == 200
    assert 'id="stat-asked">2<' in public.text and 'id="stat-raised">1<' in public.text
    for secret in ("DEPUTY-A", "deputy-a", "A县人大常委会", "第二问", REPORTER_NAME):
        assert secret not in public.text
    assert "/public/supervision" in client.get("/report").text  # linked from the public nav


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_supervision_page_string_is_in_both_catalogs(locale: str) -> None:
    paths = [
        *(TEMPLATE_DIR / "supervision").glob("*.html"),
        TEMPLATE_DIR / "stats" / "supervision.html",
    ]
    check_catalogs(locale, paths, at_least=51)
