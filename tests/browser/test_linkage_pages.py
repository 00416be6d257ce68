"""Big-data linkage in a real browser: an officer opens a problem of a smell, the suspects load
with a map of the wind and the enterprises, the works upwind first; the officer attaches it;
the map shows a hotspot of grid workers' reports; the daily brief lists the day and its PDF
downloads."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.monitoring.models import Measurement
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint
from ecoradar.stations.models import Station
from ecoradar.stations.service import import_stations
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login
from tests.factories import write_csv

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
M_PER_DEG = 111_195.0


def moved(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG, lon + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


@dataclass(frozen=True)
class Scene:
    officer: Login
    problem: int
    culprit: str
    county: str


@pytest.fixture(scope="module")
def scene(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    box = live_server.container
    now = datetime.now(UTC)
    with box.reading() as session:
        enterprise, grid = session.execute(
            select(Enterprise, Region)
            .join(Region, Enterprise.region_id == Region.id)
            .where(Region.level == "grid", Enterprise.industry.like("26%"))
            .order_by(Enterprise.code)
        ).first()  # type: ignore[misc]
        township = session.get(Region, grid.parent_id)
        assert township is not None
        county = session.get(Region, township.parent_id)
        assert county is not None
        culprit, county_code = enterprise.code, county.code
        at_lat, at_lon = enterprise.latitude, enterprise.longitude
    clue = moved(at_lat, at_lon, -600, 0)  # 600 m south of the works: the wind from the north
    west = moved(clue[0], clue[1], 0, 700)  # the station, near the report
    stations = write_csv(
        tmp_path_factory.mktemp("stations") / "stations.csv",
        ["code", "name", "kind", "mn", "longitude", "latitude", "password"],
        [["AQ-T01", "测试空气站", "air", "AQT0000000000000000000001", west[1], west[0], "123456"]],
    )
    with box.transaction() as session:
        import_stations(session=session, path=stations, regions=box.regions, now=now)
    with box.transaction() as session:
        point = session.scalar(
            select(MonitoringPoint.id)
            .join(Station, MonitoringPoint.station_id == Station.id)
            .where(Station.code == "AQ-T01")
        )
        hour = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        for lag in range(3):
            for factor, value in (("a01007", 2.6), ("a01008", 5.0)):
                session.add(
                    Measurement(point_id=point, factor=factor, kind="hour", avg=value,
                                data_time=hour - timedelta(hours=lag), received_at=now)
                )  # fmt: skip
        policy = load_policy(session=session, settings=box.settings)
        index = box.regions.get(session)
        found = record_finding(
            session=session,
            index=index,
            item=FindingIn("public", "odour", clue[0], clue[1], hour + timedelta(minutes=20),
                           title="小区闻到刺鼻的化工味", description="晚上一直有刺鼻的化工味道"),
            now=now,
            actor="system:test",
            policy=policy,
        )  # fmt: skip
        rng = random.Random(1)
        spot = moved(clue[0], clue[1], 3000, 3000)
        for i in range(8):
            lat, lon = moved(spot[0], spot[1], rng.uniform(-120, 120), rng.uniform(-120, 120))
            record_finding(
                session=session,
                index=index,
                item=FindingIn("grid_worker", "water", lat, lon, now - timedelta(hours=i + 1),
                               title="河道发黑", source_ref=f"linkage-browser-{i}"),
                now=now,
                actor="system:test",
                policy=policy,
            )  # fmt: skip
        pid = found.problem.id
    officer = create_login(
        box, "officer", region=county_code, username="officer-zhou", display_name="周科长"
    )
    return Scene(officer, pid, culprit, county_code)


def test_suspects_a_hotspot_and_the_daily_brief(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(f"{live_server.url}/problems/{scene.problem}")
    suspects = page.locator("#suspect-list > li")
    expect(suspects.first).to_have_attribute("data-code", scene.culprit)
    expect(page.locator("#suspects-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#suspects-wind")).to_contain_text("北风")
    expect(suspects.first.locator(".suspect-reasons")).to_contain_text("上风向")
    page.locator("#suspects-title").scroll_into_view_if_needed()
    shot(page, "suspects-with-the-wind")
    page.locator(f'[data-attach="{scene.culprit}"]').click()
    expect(page).to_have_url(re.compile(rf"/problems/{scene.problem}.*#suspects$"))
    expect(page.locator("#suspect-attached")).to_be_visible()
    page.locator("#suspects-title").scroll_into_view_if_needed()
    shot(page, "attached")

    page.goto(f"{live_server.url}/map")
    expect(page.locator("#region-map")).to_have_attribute("data-hotspots", "1", timeout=15_000)
    expect(page.locator(".er-hotspot").first).to_be_visible()
    shot(page, "map-with-a-hotspot")

    page.locator(".navmore summary").click()
    page.locator('.navmore-menu a[href="/brief"]').click()
    expect(page.locator("h1")).to_contain_text("每日简报")
    expect(page.locator("#brief-channels")).to_contain_text("网格员")
    expect(page.locator("#brief-hotspot-table tbody tr")).to_have_count(1)
    attached = page.locator(f'#brief-suspect-table a[href="/problems/{scene.problem}"]')
    expect(attached).to_have_count(0)  # its enterprise is known now
    shot(page, "daily-brief", full_page=True)
    with page.expect_download() as download:
        page.locator("#brief-pdf").click()
    assert download.value.suggested_filename.startswith(f"brief-{scene.county}-")
