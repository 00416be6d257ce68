"""The self-inspection pages: the enterprise portal and task form, the QR sheet, the officers'
statistics page and its export."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from ecoradar.bootstrap import Container
from ecoradar.web.app import create_app
from tests.conftest import LogIn, MakeUser
from tests.factories import uscc
from tests.integration.problem_support import jpeg
from tests.integration.selfcheck_support import generate, point_id, world
from tests.integration.test_selfcheck_tasks import task_of

TODAY = date(2026, 11, 2)


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    world(container, tmp_path)
    generate(container, TODAY)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box), follow_redirects=False)


def test_the_portal_shows_an_enterprise_its_open_tasks(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    logged_in(client, make_user("enterprise", enterprise=uscc(1)))
    page = client.get("/selfcheck")
    assert page.status_code == 200
    assert page.text.count('class="sc-task-link"') == 2
    assert 'href="/selfcheck"' in page.text  # the nav link


def test_staff_are_sent_to_the_statistics(
    client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    logged_in(client, make_user("officer", region="A"))
    assert client.get("/selfcheck").headers["location"] == "/selfcheck/stats"


def test_the_task_form_submits_answers_and_photos_and_then_shows_them_locked(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    started = logged_in(client, make_user("enterprise", enterprise=uscc(1)))
    task = task_of(box, 1, "CP01")
    form = client.get(f"/selfcheck/tasks/{task}")
    assert 'capture="environment"' in form.text and 'accept="image/*"' in form.text
    data = {
        "csrf_token": started.csrf_token,
        "a.equipment_running": "yes",
        "a.ph": "9.6",
        "a.sludge_log": "yes",
        "a.dosing_normal": "yes",
        "lat": "30.5001",
        "lon": "120.2502",
    }
    refused = client.post(f"/selfcheck/tasks/{task}", data=data)
    assert refused.status_code == 422 and "clarifier_photo" in refused.text
    files = {"p.clarifier_photo": ("c.jpg", jpeg(11), "image/jpeg")}
    done = client.post(f"/selfcheck/tasks/{task}", data=data, files=files)
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert 'id="failed-items"' in shown.text and 'id="task-form"' not in shown.text
    again = client.post(f"/selfcheck/tasks/{task}", data=data, files=files)
    assert again.status_code == 409


def test_another_enterprise_gets_the_not_found_page(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    logged_in(client, make_user("enterprise", enterprise=uscc(2)))
    task = task_of(box, 1, "CP01")
    assert client.get(f"/selfcheck/tasks/{task}").status_code == 404
    point = point_id(box, 1, "CP01")
    assert client.get(f"/selfcheck/points/{point}/current").status_code == 404


def test_a_points_qr_code_leads_to_its_current_task(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    logged_in(client, make_user("enterprise", enterprise=uscc(1)))
    point = point_id(box, 1, "CP01")
    sheet = client.get("/selfcheck/qr")
    assert sheet.status_code == 200 and sheet.text.count("<svg") == 2
    assert f"http://testserver/selfcheck/points/{point}/current" in sheet.text
    moved = client.get(f"/selfcheck/points/{point}/current")
    assert moved.headers["location"] == f"/selfcheck/tasks/{task_of(box, 1, 'CP01')}"
    svg = client.get(f"/api/selfcheck/points/{point}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")


def test_the_statistics_page_and_exports_for_officers(
    box: Container, client: TestClient, make_user: MakeUser, logged_in: LogIn
) -> None:
    logged_in(client, make_user("officer", region="A"))
    page = client.get("/selfcheck/stats", params={"by": "enterprise"})
    assert page.status_code == 200
    assert re.search(r'id="stat-sent">3<', page.text)
    assert re.search(r'id="stat-enterprises">2<', page.text)
    csv_text = client.get("/api/selfcheck/stats/export", params={"format": "csv"}).text
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("key,label,enterprises,control_points,tasks_sent")
    assert lines[1].startswith("total,total,2,3,3")
    xlsx = client.get("/api/selfcheck/stats/export", params={"format": "xlsx", "by": "day"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "total" and rows[2][0] == "2026-11-02" and rows[2][4] == 3
    officer_b = make_user("officer", region="B")
    client.cookies.clear()
    logged_in(client, officer_b)
    figures = client.get("/api/selfcheck/stats").json()
    assert figures["enterprises"] == 0 and figures["tasks_sent"] == 0
