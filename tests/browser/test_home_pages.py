"""The officer home and the discovery statistics in a real browser (issue 18 items 1 and 4): an
officer of one county sees what needs attention now, follows the figures to the filtered lists,
then reads the figures of every channel on /stats (a monitoring-only problem counts as a new
problem), narrows them to an area, and reads the home page in English on a phone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.clues.intake import ClueIn, Upload, submit_clue
from ecoradar.core.clock import CHINA_TZ
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from tests.browser.conftest import PHONE, LiveServer
from tests.browser.test_stats_page import _grid_centres
from tests.conftest import Login, create_login
from tests.integration.problem_support import add_alert, jpeg, public_report

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


@dataclass(frozen=True)
class Scene:
    officer: Login
    county: str
    clues: int
    monitoring: int


def _county_of(live_server: LiveServer, lat: float, lon: float) -> Region:
    box = live_server.container
    with box.transaction() as session:
        region = box.regions.get(session).smallest(lon, lat)
        assert region is not None
        found = session.get(Region, region.id)
        while found is not None and found.level != "county":
            found = found.parent
        assert found is not None
        session.expunge(found)
        return found


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    places = _grid_centres(live_server, 8)
    county = _county_of(live_server, *places[0])
    mine = [p for p in places if _county_of(live_server, *p).id == county.id][:3]
    texts = ["河道里有黑色污水排出", "工厂烟囱晚上冒黑烟", "路边倾倒大量建筑垃圾"]
    for number, ((lat, lon), text) in enumerate(zip(mine, texts, strict=False)):
        with box.transaction() as session:
            submit_clue(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                item=ClueIn(
                    channel="public",
                    category="water",
                    lat=lat,
                    lon=lon,
                    description=text,
                    photos=(Upload("photo.jpg", jpeg(700 + number)),),
                    client=f"ip:198.51.100.{20 + number}",
                ),  # fmt: skip
                now=box.clock.now(),
                actor="public:anonymous",
            )
    lat, lon = mine[0]
    for n in range(2):
        public_report(
            box, reporter_user_id=None, name=None, contact=None, channel="monitoring",
            place={"lat": lat + 0.001 * n, "lon": lon}, match_key=f"home-alert-{n}",
        )  # fmt: skip
    with box.transaction() as session:
        mn = session.scalar(
            select(MonitoringPoint.mn)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            .where(Enterprise.region_id.in_(_subtree(session, county.id)))
            .order_by(MonitoringPoint.id)
            .limit(1)
        )
    assert mn is not None
    add_alert(box, mn, severity="high")
    officer = create_login(box, "officer", username="officer-home", region=county.code)
    return Scene(officer, county.code, len(mine), 2)


def _subtree(session: object, region_id: int) -> list[int]:
    from ecoradar.regions.service import subtree_ids

    return sorted(subtree_ids(session=session, region_id=region_id))  # type: ignore[arg-type]


def test_an_officer_follows_the_attention_panel_to_the_lists_and_the_statistics(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(live_server.url + "/")
    panel = page.locator("#attention")
    expect(panel.locator("h2")).to_have_text("当前待办")
    expect(page.locator("#attn-new-clues .attn-count")).to_have_text(str(scene.clues))
    expect(page.locator("#attn-alerts-high")).to_have_class("attn-item is-urgent")
    expect(page.locator("#stat-enterprises")).to_be_visible()
    shot(page, "officer-home", full_page=True)

    page.locator("#attn-new-clues").click()
    expect(page).to_have_url(live_server.url + "/clues?state=reported")
    expect(page.locator("tr[data-problem]")).to_have_count(scene.clues)
    shot(page, "new-clues")

    page.go_back()
    page.locator("#attn-alerts-high").click()
    expect(page).to_have_url(live_server.url + "/alerts?state=open&severity=high")
    expect(page.locator("tr[data-kind]")).to_have_count(1)
    shot(page, "open-high-alerts")

    page.go_back()
    page.locator("#attn-stats-link").click()
    expect(page).to_have_url(live_server.url + "/stats")
    expect(page.locator("#dc-found")).to_have_text(str(scene.clues + scene.monitoring))
    monitoring = page.locator('#dc-channels tr[data-channel="monitoring"]')
    expect(monitoring).to_contain_text("在线监测")
    expect(monitoring.locator("td").nth(2)).to_have_text(str(scene.monitoring))
    expect(page.locator('#dc-channels tbody[data-kind="technical"] .dc-sub')).to_contain_text(
        "小计"
    )
    xlsx = page.locator("#discovery-xlsx").get_attribute("href")
    assert xlsx is not None and xlsx.endswith("format=xlsx")
    shot(page, "discovery-stats", full_page=True)

    with page.expect_download() as download:
        page.locator("#discovery-xlsx").click()
    assert download.value.suggested_filename == "discovery-stats.xlsx"


def test_the_statistics_narrow_to_an_area_and_the_home_reads_in_english_on_a_phone(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page()
    page.goto(live_server.url + "/stats")
    page.locator("#stats-region").select_option(scene.county)
    page.locator("#stats-show").click()
    expect(page).to_have_url(
        f"{live_server.url}/stats?from=&to=&region={scene.county}&period=all&by=channel&level="
    )
    expect(page.locator("#dc-found")).to_have_text(str(scene.clues + scene.monitoring))
    shot(page, "stats-one-area", full_page=True)

    today = datetime.now(CHINA_TZ).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    page.locator("#stats-from").fill(first.isoformat())
    page.locator("#stats-to").fill(today.isoformat())
    page.locator("#stats-period").select_option("month")
    page.locator("#stats-show").click()
    months = page.locator("#dc-periods tbody tr")
    expect(months).to_have_count(2)
    expect(months.last.locator("td").nth(2)).to_have_text(str(scene.clues + scene.monitoring))
    shot(page, "stats-per-month", full_page=True)

    phone = open_page(viewport=PHONE, locale="en-US", login=scene.officer)
    phone.goto(live_server.url + "/")
    expect(phone.locator("#attn-title")).to_have_text("What needs attention now")
    expect(phone.locator("#attn-problems-overdue .attn-label")).to_have_text(
        "Problems past their deadline"
    )
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(phone, "phone-english", full_page=True)
