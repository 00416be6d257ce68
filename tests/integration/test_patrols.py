"""Grid workers' patrols: plans per level, the schedule (due and done), starting and ending a
patrol with its GPS track and the track's limits, reports sent twice recorded once, and the
grid worker's pages; on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.clues.models import Clue
from ecoradar.core.clock import FakeClock
from ecoradar.patrols import rules
from ecoradar.patrols.models import Patrol
from ecoradar.problems.models import Finding
from ecoradar.web.app import create_app
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import Login, MakeUser
from tests.integration.clue_support import IN_G1, load_city, spot
from tests.integration.problem_support import Driver, jpeg


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_city(container, tmp_path)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box))


def _point(box: Container, seconds: float, north_m: float = 0.0) -> dict[str, Any]:
    at = box.clock.now() + timedelta(seconds=seconds)
    return {
        "lat": IN_G1["lat"] + north_m / 111_320,
        "lon": IN_G1["lon"],
        "at": at.isoformat(),
        "accuracy": 8,
    }


def _start(client: TestClient, worker: Login) -> int:
    response = client.post("/api/patrols", headers=worker.headers)
    assert response.status_code == 201, response.text
    patrol_id: int = response.json()["id"]
    return patrol_id


def _audits(box: Container, action: str) -> int:
    with box.transaction() as session:
        return session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0


# --- plans -------------------------------------------------------------------------------------


def test_plans_default_per_level_and_an_administrator_changes_one(
    client: TestClient, box: Container, make_user: MakeUser, admin_headers: dict[str, str]
) -> None:
    officer = make_user("officer", region="A")
    plans = client.get("/api/patrols/plans", headers=officer.headers).json()
    assert plans["grid"] == 24 and plans["township"] == 84 and plans["county"] == 168
    refused = client.put(
        "/api/patrols/plans/grid", json={"every_hours": 48}, headers=officer.headers
    )
    assert refused.status_code == 403
    changed = client.put("/api/patrols/plans/grid", json={"every_hours": 48}, headers=admin_headers)
    assert changed.status_code == 200 and changed.json()["grid"] == 48
    assert client.get("/api/patrols/plans", headers=officer.headers).json()["grid"] == 48
    assert _audits(box, "patrol_plan.set") == 1
    bad_level = client.put(
        "/api/patrols/plans/village", json={"every_hours": 8}, headers=admin_headers
    )
    assert bad_level.status_code == 422 and "level: 'village'" in bad_level.json()["detail"]
    bad_hours = client.put(
        "/api/patrols/plans/grid", json={"every_hours": 0}, headers=admin_headers
    )
    assert bad_hours.status_code == 422 and "every_hours: 0" in bad_hours.json()["detail"]
    assert client.get("/api/patrols/plans", headers=officer.headers).json()["grid"] == 48


def test_the_schedule_is_due_until_a_patrol_starts_in_the_period_and_follows_the_plan(
    client: TestClient, box: Container, make_user: MakeUser, admin_headers: dict[str, str]
) -> None:
    worker = make_user("grid_worker", region="G1")
    before = client.get("/api/patrols/schedule", headers=worker.headers).json()
    assert before["region_code"] == "G1" and before["every_hours"] == 24
    assert before["due_now"] is True and before["running_patrol_id"] is None
    assert len(before["slots"]) == rules.HISTORY_SLOTS and not any(
        s["done"] for s in before["slots"]
    )
    patrol = _start(client, worker)
    after = client.get("/api/patrols/schedule", headers=worker.headers).json()
    assert after["due_now"] is False and after["running_patrol_id"] == patrol
    assert after["slots"][-1]["done"] is True
    assert isinstance(box.clock, FakeClock)
    box.clock.advance(timedelta(days=1))
    next_day = client.get("/api/patrols/schedule", headers=worker.headers).json()
    assert next_day["due_now"] is True and next_day["slots"][-2]["done"] is True
    assert next_day["completion"] == pytest.approx(1 / (rules.HISTORY_SLOTS - 1))
    client.put("/api/patrols/plans/grid", json={"every_hours": 168}, headers=admin_headers)
    weekly = client.get("/api/patrols/schedule", headers=worker.headers).json()
    assert weekly["every_hours"] == 168 and weekly["due_now"] is False  # the same week


def test_schedule_rules_count_periods_from_a_monday_midnight_china_time() -> None:
    start = rules.ANCHOR + timedelta(days=7 * 100)  # a Monday, 00:00 China time
    now = start + timedelta(days=3, hours=13)  # Thursday 13:00
    twice_a_week = rules.schedule(84, [start + timedelta(hours=2)], now)
    assert twice_a_week.slots[-1].start == start + timedelta(hours=84)
    assert twice_a_week.due_now is True and twice_a_week.slots[-2].done is True
    daily = rules.schedule(24, [now - timedelta(hours=1)], now, slots=3)
    assert [s.done for s in daily.slots] == [False, False, True] and daily.completion == 0.0


# --- patrols and their track ------------------------------------------------------------------


def test_a_patrol_starts_records_its_track_and_ends(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    worker = make_user("grid_worker", region="G1")
    patrol = _start(client, worker)
    again = client.post("/api/patrols", headers=worker.headers)
    assert again.status_code == 409 and f"patrol {patrol} is under way" in again.json()["detail"]
    sent = client.post(
        f"/api/patrols/{patrol}/track",
        json={"points": [_point(box, 0), _point(box, 60, 100)]},
        headers=worker.headers,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["points"] == 2 and sent.json()["length_m"] == pytest.approx(100, abs=1)
    assert isinstance(box.clock, FakeClock)
    box.clock.advance(timedelta(minutes=30))
    ended = client.post(
        f"/api/patrols/{patrol}/end",
        json={"points": [_point(box, -1500, 300)], "note": "河道巡查，无异常"},
        headers=worker.headers,
    )
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["points"] == 3 and body["length_m"] == pytest.approx(300, abs=2)
    assert body["ended_at"].endswith("+08:00") and body["note"] == "河道巡查，无异常"
    late = client.post(
        f"/api/patrols/{patrol}/track", json={"points": [_point(box, 0)]}, headers=worker.headers
    )
    assert late.status_code == 409
    detail = client.get(f"/api/patrols/{patrol}", headers=worker.headers).json()
    assert len(detail["track"]) == 3 and detail["track"][0][3] == 8
    assert _audits(box, "patrol.start") == 1 and _audits(box, "patrol.end") == 1
    officer = make_user("officer", region="A")
    assert client.get(f"/api/patrols/{patrol}", headers=officer.headers).status_code == 200
    other = make_user("grid_worker", region="G2")
    assert client.get(f"/api/patrols/{patrol}", headers=other.headers).status_code == 404
    elsewhere = make_user("officer", region="B")
    assert client.get(f"/api/patrols/{patrol}", headers=elsewhere.headers).status_code == 404


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([{"lat": 95.0, "lon": 120.0}], "points[0]: (95.0, 120.0) is not a WGS84 position"),
        (
            [{"north": 0, "s": 0}, {"north": 50_000, "s": 60}],
            "points[1]: 2997 km/h from the point before is not possible",
        ),
        ([{"north": 0, "s": 60}, {"north": 10, "s": 0}], "points[1]: earlier than the point"),
        ([{"north": 0, "s": 3600}], "is outside the patrol"),
        ([{"north": 0, "s": 0, "accuracy": -1}], "accuracy -1.0 m is not between"),
    ],
)
def test_absurd_track_points_are_refused_naming_the_point_and_change_nothing(
    client: TestClient,
    box: Container,
    make_user: MakeUser,
    points: list[dict[str, Any]],
    message: str,
) -> None:
    worker = make_user("grid_worker", region="G1")
    patrol = _start(client, worker)
    sent = []
    for p in points:
        if "north" in p:
            q = _point(box, p["s"], p["north"])
            if "accuracy" in p:
                q["accuracy"] = p["accuracy"]
        else:
            q = {**p, "at": box.clock.now().isoformat()}
        sent.append(q)
    response = client.post(
        f"/api/patrols/{patrol}/track", json={"points": sent}, headers=worker.headers
    )
    assert response.status_code == 422 and message in response.json()["detail"], response.text
    with box.transaction() as session:
        stored = session.get(Patrol, patrol)
        assert stored is not None and stored.points == 0 and stored.track == []


def test_a_track_keeps_at_most_its_limit_of_points(
    client: TestClient, box: Container, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules, "MAX_POINTS", 3)
    worker = make_user("grid_worker", region="G1")
    patrol = _start(client, worker)
    first = [_point(box, n, n) for n in range(3)]
    url = f"/api/patrols/{patrol}/track"
    assert client.post(url, json={"points": first}, headers=worker.headers).status_code == 200
    over = client.post(url, json={"points": [_point(box, 5, 5)]}, headers=worker.headers)
    assert over.status_code == 422 and "at most 3 track points" in over.json()["detail"]
    too_many = [_point(box, n) for n in range(rules.MAX_POINTS_PER_BATCH + 1)]
    big = client.post(url, json={"points": too_many}, headers=worker.headers)
    assert big.status_code == 422


def test_only_a_grid_worker_with_a_grid_patrols(client: TestClient, make_user: MakeUser) -> None:
    officer = make_user("officer", region="A")
    assert client.post("/api/patrols", headers=officer.headers).status_code == 403
    assert client.post("/api/patrols").status_code == 401


# --- reports: sent twice, recorded once; never the public's -------------------------------------


def test_a_report_sent_again_with_its_key_is_recorded_once_as_a_grid_workers(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    worker = make_user("grid_worker", region="G1")
    patrol = _start(client, worker)
    where = spot()
    form = {
        "category": "water",
        "lat": str(where["lat"]),
        "long": str(where["lon"]),
        "description": "河面发黑有泡沫",
        "attributes": json.dumps({"colour": "black"}),
        "patrol_id": str(patrol),
        "source_ref": "grid-report:6f1c2d9e-1a2b-4c3d-8e9f-001122334455",
    }
    answers = [
        client.post(
            "/api/clues/grid",
            data=form,
            files=[("photos", ("p.jpg", jpeg(3), "image/jpeg"))],
            headers=worker.headers,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201], answers[0].text
    assert answers[0].json()["clue_id"] == answers[1].json()["clue_id"]
    with box.transaction() as session:
        assert session.scalar(select(func.count(Clue.id))) == 1
        finding = session.scalars(select(Finding)).one()
        assert finding.channel == "grid_worker" and finding.data["patrol_id"] == str(patrol)
        assert finding.reporter_user_id == worker.user_id
    other = make_user("grid_worker", region="G1")  # another worker with the same key: refused
    form.pop("patrol_id")
    refused = client.post(
        "/api/clues/grid",
        data=form,
        files=[("photos", ("p.jpg", jpeg(3), "image/jpeg"))],
        headers=other.headers,
    )
    assert refused.status_code == 409, refused.text
    assert answers[0].json()["tracking_code"] not in refused.text
    with box.transaction() as session:
        assert session.scalar(select(func.count(Clue.id))) == 1


# --- pages ------------------------------------------------------------------------------------


def test_the_grid_pages_show_my_grid_schedule_and_what_is_routed_to_me(
    client: TestClient, box: Container, make_user: MakeUser
) -> None:
    worker = make_user("grid_worker", region="G1")
    officer = make_user("officer", region="A")
    driver = Driver(client, box, officer.headers)
    where = spot()
    report = client.post(
        "/api/clues/grid",
        data={
            "category": "water",
            "lat": str(where["lat"]),
            "long": str(where["lon"]),
            "description": "排污口排出黑色污水",
        },
        files=[("photos", ("p.jpg", jpeg(4), "image/jpeg"))],
        headers=worker.headers,
    )
    pid = report.json()["problem_id"]
    home = client.get("/grid", headers=worker.headers)
    assert home.status_code == 200 and 'id="grid-map"' in home.text
    assert f'data-problems=\'[{{"id": {pid}, ' in home.text
    clues = client.get("/grid/clues", headers=worker.headers)
    assert 'id="nothing-to-verify"' in clues.text and f"/problems/{pid}" in clues.text
    driver.act(pid, "accept")
    driver.act(pid, "assign", assignee_id=worker.user_id)
    clues = client.get("/grid/clues", headers=worker.headers)
    assert f'action="/problems/{pid}/actions/start_verification"' in clues.text
    assert client.get("/grid/report", headers=worker.headers).status_code == 200
    assert client.get("/grid", headers=officer.headers).status_code == 403


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_grid_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, (TEMPLATE_DIR / "grid").glob("*.html"), at_least=51)
