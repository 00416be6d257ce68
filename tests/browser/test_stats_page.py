"""The clue statistics page in a real browser: an administrator reads the figures per channel
with the bar chart, regroups them by area, narrows to a period without clues, and reads the
page in English on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.clues.intake import ClueIn, Upload, submit_clue
from ecoradar.regions.models import Region
from tests.browser.conftest import PHONE, LiveServer
from tests.integration.problem_support import jpeg

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


@dataclass(frozen=True)
class Scene:
    channels: int
    clues: int


def _grid_centres(live_server: LiveServer, count: int) -> list[tuple[float, float]]:
    """The centres of ``count`` grids that lie inside their own grid (far apart: never taken
    for duplicates)."""
    box = live_server.container
    found: list[tuple[float, float]] = []
    with box.transaction() as session:
        index = box.regions.get(session)
        grids = session.scalars(select(Region).where(Region.level == "grid").order_by(Region.code))
        for grid in grids:
            lon = (grid.min_lon + grid.max_lon) / 2
            lat = (grid.min_lat + grid.max_lat) / 2
            hit = index.smallest(lon, lat)
            if hit is not None and hit.id == grid.id:
                found.append((lat, lon))
            if len(found) == count:
                break
    assert len(found) == count
    return found


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    sent = [
        ("public", "water", "河道里有黑色污水排出，散发臭味，已经好几天了"),
        ("public", "air", "工厂烟囱晚上冒黑烟，附近全是焦糊味道"),
        ("open311", "noise", "夜间施工噪声很大，影响休息"),
        ("hotline", "solid_waste", "路边倾倒大量建筑垃圾和不明废料"),
    ]
    places = _grid_centres(live_server, len(sent))
    problems = []
    for number, ((channel, category, text), (lat, lon)) in enumerate(
        zip(sent, places, strict=True)
    ):
        with box.transaction() as session:
            receipt = submit_clue(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                item=ClueIn(
                    channel=channel,
                    category=category,
                    lat=lat,
                    lon=lon,
                    description=text,
                    photos=(Upload("photo.jpg", jpeg(900 + number)),),
                    client=f"ip:198.51.100.{number}",
                ),
                now=box.clock.now(),
                actor="public:anonymous",
            )
            problems.append(receipt.problem_id)
    accepted = httpx.post(
        f"{live_server.url}/api/problems/{problems[0]}/actions/accept",
        json={},
        headers=live_server.admin.headers,
    )
    assert accepted.status_code == 200, accepted.text
    return Scene(channels=3, clues=len(sent))


def test_an_administrator_reads_the_figures_per_channel_and_per_area(
    page: Page, live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page.goto(live_server.url + "/stats")
    expect(page.locator("h1")).to_have_text("线索统计")
    chart = page.locator("#stats-chart")
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-rows", str(scene.channels))
    expect(chart.locator("canvas")).not_to_have_count(0)
    expect(page.locator("#stat-clues")).to_have_text(str(scene.clues))
    rows = page.locator("#stats-table tbody tr")
    expect(rows).to_have_count(scene.channels)
    expect(rows.first).to_contain_text("群众举报")
    expect(page.locator("#stats-total")).to_contain_text("合计")
    shot(page, "per-channel", full_page=True)

    page.locator("#stats-by").select_option("region")
    page.locator("#stats-show").click()
    expect(page).to_have_url(
        f"{live_server.url}/stats?from=&to=&region=&period=all&by=region&level="
    )
    expect(page.locator("#stats-table thead")).to_contain_text("县（区）")
    expect(page.locator("#stats-table tbody tr").first).to_have_attribute(
        "data-region", re.compile(r"\S+")
    )
    shot(page, "per-area", full_page=True)


def test_a_period_without_clues_says_so_and_the_csv_link_follows_the_filters(
    page: Page, live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page.goto(live_server.url + "/stats?from=2000-01-01&to=2000-01-31")
    expect(page.locator("#stats-chart")).to_have_attribute("data-ready", "empty")
    expect(page.locator("#stats-chart")).to_contain_text("该期间没有线索。")
    expect(page.locator("#stats-table tbody")).to_contain_text("该期间没有线索。")
    expect(page.locator("#stat-clues")).to_have_text("0")
    href = page.locator("#stats-csv").get_attribute("href")
    assert href is not None and "from=2000-01-01" in href and "format=csv" in href
    shot(page, "empty-period")


def test_a_phone_reads_the_page_in_english(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(viewport=PHONE, locale="en-US")
    page.goto(live_server.url + "/stats")
    expect(page.locator("h1")).to_have_text("Clue statistics")
    expect(page.locator("#stats-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#stats-table thead")).to_contain_text("Median hours to acceptance")
    shot(page, "phone-english", full_page=True)
