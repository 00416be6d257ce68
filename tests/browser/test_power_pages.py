"""Power sub-metering in a real browser: an officer finds a metered enterprise on /power, opens
its curves (production above, treatment below, the treatment meter's drop-out as a break in its
line, the episodes shaded and listed with links to their problems), reads it in English and on
a phone; the enterprise's own account is sent to its own page and finds no other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.core.clock import CHINA_TZ
from ecoradar.monitoring.models import Measurement
from ecoradar.power.ingest import Batch, ingest
from ecoradar.power.payload import ReadingIn
from ecoradar.power.service import import_power
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from tests.browser.conftest import PHONE, LiveServer
from tests.conftest import Login, create_login
from tests.factories import write_csv

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


@dataclass(frozen=True)
class Scene:
    code: str
    other: str
    officer: Login
    owner: Login
    day: str


def _curve(meter: str, start: datetime, kws: list[float | None]) -> list[ReadingIn]:
    return [
        ReadingIn(meter, start + timedelta(minutes=i), kw, 1000.0 + i)
        for i, kw in enumerate(kws)
        if kw is not None
    ]


@pytest.fixture(scope="module")
def scene(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    box = live_server.container
    tmp = tmp_path_factory.mktemp("power")
    with box.transaction() as session:
        enterprise, mn, county = session.execute(
            select(Enterprise, MonitoringPoint.mn, Region.code)
            .join(Outlet, Outlet.enterprise_id == Enterprise.id)
            .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
            .join(Region, Enterprise.region_id == Region.id)
            .where(MonitoringPoint.medium == "gas")
            .order_by(Enterprise.code)
        ).first()  # type: ignore[misc]
        code, enterprise_id = enterprise.code, enterprise.id
        other = session.scalar(select(Enterprise.code).where(Enterprise.code != code).limit(1))
        region = session.get(Region, enterprise.region_id)
        assert other is not None and region is not None
        while region.level not in ("county", "city") and region.parent_id is not None:
            region = session.get(Region, region.parent_id)
            assert region is not None
        county = region.code
    units = write_csv(
        tmp / "units.csv",
        ["enterprise_code", "unit_code", "name", "kind", "treats", "serves"],
        [
            [code, "L1", "一号生产线", "production", "", ""],
            [code, "L2", "二号生产线", "production", "", ""],
            [code, "TF1", "废气处理设施", "treatment", "gas", ""],
        ],
    )
    meters = write_csv(
        tmp / "meters.csv",
        [
            "meter_id",
            "enterprise_code",
            "unit_code",
            "rated_kw",
            "running_above",
            "idle_below",
            "interval_s",
            "points",
        ],  # fmt: skip
        [
            ["PWR-L1", code, "L1", "250", "30%", "10%", "60", mn],
            ["PWR-L2", code, "L2", "120", "40", "10", "60", ""],
            ["PWR-TF1", code, "TF1", "90", "30", "12", "60", ""],
        ],
    )
    yesterday = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    start = datetime.combine(yesterday, time(8), tzinfo=CHINA_TZ)
    hours = 10 * 60
    line1 = [180.0 + (i % 17) for i in range(hours)]
    line2 = [0.0] * 120 + [80.0 + (i % 9) for i in range(hours - 120)]
    fan = [55.0 + (i % 5) for i in range(hours)]
    for i in range(150, 200):  # idling 50 minutes while the lines run
        fan[i] = 6.0
    fan_with_gap: list[float | None] = list(fan)
    for i in range(300, 330):  # the fan's meter sends nothing for 30 minutes
        fan_with_gap[i] = None
    with box.transaction() as session:
        import_power(session=session, units=units, meters=meters, now=box.clock.now())
        # the enterprise's gas points send a value a minute; the first is silent 14:00-15:00
        point_ids = session.scalars(
            select(MonitoringPoint.id)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(Outlet.enterprise_id == enterprise_id)
            .order_by(MonitoringPoint.mn)
        ).all()
        for n, point_id in enumerate(point_ids):
            for i in range(hours):
                if n == 0 and 360 <= i < 420:
                    continue
                at = start + timedelta(minutes=i)
                session.add(
                    Measurement(
                        point_id=point_id,
                        factor="a21026",
                        kind="rtd",
                        data_time=at,
                        rtd=12.0,
                        received_at=at,
                    )
                )
    items = _curve("PWR-L1", start, line1) + _curve("PWR-L2", start, line2)
    items += _curve("PWR-TF1", start, fan_with_gap)
    with box.transaction() as session:
        done = ingest(
            session=session,
            settings=box.settings,
            regions=box.regions,
            batches=[Batch("readings", items)],
            source="http",
            now=box.clock.now(),
        )
    assert done.stored == len(items) and done.report.findings >= 1
    officer = create_login(box, "officer", region=county, username="power-officer")
    owner = create_login(box, "enterprise", enterprise=code, username="power-owner")
    return Scene(code, other, officer, owner, yesterday.isoformat())


def test_an_officer_reads_an_enterprises_power_curves_and_episodes(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(live_server.url + "/power")
    row = page.locator(f'#power-enterprises tr[data-enterprise="{scene.code}"]')
    expect(row).to_be_visible()
    expect(page.locator("h1")).to_have_text("用电监控")
    shot(page, "list")
    row.locator("a").click()
    chart = page.locator("#power-chart")
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart).to_have_attribute("data-meters", "3")
    episodes = page.locator("#power-episodes tbody tr[data-rule]")
    expect(episodes.first).to_be_visible()
    idle = page.locator('#power-episodes tr[data-rule="treatment_idle"]')
    expect(idle).to_have_count(1)
    silent = page.locator('#power-episodes tr[data-rule="monitoring_offline"]')
    expect(silent).to_have_count(1)
    expect(silent).to_contain_text("无数据")
    expect(idle).to_contain_text("怠速")
    expect(idle).to_contain_text("50")
    expect(page.locator("#power-meters tr[data-meter]")).to_have_count(3)
    expect(page.locator("#day-input")).to_have_value(scene.day)
    shot(page, "curves", full_page=True)
    href = idle.locator("a").get_attribute("href") or ""
    assert href.startswith("/problems/")
    page.goto(live_server.url + href)
    expect(page.locator("body")).to_contain_text("分表计电")
    shot(page, "problem")

    english = open_page(login=scene.officer)
    english.goto(f"{live_server.url}/lang/en?next=/power/{scene.code}")
    expect(english.locator("#power-chart")).to_have_attribute("data-ready", "true")
    expect(english.locator('#power-episodes tr[data-rule="treatment_idle"]')).to_contain_text(
        "Treatment off or idling while production runs"
    )
    shot(english, "curves-english", full_page=True)

    phone = open_page(viewport=PHONE, login=scene.officer)
    phone.goto(f"{live_server.url}/power/{scene.code}")
    expect(phone.locator("#power-chart")).to_have_attribute("data-ready", "true")
    shot(phone, "curves-phone", full_page=True)


def test_an_enterprise_account_sees_its_own_curves_and_no_other(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.owner)
    page.goto(live_server.url + "/power")
    expect(page).to_have_url(f"{live_server.url}/power/{scene.code}")
    expect(page.locator("#power-chart")).to_have_attribute("data-ready", "true")
    shot(page, "own")
    response = page.goto(f"{live_server.url}/power/{scene.other}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("未找到企业")
    shot(page, "other-not-found")
