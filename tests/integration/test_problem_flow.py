"""A problem's whole life over the API: entered, accepted, assigned, verified on site,
rectified with evidence, closed, disputed by a new finding, and the audit chain still sound."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ecoradar.audit.service import verify_log
from ecoradar.bootstrap import Container
from ecoradar.web.app import create_app
from tests.conftest import MakeUser
from tests.factories import CITY_ORIGIN, load_small_registry, uscc

X0, Y0 = CITY_ORIGIN
IN_G1 = {"lat": Y0 + 0.5, "lon": X0 + 0.25}
"""A place in grid G1 (township A1, county A)."""
IN_B = {"lat": Y0 + 1.0, "lon": X0 + 3.0}
"""A place in county B."""


def _jpeg() -> bytes:
    image = Image.new("RGB", (64, 48), (30, 120, 60))
    for x in range(0, 64, 8):
        image.putpixel((x, 10), (250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def client(container: Container, tmp_path: Path) -> TestClient:
    load_small_registry(container, tmp_path)
    return TestClient(create_app(container))


def _finding(client: TestClient, headers: dict[str, str], **over: object) -> dict[str, object]:
    body = {
        "channel": "hotline",
        "category": "odour",
        "observed_at": "2026-11-02T08:30:00+08:00",
        "description": "河边有刺鼻气味",
        "reporter_name": "张三",
        "reporter_contact": "13800000000",
        **IN_G1,
        **over,
    }
    response = client.post("/api/findings", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_a_problem_goes_from_report_to_closure_and_reopens_on_dispute(
    client: TestClient, container: Container, make_user: MakeUser
) -> None:
    officer = make_user("officer", region="A")
    worker = make_user("grid_worker", region="G1")
    created = _finding(client, officer.headers)
    assert created["opened"] is True
    pid = created["problem_id"]

    def act(action: str, who: dict[str, str], **body: object) -> dict[str, object]:
        response = client.post(f"/api/problems/{pid}/actions/{action}", json=body, headers=who)
        assert response.status_code == 200, (action, response.text)
        result: dict[str, object] = response.json()
        return result

    act("accept", officer.headers)
    act("assign", officer.headers, assignee_id=worker.user_id)
    act("start_verification", worker.headers)
    upload = client.post(
        f"/api/problems/{pid}/attachments",
        files={"file": ("site.jpg", _jpeg(), "image/jpeg")},
        data={"purpose": "onsite"},
        headers=worker.headers,
    )
    assert upload.status_code == 201, upload.text
    photo = upload.json()["media_id"]
    act(
        "confirm",
        worker.headers,
        onsite={
            "at": container.clock.now().isoformat(),
            **IN_G1,
            "photo_ids": [photo],
            "text": "确认有异味",
        },
    )
    due = (container.clock.now() + timedelta(days=10)).isoformat()
    act("order_rectification", officer.headers, requirement="整改", rectification_due=due)
    # evidence cites the submitter's own uploads: the worker's photo, by the worker
    act("report_rectified", worker.headers, evidence={"text": "已整改", "attachment_ids": [photo]})
    act("close", officer.headers, note="已办结")
    detail = client.get(f"/api/problems/{pid}", headers=officer.headers).json()
    assert detail["state"] == "closed"
    assert [e["to_state"] for e in detail["events"] if e["to_state"]][-1] == "closed"

    again = _finding(client, officer.headers, description="还是有气味", reporter_name=None)
    # a hotline finding carries no match key: it opens a new problem unless attached explicitly
    assert again["problem_id"] != pid

    with container.transaction() as session:
        assert verify_log(session=session).ok


def test_an_officer_outside_the_region_neither_sees_nor_acts(
    client: TestClient, make_user: MakeUser
) -> None:
    officer_a = make_user("officer", region="A")
    officer_b = make_user("officer", region="B")
    pid = _finding(client, officer_a.headers)["problem_id"]
    assert client.get(f"/api/problems/{pid}", headers=officer_b.headers).status_code == 404
    response = client.post(
        f"/api/problems/{pid}/actions/accept", json={}, headers=officer_b.headers
    )
    assert response.status_code == 404
    listed = client.get("/api/problems", headers=officer_b.headers).json()
    assert listed["total"] == 0


def test_reporter_contact_is_only_for_the_handling_officers_and_each_read_is_logged(
    client: TestClient, container: Container, make_user: MakeUser
) -> None:
    officer = make_user("officer", region="A")
    company = make_user("enterprise", enterprise=uscc(1))
    pid = _finding(client, officer.headers)["problem_id"]
    detail = client.get(f"/api/problems/{pid}", headers=officer.headers)
    assert "13800000000" not in detail.text
    who = client.get(f"/api/problems/{pid}/reporters", headers=officer.headers)
    assert who.status_code == 200 and who.json()[0]["contact"] == "13800000000"
    assert client.get(f"/api/problems/{pid}/reporters", headers=company.headers).status_code == 404
    log = client.get(
        "/api/audit", params={"action": "reporter_contact.read"}, headers=make_user("admin").headers
    )
    assert log.status_code == 200 and log.json()["total"] == 1


def test_rejection_needs_a_reason(client: TestClient, make_user: MakeUser) -> None:
    officer = make_user("officer", region="A")
    pid = _finding(client, officer.headers)["problem_id"]
    response = client.post(f"/api/problems/{pid}/actions/reject", json={}, headers=officer.headers)
    assert response.status_code == 422
    assert "reason" in response.json()["detail"]


def test_a_place_outside_the_jurisdiction_is_refused_and_nothing_is_stored(
    client: TestClient, make_user: MakeUser
) -> None:
    officer = make_user("officer", region="C")
    body = {
        "channel": "hotline",
        "category": "noise",
        "observed_at": "2026-11-02T08:30:00+08:00",
        "description": "噪声",
        "lat": 10.0,
        "lon": 10.0,
    }
    response = client.post("/api/findings", json=body, headers=officer.headers)
    assert response.status_code == 422
    assert "jurisdiction" in response.json()["detail"]
    assert client.get("/api/problems", headers=officer.headers).json()["total"] == 0
