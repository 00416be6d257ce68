"""Personal data a reporter (or an officer) wrote into a problem's free text reaches only the
officers handling it: the enterprise under the problem (API and pages), the public through the
tracking code (API and page) and Open311 clients read it masked, and cannot search for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from ecoradar.clues.tracking import display_code
from ecoradar.privacy.mask import PLACEHOLDER
from ecoradar.problems.models import Problem
from tests.conftest import log_in
from tests.integration.clue_support import clue, load_city, submit
from tests.integration.problem_support import (
    Driver,
    People,
    create_app_for,
    enterprise_id,
    jpeg,
    make_people,
)

PHONE = "138 1234 5678"
"""Written spaced; ``13812345678`` must not appear either."""
WIDE_PHONE = "１３９８７６５４３２１"
EMAIL = "wangqiang[at]163.com"
IDENTITY = "33040219800101123X"
WECHAT = "riverwatch88"
NAME = "王强"
DESCRIPTION = (
    f"电话{PHONE}：化工厂夜里排黑水。我叫{NAME}，邮箱 {EMAIL}，身份证 {IDENTITY}。"
    "监测 COD 120 mg/L，2026-11-02 发现，企业代码 91330100MA28XXXX1X。"
)
SOURCE = f"烟囱，微信 {WECHAT}"
REQUIREMENT = f"立即停产整改，整改后联系举报人 {WIDE_PHONE}"
NOTE = f"已约见举报人（{EMAIL}），现场核实"
EXTENSION = f"举报人 {WIDE_PHONE} 要求补充取样"
SECRETS = (
    PHONE,
    "13812345678",
    WIDE_PHONE,
    "13987654321",
    EMAIL,
    "wangqiang",
    IDENTITY,
    WECHAT,
    NAME,
)
KEPT = ("化工厂夜里排黑水", "COD 120 mg/L", "2026-11-02", "91330100MA28XXXX1X", "立即停产整改")


@dataclass(frozen=True)
class Scene:
    people: People
    problem: int
    clue: int
    code: str
    """The tracking code, as the reporter was given it."""


@pytest.fixture
def scene(container: Container, tmp_path: Path) -> Scene:
    """A public report of air pollution holding the reporter's phone, e-mail, identity number,
    WeChat id and name, about enterprise 1, handled until rectification is ordered, with a
    public note and a deadline extension whose reasons quote the reporter's contact."""
    load_city(container, tmp_path)
    people = make_people(container)
    attributes = {"smoke_colour": "black", "source_description": SOURCE}
    receipt = submit(
        container, clue(category="air", description=DESCRIPTION, attributes=attributes)
    )
    company = enterprise_id(container, 1)
    with container.transaction() as session:
        found = session.get(Problem, receipt.problem_id)
        assert found is not None
        found.enterprise_id = company  # as an officer's routing would
    client = TestClient(create_app_for(container))
    worker = people.worker_g1
    drive = Driver(client, container, people.officer_a.headers, worker.headers)
    drive.act(receipt.problem_id, "accept")
    drive.act(receipt.problem_id, "assign", assignee_id=worker.user_id)
    drive.act(receipt.problem_id, "start_verification", worker.headers)
    photo = drive.upload(receipt.problem_id, jpeg(5), worker.headers, purpose="onsite")
    drive.act(receipt.problem_id, "confirm", worker.headers, onsite=drive.onsite(photo))
    due = (container.clock.now().date().replace(day=20)).isoformat() + "T23:59:00+08:00"
    drive.act(
        receipt.problem_id, "order_rectification", requirement=REQUIREMENT, rectification_due=due
    )
    drive.act(receipt.problem_id, "extend_deadline", reason=EXTENSION)
    note = {"text": NOTE, "visibility": "public"}
    posted = client.post(
        f"/api/problems/{receipt.problem_id}/notes", json=note, headers=drive.officer
    )
    assert posted.status_code == 201
    return Scene(people, receipt.problem_id, receipt.clue_id, display_code(receipt.tracking_code))


@pytest.fixture
def client(container: Container, scene: Scene) -> TestClient:
    return TestClient(create_app_for(container))


def assert_masked(body: str, *, where: str) -> None:
    for secret in SECRETS:
        assert secret not in body, (where, secret)
    assert PLACEHOLDER in body, where


def test_the_enterprise_reads_its_problem_with_the_reporters_data_hidden(
    client: TestClient, scene: Scene
) -> None:
    company = scene.people.enterprise.headers
    detail = client.get(f"/api/problems/{scene.problem}", headers=company)
    assert detail.status_code == 200
    assert_masked(detail.text, where="detail")
    body = detail.json()
    assert body["title"].startswith(f"电话{PLACEHOLDER}：化工厂")
    assert body["description"] == (
        f"电话{PLACEHOLDER}：化工厂夜里排黑水。我叫{PLACEHOLDER}，邮箱 {PLACEHOLDER}，"
        f"身份证 {PLACEHOLDER}。监测 COD 120 mg/L，2026-11-02 发现，企业代码 91330100MA28XXXX1X。"
    )
    (finding,) = body["finding_list"]
    assert finding["description"] == body["description"]
    assert finding["data"]["attributes"]["source_description"] == f"烟囱，微信 {PLACEHOLDER}"
    assert body["notes"][-1]["text"] == f"已约见举报人（{PLACEHOLDER}），现场核实"
    assert body["extension_reason"] == f"举报人 {PLACEHOLDER} 要求补充取样"
    for word in KEPT:
        assert word in detail.text, word
    listed = client.get("/api/problems", headers=company)
    assert [p["id"] for p in listed.json()["items"]] == [scene.problem]
    assert_masked(listed.text, where="list")


def test_the_enterprises_pages_show_the_text_masked(
    container: Container, client: TestClient, scene: Scene
) -> None:
    log_in(client, container, scene.people.enterprise)
    for url in ("/problems", f"/problems/{scene.problem}", "/problems/rows"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert_masked(page.text, where=url)
    page = client.get(f"/problems/{scene.problem}").text
    assert "化工厂夜里排黑水" in page and "COD 120 mg/L" in page


def test_the_enterprise_cannot_search_for_a_phone_number_or_a_name(
    client: TestClient, scene: Scene
) -> None:
    company = scene.people.enterprise.headers
    officer = scene.people.officer_a.headers

    def found(q: str, who: dict[str, str]) -> int:
        response = client.get("/api/problems", params={"q": q}, headers=who)
        assert response.status_code == 200
        total: int = response.json()["total"]
        return total

    for probe in ("138 1234", "wangqiang", NAME, IDENTITY[:10]):
        assert found(probe, company) == 0, probe
        assert found(probe, officer) == 1, probe
    assert found("化工厂", company) == 1
    assert found(PLACEHOLDER, company) == 1  # what it is shown, it can find


def test_the_handling_officer_reads_the_original_text(client: TestClient, scene: Scene) -> None:
    for who in (scene.people.officer_a, scene.people.worker_g1, scene.people.admin):
        body = client.get(f"/api/problems/{scene.problem}", headers=who.headers)
        assert body.status_code == 200
        data = body.json()
        assert data["description"] == DESCRIPTION
        assert data["finding_list"][0]["data"]["attributes"]["source_description"] == SOURCE
        assert data["notes"][-1]["text"] == NOTE
        assert data["extension_reason"] == EXTENSION
        assert PLACEHOLDER not in body.text
        listed = client.get("/api/problems", headers=who.headers).text
        assert PHONE in listed


def test_the_tracking_code_shows_reasons_and_notes_masked(
    container: Container, client: TestClient, scene: Scene
) -> None:
    tracked = client.get(f"/api/clues/track/{scene.code}")
    assert tracked.status_code == 200
    assert_masked(tracked.text, where="track api")
    body = tracked.json()
    assert body["notes"][-1]["text"] == f"已约见举报人（{PLACEHOLDER}），现场核实"
    reasons = [e["detail"].get("reason") for e in body["events"] if e["detail"].get("reason")]
    assert reasons == [f"举报人 {PLACEHOLDER} 要求补充取样"]
    page = client.get(f"/track/{scene.code}")
    assert page.status_code == 200
    assert_masked(page.text, where="track page")


def test_open311_clients_read_the_request_masked(client: TestClient, scene: Scene) -> None:
    for url in (
        "/open311/v2/requests.json?extensions=true",
        f"/open311/v2/requests/{scene.clue}.json?extensions=true",
        "/open311/v2/requests.xml?extensions=true",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        assert_masked(response.text, where=url)
        assert "COD 120 mg/L" in response.text
