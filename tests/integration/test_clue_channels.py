"""The clue channels over HTTP, end to end into the register: grid workers, drones and unmanned
ships, officers and departments, the public; the tracking code and the reporter's feedback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from ecoradar.bootstrap import Container
from ecoradar.clues.models import Clue
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import Region
from ecoradar.web.app import create_app
from tests.conftest import Login, MakeUser
from tests.integration.clue_support import (
    IN_B,
    OUTSIDE,
    b64,
    counts,
    load_city,
    spot,
    with_settings,
)
from tests.integration.problem_support import Driver, integration_token, jpeg

DISPLAY_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")
NAME, CONTACT = "欧阳举报人", "13987654321"


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_city(container, tmp_path)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box))


def _problem(box: Container, problem_id: int) -> tuple[Problem, str]:
    with box.transaction() as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None
        region = session.get(Region, problem.region_id)
        assert region is not None
        session.expunge(problem)
        return problem, region.code


def _clue(box: Container, clue_id: int) -> tuple[Clue, Finding]:
    with box.transaction() as session:
        found = session.get(Clue, clue_id)
        assert found is not None
        finding = session.get(Finding, found.finding_id)
        assert finding is not None
        session.expunge_all()
        return found, finding


def _form(**over: Any) -> dict[str, Any]:
    where = spot()
    return {
        "category": "water",
        "lat": str(where["lat"]),
        "long": str(where["lon"]),
        "description": "河里有黑水排出，死鱼很多",
        "attributes": json.dumps({"colour": "black", "dead_fish": "yes"}),
        **over,
    }


def _photos(*seeds: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (f"p{s}.jpg", jpeg(s), "image/jpeg")) for s in seeds]


# --- grid workers -----------------------------------------------------------------------------


def test_a_grid_worker_reports_with_photos_into_the_register(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    worker = make_user("grid_worker", region="G1")
    response = client.post(
        "/api/clues/grid",
        data=_form(patrol_id="P-2026-11-02-A", observed_at="2026-11-02T08:30:00"),
        files=_photos(1, 2),
        headers=worker.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert DISPLAY_CODE.fullmatch(body["tracking_code"]) and body["secret"] is None
    problem, region = _problem(box, body["problem_id"])
    assert region == "G1" and problem.channel == "grid_worker"
    assert problem.acceptance_due is not None and problem.acceptance_due > problem.reported_at
    stored, finding = _clue(box, body["clue_id"])
    assert len(stored.media_ids) == 2 and stored.anonymous is False
    assert finding.reporter_user_id == worker.user_id
    assert finding.data["patrol_id"] == "P-2026-11-02-A"
    assert finding.observed_at.isoformat() == "2026-11-02T00:30:00+00:00"  # no offset: UTC+8


def test_a_grid_workers_clue_without_a_photo_is_refused_and_leaves_nothing(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    worker = make_user("grid_worker", region="G1")
    before = counts(box)
    response = client.post("/api/clues/grid", data=_form(), headers=worker.headers)
    assert response.status_code == 422
    assert "photos: a grid worker's clue needs at least one photo" in response.json()["detail"]
    assert counts(box) == before


def test_only_grid_workers_use_the_grid_channel(client: TestClient, make_user: MakeUser) -> None:
    for login in (make_user("public"), make_user("officer", region="A")):
        response = client.post(
            "/api/clues/grid", data=_form(), files=_photos(1), headers=login.headers
        )
        assert response.status_code == 403
    assert client.post("/api/clues/grid", data=_form(), files=_photos(1)).status_code == 401


# --- drones and unmanned ships ----------------------------------------------------------------


def _detection(**over: Any) -> dict[str, Any]:
    where = spot()
    return {
        "kind": "drone",
        "platform_id": "UAV-EAST-03",
        "detection_type": "black_water",
        "confidence": 0.87,
        "category": "water",
        "lat": where["lat"],
        "long": where["lon"],
        "observed_at": "2026-11-02T08:45:00+08:00",
        "image": {"filename": "frame-0042.jpg", "content_base64": b64(jpeg(21))},
        **over,
    }


def test_a_drone_detection_becomes_a_finding_and_a_repeat_is_recorded_once(
    client: TestClient, box: Container
) -> None:
    drones = integration_token(box, "drone-fleet", "drones")
    response = client.post(
        "/api/clues/detections", json=_detection(source_ref="det-1"), headers=drones
    )
    assert response.status_code == 201, response.text
    body = response.json()
    stored, finding = _clue(box, body["clue_id"])
    assert stored.channel == "drone" and stored.token_id is not None
    assert finding.data["platform_id"] == "UAV-EAST-03" and finding.data["confidence"] == 0.87
    assert "UAV-EAST-03" in finding.description and len(stored.media_ids) == 1
    before = counts(box)
    again = client.post(
        "/api/clues/detections", json=_detection(source_ref="det-1"), headers=drones
    )
    assert again.status_code == 201 and again.json()["already_known"] is True
    assert again.json()["clue_id"] == body["clue_id"] and counts(box) == before
    ship = client.post(
        "/api/clues/detections",
        json=_detection(kind="unmanned_ship", category="water", platform_id="USV-1"),
        headers=drones,
    )
    assert ship.status_code == 201 and _clue(box, ship.json()["clue_id"])[0].channel == (
        "unmanned_ship"
    )


BAD_DETECTIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "a confidence over 1": (lambda b: b.update(confidence=1.5), "confidence"),
    "an image that is not base64": (
        lambda b: b["image"].update(content_base64="not base64!"),
        "image.content_base64: not valid base64",
    ),
    "a GIF": (
        lambda b: b["image"].update(content_base64=b64(b"GIF89a" + bytes(40))),
        "frame-0042.jpg",
    ),
    "a place outside the jurisdiction": (
        lambda b: b.update(lat=OUTSIDE["lat"], long=OUTSIDE["lon"]),
        "outside this bureau's jurisdiction",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DETECTIONS))
def test_a_bad_detection_is_refused_and_leaves_nothing(
    client: TestClient, box: Container, case: str
) -> None:
    drones = integration_token(box, "drone-fleet", "drones")
    change, message = BAD_DETECTIONS[case]
    body = _detection()
    change(body)
    before = counts(box)
    response = client.post("/api/clues/detections", json=body, headers=drones)
    assert response.status_code == 422
    assert message in response.text
    assert counts(box) == before


def test_detections_need_a_token_with_the_drones_scope(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    departments = integration_token(box, "dept-water", "departments")
    admin = make_user("admin")
    for headers in (departments, admin.headers):
        response = client.post("/api/clues/detections", json=_detection(), headers=headers)
        assert response.status_code == 403
    assert counts(box)["clues"] == 0


# --- officers and departments -----------------------------------------------------------------


def _officer_clue(**over: Any) -> dict[str, Any]:
    where = spot()
    return {
        "channel": "hotline",
        "category": "odour",
        "lat": where["lat"],
        "long": where["lon"],
        "observed_at": "2026-11-02T07:30:00+08:00",
        "description": "12345热线：小区北侧化工厂夜间排放刺鼻气体",
        "attributes": {"intensity": "5", "smell_type": "chemical"},
        "reporter_name": NAME,
        "reporter_contact": CONTACT,
        "source_ref": "12345-20261102-0001",
        **over,
    }


def test_an_officer_enters_a_hotline_call_and_the_callers_identity_stays_protected(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    officer = make_user("officer", region="A")
    response = client.post("/api/clues/officer", json=_officer_clue(), headers=officer.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret"]  # the officer reads the code and secret out to the caller
    detail = client.get(f"/api/problems/{body['problem_id']}", headers=officer.headers)
    clue = client.get(f"/api/clues/{body['clue_id']}", headers=officer.headers)
    assert clue.status_code == 200 and clue.json()["attributes"]["intensity"] == "5"
    for text in (detail.text, clue.text):
        assert NAME not in text and CONTACT not in text
    reporters = client.get(f"/api/problems/{body['problem_id']}/reporters", headers=officer.headers)
    assert reporters.json()[0]["name"] == NAME


def test_a_department_system_posts_department_clues_only(
    client: TestClient, box: Container
) -> None:
    departments = integration_token(box, "dept-water", "departments")
    ok = client.post(
        "/api/clues/officer",
        json=_officer_clue(channel="department", reporter_name=None, reporter_contact=None),
        headers=departments,
    )
    assert ok.status_code == 201, ok.text
    assert _clue(box, ok.json()["clue_id"])[0].anonymous is True
    refused = client.post(
        "/api/clues/officer", json=_officer_clue(source_ref="other"), headers=departments
    )
    assert refused.status_code == 403


def test_an_officer_cannot_enter_a_clue_outside_their_region(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    officer = make_user("officer", region="A")
    before = counts(box)
    response = client.post(
        "/api/clues/officer",
        json=_officer_clue(lat=spot(IN_B)["lat"], long=spot(IN_B)["lon"]),
        headers=officer.headers,
    )
    assert response.status_code == 403
    assert counts(box) == before
    public = make_user("public")
    assert (
        client.post("/api/clues/officer", json=_officer_clue(), headers=public.headers)
    ).status_code == 403


# --- the public -------------------------------------------------------------------------------


def test_anyone_reports_without_an_account_and_gets_a_tracking_code_and_secret(
    client: TestClient, box: Container
) -> None:
    response = client.post("/api/clues/public", data=_form(), files=_photos(31))
    assert response.status_code == 201, response.text
    body = response.json()
    assert DISPLAY_CODE.fullmatch(body["tracking_code"]) and body["secret"]
    stored, finding = _clue(box, body["clue_id"])
    assert stored.anonymous is True and stored.channel == "public"
    assert finding.reporter_name is None and finding.reporter_user_id is None
    assert _problem(box, body["problem_id"])[1] == "G1"


def test_a_public_report_outside_the_jurisdiction_is_told_so(
    client: TestClient, box: Container
) -> None:
    before = counts(box)
    response = client.post(
        "/api/clues/public", data=_form(lat=str(OUTSIDE["lat"]), long=str(OUTSIDE["lon"]))
    )
    assert response.status_code == 422
    assert "outside this bureau's jurisdiction" in response.json()["detail"]
    assert {k: v for k, v in counts(box).items() if k != "attempts"} == {
        k: v for k, v in before.items() if k != "attempts"
    }


def test_the_public_channel_is_rate_limited_per_address(box: Container, clock: FakeClock) -> None:
    client = TestClient(create_app(with_settings(box, clue_rate_limit_per_hour=2)))
    assert client.post("/api/clues/public", data=_form()).status_code == 201
    bad = client.post("/api/clues/public", data=_form(attributes='{"colour": "purple"}'))
    assert bad.status_code == 422 and "attribute[colour]" in bad.json()["detail"]
    limited = client.post("/api/clues/public", data=_form())
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) == 3600
    clock.advance(timedelta(hours=1, seconds=1))
    assert client.post("/api/clues/public", data=_form()).status_code == 201


# --- the tracking code and feedback -----------------------------------------------------------


def _closed_report(
    client: TestClient, box: Container, make_user: MakeUser
) -> tuple[dict[str, Any], Login, Driver]:
    officer = make_user("officer", region="A")
    worker = make_user("grid_worker", region="G1")
    body = client.post(
        "/api/clues/public", data=_form(reporter_name=NAME, reporter_contact=CONTACT)
    ).json()
    drive = Driver(client, box, officer.headers, worker.headers)
    pid = body["problem_id"]
    client.post(
        f"/api/problems/{pid}/notes",
        json={"text": "内部：疑似夜间偷排", "visibility": "internal"},
        headers=officer.headers,
    )
    client.post(
        f"/api/problems/{pid}/notes",
        json={"text": "已安排网格员核查", "visibility": "public"},
        headers=officer.headers,
    )
    drive.to_closed(pid, worker.user_id, jpeg(41))
    return body, officer, drive


def test_the_tracking_code_shows_the_public_timeline_without_names(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    body, officer, _ = _closed_report(client, box, make_user)
    code = body["tracking_code"]
    response = client.get(f"/api/clues/track/{code.lower().replace('-', ' ')}")
    assert response.status_code == 200, response.text
    tracked = response.json()
    assert tracked["status"] == "closed" and tracked["state"] == "closed"
    actions = [e["action"] for e in tracked["events"]]
    assert actions[0] == "opened" and actions[-1] == "close"
    assert [n["text"] for n in tracked["notes"]] == ["已安排网格员核查"]
    assert tracked["feedback_until"] is not None
    for secret in (NAME, CONTACT, "内部", officer.username, "officer-", "grid-worker-"):
        assert secret not in response.text


def test_unknown_tracking_codes_are_not_found_and_rate_limited(box: Container) -> None:
    client = TestClient(create_app(with_settings(box, clue_tracking_rate_limit_per_hour=3)))
    for code in ("0000000000", "ABCDE-FGHJK", "not a code"):
        assert client.get(f"/api/clues/track/{code}").status_code == 404
    limited = client.get("/api/clues/track/0000000001")
    assert limited.status_code == 429 and "Retry-After" in limited.headers


def test_the_reporter_confirms_and_rates_the_closure(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    body, _, _ = _closed_report(client, box, make_user)
    response = client.post(
        f"/api/clues/track/{body['tracking_code']}/feedback",
        json={"feedback": "confirmed", "satisfaction": 5},
    )
    assert response.status_code == 200, response.text
    assert response.json()["feedback"] == "confirmed" and response.json()["satisfaction"] == 5
    stored, _ = _clue(box, body["clue_id"])
    assert stored.feedback == "confirmed" and stored.satisfaction == 5
    assert stored.feedback_at == box.clock.now()


def test_a_dispute_reopens_the_problem_as_the_reporter(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    body, officer, _ = _closed_report(client, box, make_user)
    url = f"/api/clues/track/{body['tracking_code']}/feedback"
    assert client.post(url, json={"feedback": "disputed"}).status_code == 422  # needs text
    response = client.post(
        url, json={"feedback": "disputed", "text": "还是有黑水排出", "satisfaction": 1}
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "reopened"
    reopen = response.json()["events"][-1]
    assert reopen["action"] == "reopen" and reopen["detail"] == {"reason": "还是有黑水排出"}
    problem, _ = _problem(box, body["problem_id"])
    assert problem.state == "reopened" and problem.handling_due is not None
    detail = client.get(f"/api/problems/{problem.id}", headers=officer.headers).json()
    assert detail["events"][-1]["actor"] == f"public:clue-{body['clue_id']}"


def test_feedback_is_refused_before_closure_and_after_the_period(
    client: TestClient, box: Container, clock: FakeClock, make_user: MakeUser
) -> None:
    early = client.post("/api/clues/public", data=_form()).json()
    response = client.post(
        f"/api/clues/track/{early['tracking_code']}/feedback", json={"feedback": "confirmed"}
    )
    assert response.status_code == 409 and "still being handled" in response.text
    body, _, _ = _closed_report(client, box, make_user)
    clock.advance(timedelta(days=31))
    late = client.post(
        f"/api/clues/track/{body['tracking_code']}/feedback",
        json={"feedback": "disputed", "text": "没修好"},
    )
    assert late.status_code == 409 and "30 days" in late.text
    assert _problem(box, body["problem_id"])[0].state == "closed"


# --- officers' lists --------------------------------------------------------------------------


def test_staff_list_the_clues_of_their_region_only(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    officer_a = make_user("officer", region="A")
    officer_b = make_user("officer", region="B")
    client.post("/api/clues/public", data=_form())
    client.post(
        "/api/clues/public",
        data=_form(lat=str(spot(IN_B)["lat"]), long=str(spot(IN_B)["lon"])),
    )
    seen_a = client.get("/api/clues", headers=officer_a.headers).json()
    seen_b = client.get("/api/clues?channel=public", headers=officer_b.headers).json()
    assert seen_a["total"] == 1 and seen_b["total"] == 1
    assert seen_a["items"][0]["id"] != seen_b["items"][0]["id"]
    other = seen_b["items"][0]["id"]
    assert client.get(f"/api/clues/{other}", headers=officer_a.headers).status_code == 404
    public = make_user("public")
    assert client.get("/api/clues", headers=public.headers).status_code == 403


@pytest.mark.parametrize(("days", "allowed"), [(9, True), (11, False)])
def test_a_registered_reporter_disputes_within_the_same_feedback_period(
    box: Container, clock: FakeClock, make_user: MakeUser, days: int, allowed: bool
) -> None:
    """The reporter signed in disputes through the problem's reopen action; the window is
    ``ECORADAR_CLUE_FEEDBACK_DAYS``, as for a reporter with a tracking code."""
    client = TestClient(create_app(with_settings(box, clue_feedback_days=10)))
    reporter = make_user("public")
    officer = make_user("officer", region="A")
    worker = make_user("grid_worker", region="G1")
    pid = client.post("/api/clues/public", data=_form()).json()["problem_id"]
    with box.transaction() as session:  # as the report page records a signed-in reporter
        session.execute(
            update(Finding)
            .where(Finding.problem_id == pid)
            .values(reporter_user_id=reporter.user_id)
        )
    Driver(client, box, officer.headers, worker.headers).to_closed(pid, worker.user_id, jpeg(43))
    clock.advance(timedelta(days=days))
    response = client.post(
        f"/api/problems/{pid}/actions/reopen",
        json={"reason": "还是有黑水排出"},
        headers=reporter.headers,
    )
    assert response.status_code == (200 if allowed else 403), response.text
    assert _problem(box, pid)[0].state == ("reopened" if allowed else "closed")
    if allowed:  # the reporter reads who acted by kind: the bureau, itself, never a name
        client.post(
            f"/api/problems/{pid}/notes",
            json={"text": "补充：下游也有", "visibility": "public"},
            headers=reporter.headers,
        )
        seen = client.get(f"/api/problems/{pid}", headers=reporter.headers).json()
        assert seen["events"][-1]["actor"] == "reporter"
        assert {e["actor"] for e in seen["events"][1:-1]} == {"officer"}
        assert seen["notes"][-1]["author"] == "reporter"
