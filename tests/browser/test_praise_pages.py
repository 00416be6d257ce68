"""Praise in a real browser: an officer opens the month's ranking of their county, praises the
grid worker from their row, reads the notice and downloads the certificate (a PDF with the
worker's name); the worker sees their month, rank and notice on /grid on a 360 px phone and
downloads it too; /stats/praise draws its chart, in Chinese and in English."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect
from shapely.geometry import shape
from sqlalchemy import select

from ecoradar.core.clock import CHINA_TZ
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login
from tests.integration.problem_support import Driver, jpeg

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
WORKER = "赵网格"
REPORTER = "钱热心"
REASON = "巡查认真，率先发现河道偷排"
WIDER_THAN_PHONE = """Array.from(document.querySelectorAll("#my-praise, #my-praise *"))
  .filter(e => e.getBoundingClientRect().right > 361)
  .map(e => e.tagName + "#" + e.id + ":" + Math.round(e.getBoundingClientRect().right))"""


@dataclass(frozen=True)
class Scene:
    officer: Login
    worker: Login
    county: str
    month: str


def _report(live_server: LiveServer, place: tuple[float, float], **who: object) -> int:
    box = live_server.container
    with box.transaction() as session:
        now = box.clock.now()
        result = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                category="water",
                lat=place[0],
                lon=place[1],
                observed_at=now - timedelta(minutes=30),
                description="河道排口有黑水",
                **who,  # type: ignore[arg-type]
            ),
            now=now,
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
        return result.problem.id


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    with box.transaction() as session:
        grid = session.scalar(select(Region).where(Region.level == "grid").order_by(Region.code))
        assert grid is not None and grid.parent is not None
        county = grid.parent.parent or grid.parent
        inside = shape(grid.geometry).representative_point()
        codes = (grid.code, county.code)
    worker = create_login(
        box, "grid_worker", username="praised-worker", region=codes[0], display_name=WORKER
    )
    officer = create_login(
        box, "officer", username="praise-officer", region=codes[1], display_name="孙科长"
    )
    place = (inside.y, inside.x)
    pid = _report(
        live_server, place, channel="grid_worker", reporter_user_id=worker.user_id,
        source_ref="praise-1",
    )  # fmt: skip
    _report(
        live_server, place, channel="public", reporter_name=REPORTER,
        reporter_contact="13800001111", attach_to=pid, source_ref="praise-2",
    )  # fmt: skip
    with httpx.Client(base_url=live_server.url) as api:
        drive = Driver(api, box, officer.headers)  # type: ignore[arg-type]
        drive.act(pid, "accept")
        drive.act(pid, "assign", assignee_id=worker.user_id)
        drive.act(pid, "start_verification", worker.headers)
        photo = drive.upload(pid, jpeg(7), worker.headers, purpose="onsite")
        onsite = {**drive.onsite(photo), "lat": place[0], "lon": place[1]}
        drive.act(pid, "confirm", worker.headers, onsite=onsite)
        started = api.post("/api/patrols", headers=worker.headers)
        assert started.status_code == 201, started.text
        ended = api.post(
            f"/api/patrols/{started.json()['id']}/end", json={"note": ""}, headers=worker.headers
        )
        assert ended.status_code == 200, ended.text
    month = box.clock.now().astimezone(CHINA_TZ).strftime("%Y-%m")
    return Scene(officer, worker, codes[1], month)


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    target = tmp_path / "certificate.pdf"
    target.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_an_officer_praises_a_grid_worker_who_sees_it_on_the_phone(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    scene: Scene,
    shot: Shot,
    tmp_path: Path,
) -> None:
    page = open_page(login=scene.officer)
    page.goto(f"{live_server.url}/")
    page.locator("details.navmore summary").click()
    page.get_by_role("link", name="表扬激励").click()
    expect(page).to_have_url(f"{live_server.url}/praise")
    page.fill("#praise-month", scene.month)
    page.select_option("#praise-region", scene.county)
    page.click("#praise-show")
    row = page.locator(f'#praise-workers tr[data-person="user:{scene.worker.user_id}"]')
    expect(row).to_contain_text(WORKER)
    expect(row.locator(".pr-rank")).to_have_text("1")
    expect(page.locator("#praise-reporters")).to_contain_text(REPORTER)
    expect(page.locator("#praise-reporters")).to_contain_text("钱**")
    shot(page, "rankings", full_page=True)

    row.locator(".pr-praise").click()
    expect(page.locator("h1")).to_have_text("发布表扬通报")
    expect(page.locator("#praise-facts")).to_contain_text("第 1 名")
    page.fill("#praise-reason", REASON)
    shot(page, "praise-form")
    page.click("#praise-issue")
    expect(page.locator("#praise-done")).to_be_visible()
    expect(page.locator("#certificate")).to_contain_text(REASON)
    expect(page.locator("#certificate-name")).to_contain_text(f"{WORKER}同志")
    number = page.url.split("/")[-1].split("?")[0]
    assert number.startswith("BY-")
    shot(page, "notice", full_page=True)
    with page.expect_download() as download:
        page.click("#praise-pdf-zh")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    assert WORKER in text and "荣誉证书" in text and REASON in text

    phone = open_page(viewport=SMALL_PHONE, login=scene.worker)
    phone.goto(f"{live_server.url}/grid")
    mine = phone.locator("#my-praise")
    expect(mine).to_contain_text(scene.month)
    expect(phone.locator("#my-rank")).to_contain_text("排名第 1")
    expect(phone.locator("#my-notices")).to_contain_text(number)
    assert phone.evaluate(WIDER_THAN_PHONE) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    mine.scroll_into_view_if_needed()
    shot(phone, "grid-phone")
    with phone.expect_download() as download:
        phone.locator("#my-notices .pr-mine-pdf").first.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_the_praise_statistics_draw_their_chart_in_both_languages(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(f"{live_server.url}/stats")
    page.click("#praise-stats-link")
    expect(page).to_have_url(f"{live_server.url}/stats/praise")
    expect(page.locator("#praise-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#stat-patrols")).not_to_have_text("0")
    expect(page.locator("#stat-grid-first")).to_have_text("100.0%")
    shot(page, "stats-zh", full_page=True)
    english = open_page(login=scene.officer, locale="en-US")
    english.goto(f"{live_server.url}/lang/en?next=/stats/praise")
    expect(english.locator("h1")).to_have_text("Praise statistics")
    expect(english.locator("#praise-chart")).to_have_attribute("data-ready", "true")
    shot(english, "stats-en", full_page=True)
