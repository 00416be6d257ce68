"""The three big screens in a real browser, opened by a wall display through a display token
(no login): each renders its charts with data (the canvases hold several colours, not a blank
background) and its map, and refreshes without a reload — a record added on the server during
the test shows up while the marker set at load is still there."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import select, update

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.models import Alert
from ecoradar.greencode import service as greencode
from ecoradar.greencode.models import GreenCode
from ecoradar.hj212.encoder import encode
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint
from ecoradar.screens import tokens
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import hourly_series
from ecoradar.stations import service as stations
from tests.browser.conftest import LiveServer
from tests.factories import write_csv
from tests.integration.auth_support import add_alerts

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
ADMIN = Principal(kind="user", user_id=None, username="browser-test", role="admin")
CHANNELS = ("public", "grid_worker", "monitoring", "drone", "hotline", "station", "media")
CATEGORIES = ("air", "water", "odour", "noise", "solid_waste", "soil")
FULL_HD: ViewportSize = {"width": 1920, "height": 1080}
HD: ViewportSize = {"width": 1280, "height": 720}
STATION_PASSWORD = "112233"
STATION_NAMES = ("城东站", "城西站", "开发区站")

COLOURS_JS = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 16) {
    if (data[i + 3] < 200) continue;
    seen.add((data[i] >> 4) + ',' + (data[i + 1] >> 4) + ',' + (data[i + 2] >> 4));
  }
  return seen.size;
}"""


def add_finding(
    box, place: tuple[float, float], channel: str, category: str, hours_ago: float
) -> int:
    now = box.clock.now()
    with box.transaction() as session:
        done = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel,
                category,
                place[1],
                place[0],
                now - timedelta(hours=hours_ago),
                description="screen seed",
            ),
            now=now,
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
        return done.problem.id


def station_hour(mn: str, when: datetime, rng: random.Random, direction: float) -> bytes:
    values = {"a34004": rng.uniform(20, 60), "a34002": rng.uniform(40, 90),
              "a05024": rng.uniform(60, 140), "a21004": rng.uniform(20, 50),
              "a01007": rng.uniform(1.5, 5.0), "a01008": direction}  # fmt: skip
    return encode(
        st="22", cn="2061", pw=STATION_PASSWORD, mn=mn, edition="2017", data_time=when,
        items={code: {"Avg": f"{v:.4g}", "Flag": "N"} for code, v in values.items()},
    )  # fmt: skip


def seed_monitoring(box: Container, directory: Path, rng: random.Random) -> set[str]:
    """A day of hourly data from 30 enterprise devices (some with gaps, so their data quality
    differs) and from three air stations with their wind."""
    with box.reading() as session:
        profiles = load_profiles(session)[:30]
        places = session.execute(
            select(Enterprise.longitude, Enterprise.latitude).order_by(Enterprise.code).limit(3)
        ).all()
    start = box.clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=24)
    frames = []
    for n, profile in enumerate(profiles):
        for hour, frame in enumerate(hourly_series(profile, start, 24, seed=n)):
            if n % 3 == 0 and hour % (2 + n % 4) == 0:
                continue  # a gap: this device is online less
            frames.append((frame, f"10.30.0.{n}:6000"))
    path = write_csv(
        directory / "stations.csv",
        ["code", "name", "kind", "mn", "longitude", "latitude", "password"],
        [
            [f"S{n}", name, "air", f"SCREENMN{n:03d}", lon + 0.01, lat + 0.01, STATION_PASSWORD]
            for n, ((lon, lat), name) in enumerate(zip(places, STATION_NAMES, strict=True))
        ],
    )
    with box.transaction() as session:
        stations.import_stations(
            session=session, path=path, regions=box.regions, now=box.clock.now()
        )
    for back in range(3, 0, -1):
        for n in range(3):
            when = start + timedelta(hours=24 - back)
            frames.append(
                (station_hour(f"SCREENMN{n:03d}", when, rng, 90.0 * n + 45), "10.1.1.1:9")
            )
    Intake(box, mode="live").run(frames)
    return {p.mn for p in profiles}


@pytest.fixture(scope="module")
def display(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Findings of seven channels over 30 days at enterprises' places, offline alerts at every
    device and exceedances at a few, green codes of four colours, a closed and some overdue
    problems; and a display token for the whole city."""
    box = live_server.container
    rng = random.Random(18)
    with box.reading() as session:
        places = list(
            session.execute(select(Enterprise.longitude, Enterprise.latitude).limit(120)).all()
        )
        city = session.scalar(select(Region.code).where(Region.parent_id.is_(None)))
    china_now = box.clock.now().astimezone(CHINA_TZ)
    today = (china_now - china_now.replace(hour=0, minute=0, second=0)).total_seconds() / 3600
    for n, (lon, lat) in enumerate(places[:60]):
        # 14 today (since midnight in China), the others over the last 29 days
        hours = rng.uniform(0, 0.9 * today) if n < 14 else rng.uniform(today + 1, 24 * 29)
        add_finding(box, (lon, lat), CHANNELS[n % len(CHANNELS)], CATEGORIES[n % 6], hours)
    with box.transaction() as session:  # as if imported: received when observed
        session.execute(update(Finding).values(received_at=Finding.observed_at))
    add_alerts(box)
    fed = seed_monitoring(box, tmp_path_factory.mktemp("screens"), rng)
    now = box.clock.now()
    with box.transaction() as session:
        points = list(
            session.scalars(
                select(MonitoringPoint.id)
                .where(MonitoringPoint.mn.not_in(fed), MonitoringPoint.outlet_id.is_not(None))
                .order_by(MonitoringPoint.id)
                .limit(4)
            )
        )
        for point_id in points:
            session.add(
                Alert(
                    point_id=point_id,
                    factor="a21026",
                    kind="exceedance",
                    start=now - timedelta(hours=2),
                    end=None,
                    severity="high",
                    evidence={"rule": "exceedance"},
                    raised_at=now,
                    updated_at=now,
                )
            )
    greencode.recompute_all(box)
    with box.transaction() as session:
        ids = list(
            session.scalars(select(GreenCode.enterprise_id).order_by(GreenCode.enterprise_id))
        )
        for colour, score, chunk in (
            ("blue", 85.0, ids[:40]),
            ("yellow", 65.0, ids[40:55]),
            ("red", 40.0, ids[55:60]),
        ):
            session.execute(
                update(GreenCode)
                .where(GreenCode.enterprise_id.in_(chunk))
                .values(colour=colour, score=score)
            )
        problem_ids = list(session.scalars(select(Problem.id).order_by(Problem.id)))
        session.execute(
            update(Problem)
            .where(Problem.id.in_(problem_ids[20:26]))
            .values(
                state="closed",
                reported_at=now - timedelta(days=9),
                closed_at=now - timedelta(days=2),
            )
        )
        session.execute(
            update(Problem)
            .where(Problem.id.in_(problem_ids[30:33]))
            .values(overdue_since=now - timedelta(days=4))
        )
    with box.transaction() as session:
        assert city is not None
        return tokens.create(
            session=session, by=ADMIN, name="指挥中心大屏", region_code=city, now=now
        ).secret


def open_screen(
    open_page: Callable[..., Page], url: str, screen: str, secret: str, viewport: dict
) -> Page:  # type: ignore[type-arg]
    page = open_page(viewport=viewport, login=None)
    page.goto(f"{url}/screens/{screen}?display={secret}&refresh=2")
    expect(page.locator("body")).to_have_attribute("data-refreshes", "1", timeout=15_000)
    page.wait_for_timeout(600)  # the charts' animation
    return page


def assert_drawn(page: Page, *chart_ids: str) -> None:
    for chart_id in chart_ids:
        colours = page.evaluate(COLOURS_JS, chart_id)
        assert colours >= 3, f"{chart_id}: only {colours} colours drawn"


def refreshed_after(page: Page, count: int) -> None:
    page.wait_for_function(
        "n => Number(document.body.dataset.refreshes) > n", arg=count, timeout=15_000
    )


def test_the_discovery_screen_draws_channels_trends_and_the_map_and_refreshes_in_place(
    live_server: LiveServer, display: str, open_page: Callable[..., Page], shot: Shot
) -> None:
    page = open_screen(open_page, live_server.url, "discovery", display, FULL_HD)
    expect(page.locator("#screen-title")).to_have_text("问题发现")
    expect(page.locator("nav")).to_have_count(0)
    assert_drawn(page, "chart-today", "chart-month", "chart-trend")
    assert int(page.locator("#screen-map").get_attribute("data-points") or 0) >= 60
    expect(page.locator("#screen-grid")).not_to_contain_text("grid_worker")
    marker = page.evaluate("window.erScreen.loadedAt")
    before = int(page.locator("#kpi-today").inner_text())
    shot(page, "discovery-1920")
    with live_server.container.reading() as session:
        lon, lat = session.execute(
            select(Enterprise.longitude, Enterprise.latitude).offset(200).limit(1)
        ).one()
    add_finding(live_server.container, (lon, lat), "public", "odour", 0.2)
    expect(page.locator("#kpi-today")).to_have_text(str(before + 1), timeout=15_000)
    assert page.evaluate("window.erScreen.loadedAt") == marker  # the same page: no reload
    shot(page, "discovery-refreshed")
    page.set_viewport_size(HD)
    page.wait_for_timeout(500)
    assert_drawn(page, "chart-trend")
    shot(page, "discovery-1280")


def test_the_monitoring_screen_draws_devices_alerts_and_stations_and_refreshes_in_place(
    live_server: LiveServer, display: str, open_page: Callable[..., Page], shot: Shot
) -> None:
    page = open_screen(open_page, live_server.url, "monitoring", display, FULL_HD)
    expect(page.locator("#screen-title")).to_have_text("在线监控")
    shot(page, "monitoring-1920")
    assert_drawn(page, "chart-devices", "chart-kinds", "chart-quality")
    for name in STATION_NAMES:  # the sample city's own stations and these three
        expect(page.locator("#list-stations")).to_contain_text(name)
    expect(page.locator("#list-stations")).to_contain_text("PM2.5")
    assert page.locator("#screen-map .wind-arrow").count() >= 3
    assert page.locator("#kpi-online").inner_text() != "0.0%"
    expect(page.locator("#chart-kinds")).to_be_visible()
    expect(page.locator("#list-exceedances li")).to_have_count(4)
    expect(page.locator("#list-exceedances")).to_contain_text("二氧化硫")
    marker = page.evaluate("window.erScreen.loadedAt")
    before = int(page.locator("#kpi-exceedances").inner_text())
    box = live_server.container
    now = box.clock.now()
    with box.transaction() as session:
        point_id = session.scalar(
            select(MonitoringPoint.id)
            .where(MonitoringPoint.outlet_id.is_not(None))
            .order_by(MonitoringPoint.id.desc())
            .limit(1)
        )
        session.add(
            Alert(
                point_id=point_id,
                factor="a21002",
                kind="exceedance",
                start=now,
                end=None,
                severity="high",
                evidence={"rule": "exceedance"},
                raised_at=now,
                updated_at=now,
            )
        )
    expect(page.locator("#kpi-exceedances")).to_have_text(str(before + 1), timeout=15_000)
    assert page.evaluate("window.erScreen.loadedAt") == marker
    shot(page, "monitoring-refreshed")
    page.set_viewport_size(HD)
    page.wait_for_timeout(500)
    shot(page, "monitoring-1280")


def test_the_closure_screen_draws_codes_tasks_reminders_and_handling_and_refreshes_in_place(
    live_server: LiveServer, display: str, open_page: Callable[..., Page], shot: Shot
) -> None:
    page = open_screen(open_page, live_server.url, "closure", display, FULL_HD)
    expect(page.locator("#screen-title")).to_have_text("企业与闭环")
    assert_drawn(page, "chart-colours", "chart-handling")
    expect(page.locator("#list-risk li").first).to_contain_text("红")
    expect(page.locator("#list-overdue li")).to_have_count(3)
    marker = page.evaluate("window.erScreen.loadedAt")
    count = int(page.locator("body").get_attribute("data-refreshes") or 0)
    shot(page, "closure-1920")
    with live_server.container.transaction() as session:
        target = session.scalar(
            select(Problem.id)
            .where(Problem.overdue_since.is_(None), Problem.state != "closed")
            .limit(1)
        )
        session.execute(
            update(Problem)
            .where(Problem.id == target)
            .values(overdue_since=live_server.container.clock.now())
        )
    expect(page.locator("#kpi-overdue")).to_have_text("4", timeout=15_000)
    refreshed_after(page, count)
    assert page.evaluate("window.erScreen.loadedAt") == marker
    shot(page, "closure-refreshed")
    page.set_viewport_size(HD)
    page.wait_for_timeout(500)
    shot(page, "closure-1280")


def test_a_revoked_display_shows_a_clear_refusal(
    live_server: LiveServer, open_page: Callable[..., Page], shot: Shot
) -> None:
    box = live_server.container
    with box.transaction() as session:
        city = session.scalar(select(Region.code).where(Region.parent_id.is_(None)))
        issued = tokens.create(
            session=session, by=ADMIN, name="旧屏", region_code=str(city), now=box.clock.now()
        )
        tokens.revoke(session=session, by=ADMIN, token_id=issued.token.id, now=box.clock.now())
    page = open_page(viewport=HD, login=None)
    response = page.goto(f"{live_server.url}/screens/discovery?display={issued.secret}")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("该大屏的访问已被撤销")
    shot(page, "revoked")


def test_an_administrator_makes_a_display_address_opens_it_in_english_and_revokes_it(
    live_server: LiveServer, display: str, open_page: Callable[..., Page], shot: Shot
) -> None:
    admin = open_page()
    admin.goto(f"{live_server.url}/screens")
    expect(admin.locator("h1")).to_have_text("大屏")
    admin.fill("#token-name", "指挥中心东墙")
    admin.locator("#token-form button").click()
    expect(admin.locator("#token-issued")).to_contain_text("指挥中心东墙")
    address = admin.locator('#issued-links code[data-screen="monitoring"]').inner_text()
    assert "display=" in address
    expect(admin.locator("#token-list")).to_contain_text("指挥中心东墙")
    shot(admin, "token-made", full_page=True)

    wall = open_page(viewport=HD, login=None, locale="en-GB")
    wall.goto(address + "&refresh=2")
    expect(wall.locator("body")).to_have_attribute("data-refreshes", "1", timeout=15_000)
    expect(wall.locator("#screen-title")).to_have_text("Online monitoring")
    expect(wall.locator("#chart-kinds")).to_be_visible()
    grid = wall.locator("#screen-grid").inner_text()
    for code in ("offline", "exceedance", "a21026", "grid_worker", "near_limit"):
        assert code not in grid, f"raw code {code!r} on the English screen"
    shot(wall, "english-screen")

    wall.close()  # before the revocation: its next fetch would be refused (a 403 by design)

    row = admin.locator("#token-list tr", has_text="指挥中心东墙")
    row.locator("button").click()
    expect(admin.locator("#token-done")).to_be_visible()
    expect(admin.locator("#token-list tr", has_text="指挥中心东墙")).to_contain_text("已于")
    shot(admin, "token-revoked", full_page=True)
    again = open_page(viewport=HD, login=None, locale="en-GB")
    response = again.goto(address)
    assert response is not None and response.status == 403
    expect(again.locator("h1")).to_have_text("This display's access was revoked")
    shot(again, "english-revoked")
