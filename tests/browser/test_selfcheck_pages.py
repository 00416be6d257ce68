"""Self-inspection in a real browser: an enterprise user on a phone sees today's tasks, opens
one, the browser's position is shown against the control point (and a warning when far),
answers item by item with a photo and submits; the task is then locked. The QR sheet prints
a code per point, and an officer reads the statistics."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.problems.policy import stored_calendar
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.generator import generate_tasks
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask
from ecoradar.selfcheck.schedule import china_date
from ecoradar.selfcheck.templates import items_of
from ecoradar.simulate.selfcheck_sample import load_sample_points
from tests.browser.conftest import PHONE, LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


@dataclass(frozen=True)
class Scene:
    company: Login
    enterprise_code: str
    task: int
    far_task: int
    point: tuple[float, float]
    items: list[dict[str, object]]


@pytest.fixture(scope="module")
def scene(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    box = live_server.container
    load_sample_points(box, tmp_path_factory.mktemp("selfcheck"))
    with box.transaction() as session:
        now = box.clock.now()
        generate_tasks(
            session=session, until=china_date(now), now=now, calendar=stored_calendar(session)
        )
        enterprise = session.scalar(select(Enterprise).order_by(Enterprise.code))
        assert enterprise is not None
        tasks = list(
            session.scalars(
                select(SelfcheckTask)
                .where(SelfcheckTask.enterprise_id == enterprise.id)
                .join(ControlPoint, SelfcheckTask.point_id == ControlPoint.id)
                .order_by(ControlPoint.code)
            )
        )
        first = tasks[0]
        point = (first.point.latitude, first.point.longitude)
        items = [i.as_json() for i in items_of(first.template_version)]
        code = enterprise.code
    company = create_login(box, "enterprise", username="company", enterprise=code)
    return Scene(company, code, tasks[0].id, tasks[1].id, point, items)


def photo_file(tmp_path: Path) -> Path:
    image = Image.new("RGB", (120, 90), (40, 120, 90))
    path = tmp_path / "onsite.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_an_enterprise_answers_a_task_on_a_phone(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    scene: Scene,
    shot: Shot,
    tmp_path: Path,
) -> None:
    lat, lon = scene.point
    page = open_page(
        viewport=PHONE,
        login=scene.company,
        geolocation={"latitude": lat + 0.0002, "longitude": lon},
        permissions=["geolocation"],
    )
    page.goto(live_server.url + "/selfcheck")
    expect(page.locator("h1")).to_have_text("企业自查")
    expect(page.locator(".sc-task-link")).not_to_have_count(0)
    shot(page, "portal")
    page.locator(f'a[data-task="{scene.task}"]').click()
    expect(page.locator("#task-form")).to_be_visible()
    expect(page.locator("#position-status")).to_contain_text("您距离管控点")
    expect(page.locator("#far-warning")).to_be_hidden()
    shot(page, "form", full_page=True)
    picture = photo_file(tmp_path)
    for item in scene.items:
        code, kind = item["code"], item["kind"]
        if kind == "yes_no":
            page.locator(f'input[name="a.{code}"][value="yes"]').check()
        elif kind == "number":
            low, high = item.get("min"), item.get("max")
            value = (
                7
                if low is None and high is None
                else ((low or 0) + (high or (low or 0) * 2 + 10)) / 2
            )  # type: ignore[operator]
            page.locator(f'input[name="a.{code}"]').fill(f"{value:g}")
        elif kind == "photo":
            page.locator(f'input[name="p.{code}"]').set_input_files(str(picture))
    shot(page, "filled", full_page=True)
    page.locator("#submit-task").click()
    expect(page.locator("#flash")).to_have_text("任务已提交。")
    expect(page.locator("#task-form")).to_have_count(0)
    expect(page.locator("#answers")).to_contain_text("是")
    shot(page, "submitted", full_page=True)


def test_the_form_warns_when_the_phone_is_far_from_the_point(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    lat, lon = scene.point
    page = open_page(
        viewport=PHONE,
        login=scene.company,
        geolocation={"latitude": lat + 0.01, "longitude": lon},
        permissions=["geolocation"],
    )
    page.goto(f"{live_server.url}/selfcheck/tasks/{scene.far_task}")
    expect(page.locator("#far-warning")).to_be_visible()
    expect(page.locator("#position-status")).to_contain_text("米")
    shot(page, "far-warning")


def test_the_qr_sheet_has_a_code_per_point(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.company)
    page.goto(live_server.url + "/selfcheck/qr")
    expect(page.locator(".sc-qr svg")).not_to_have_count(0)
    expect(page.locator(".sc-qr-url").first).to_contain_text("/selfcheck/points/")
    shot(page, "qr-sheet", full_page=True)


def test_an_officer_reads_the_statistics(
    page: Page, live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page.goto(live_server.url + "/selfcheck")
    expect(page).to_have_url(live_server.url + "/selfcheck/stats")
    expect(page.locator("#stat-enterprises")).not_to_have_text("0")
    expect(page.locator("#stats-table tbody tr")).not_to_have_count(0)
    shot(page, "stats")
    page.select_option("#stats-by", "region")
    page.locator("#stats-filters button[type=submit]").click()
    expect(page.locator("#stats-table tbody tr").first).to_be_visible()
    shot(page, "stats-by-region")
