"""A grid worker's pages in a real browser on a phone-sized screen (360x740): my grid on the
map with my schedule, a patrol started and ended with the browser's positions as its track,
a report on the spot made offline that waits in the browser and is sent once when the
connection returns, and the list of what I am to verify."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, ViewportSize, expect
from shapely.geometry import shape
from sqlalchemy import func, select

from ecoradar.clues.models import Clue
from ecoradar.patrols.models import Patrol
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import Region
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
DESCRIPTION = "巡查发现河面发黑有泡沫，离线上报"
WIDER_THAN_PHONE = """Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > 361)
  .map(e => e.tagName + "#" + e.id + ":" + Math.round(e.getBoundingClientRect().right))"""
"""What sticks out of a 360 px screen (named when the page is too wide)."""


@dataclass(frozen=True)
class Scene:
    worker: Login
    grid_name: str
    spot: tuple[float, float]


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    with box.transaction() as session:
        grid = session.scalar(select(Region).where(Region.level == "grid").order_by(Region.code))
        assert grid is not None
        inside = shape(grid.geometry).representative_point()
        code, name = grid.code, grid.name
    worker = create_login(
        box, "grid_worker", username="gridder", region=code, display_name="李网格"
    )
    return Scene(worker, name, (inside.y, inside.x))


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "river.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 40, 50)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _clues_with(live_server: LiveServer, text: str) -> list[str]:
    with live_server.container.transaction() as session:
        return list(
            session.scalars(
                select(Finding.channel)
                .join(Clue, Clue.finding_id == Finding.id)
                .where(Finding.description == text)
            )
        )


def test_a_grid_worker_patrols_and_reports_offline_on_a_phone(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    scene: Scene,
    shot: Shot,
    tmp_path: Path,
) -> None:
    lat, lon = scene.spot
    page = open_page(
        viewport=SMALL_PHONE,
        login=scene.worker,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 10},
        permissions=["geolocation"],
    )
    context = page.context
    page.goto(live_server.url + "/grid")
    expect(page.locator("#grid-name")).to_have_text(scene.grid_name)
    expect(page.locator("#grid-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#schedule-due")).to_have_class("badge badge-warn")
    wide = page.evaluate(WIDER_THAN_PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    shot(page, "my-grid")

    # A patrol: started, two positions from the browser, ended.
    page.locator("#patrol-start").click()
    expect(page.locator("#patrol-end")).to_be_visible()
    expect(page.locator("#patrol-start")).to_be_hidden()
    expect(page.locator("#patrol-status")).to_contain_text("1")
    context.set_geolocation({"latitude": lat + 0.0005, "longitude": lon, "accuracy": 10})
    expect(page.locator("#patrol-status")).to_contain_text("2")
    shot(page, "patrol-under-way")
    page.locator("#patrol-note").fill("沿河巡查")
    page.locator("#patrol-end").click()
    expect(page.locator("#patrol-start")).to_be_visible()
    expect(page.locator("#patrol-end")).to_be_hidden()
    expect(page.locator("#patrol-status")).to_contain_text("0.06")
    with live_server.container.transaction() as session:
        patrol = session.scalars(select(Patrol).where(Patrol.user_id == scene.worker.user_id)).one()
        assert patrol.ended_at is not None and patrol.points == 2 and patrol.note == "沿河巡查"
    shot(page, "patrol-ended")

    # A report made offline waits in the browser, then is sent once.
    page.goto(live_server.url + "/grid/report")
    expect(page.locator("#grid-lat")).to_have_value(f"{lat + 0.0005:.6f}")
    context.set_offline(True)
    page.locator("#grid-category").select_option("water")
    expect(page.locator("#attributes-water")).to_be_visible()
    page.locator("#grid-description").fill(DESCRIPTION)
    page.locator("#grid-photos").set_input_files(str(photo_file(tmp_path)))
    shot(page, "report-filled", full_page=True)
    page.locator("#grid-send").click()
    expect(page.locator("#grid-queue")).to_be_visible()
    expect(page.locator("#grid-queue-items li")).to_have_count(1)
    expect(page.locator("#grid-queue-items li")).to_contain_text(DESCRIPTION[:10])
    shot(page, "report-queued-offline")
    assert _clues_with(live_server, DESCRIPTION) == []

    context.set_offline(False)
    expect(page.locator("#grid-queue-items li")).to_have_count(0)
    expect(page.locator("#grid-sent")).to_contain_text("-")
    expect(page.locator("#grid-queue")).to_be_hidden()
    shot(page, "report-sent")
    assert _clues_with(live_server, DESCRIPTION) == ["grid_worker"]
    page.reload()  # the page flushes its queue on opening: nothing left to send
    expect(page.locator("#grid-queue")).to_be_hidden()
    assert _clues_with(live_server, DESCRIPTION) == ["grid_worker"]

    # What is routed to me: the new problem waits in my grid; once an officer assigns it to
    # me, I start verifying and confirm it on the spot with a photo, the position and a text.
    page.goto(live_server.url + "/grid/clues")
    expect(page.locator("#waiting-list")).to_contain_text(DESCRIPTION[:6])
    shot(page, "waiting-in-my-grid")
    with live_server.container.transaction() as session:
        pid = session.scalars(
            select(Finding.problem_id).where(Finding.description == DESCRIPTION)
        ).one()
    admin = {"Authorization": f"Bearer {live_server.admin.token}"}
    for action, body in (("accept", {}), ("assign", {"assignee_id": scene.worker.user_id})):
        answer = page.request.post(
            f"{live_server.url}/api/problems/{pid}/actions/{action}", headers=admin, data=body
        )
        assert answer.status == 200, answer.text()
    page.goto(live_server.url + "/grid/clues")
    item = page.locator(f'li[data-problem="{pid}"]')
    item.get_by_role("button").click()
    expect(page).to_have_url(f"{live_server.url}/problems/{pid}?done=start_verification")
    page.goto(live_server.url + "/grid/clues")
    expect(item.locator(".verify-place")).to_contain_text(f"{lat + 0.0005:.5f}")
    item.locator("textarea").fill("现场确认河面发黑，有泡沫")
    item.locator('input[type="file"]').set_input_files(str(photo_file(tmp_path)))
    shot(page, "verify-form", full_page=True)
    item.locator('button[formaction$="/confirm"]').click()
    expect(page).to_have_url(f"{live_server.url}/problems/{pid}?done=confirm")
    with live_server.container.transaction() as session:
        problem = session.get(Problem, pid)
        assert problem is not None and problem.state == "confirmed"
        counted = session.scalar(
            select(func.count(Clue.id))
            .join(Finding, Clue.finding_id == Finding.id)
            .where(Finding.reporter_user_id == scene.worker.user_id)
        )
        assert counted == 1
    shot(page, "confirmed")
