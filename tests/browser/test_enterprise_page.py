"""The enterprise page in a real browser: an officer opens an enterprise of the sample city with
data in every section (seeded by hand: alerts, a problem with its finding and events, code
history, reminders, self-inspection tasks, an inspection, power readings and an episode, a day
of hourly values), goes through the sections (each loads once, the series and power charts
draw), loads more of the timeline; the enterprise's own account sees its own page and no
other enterprise's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.detection.models import Alert
from ecoradar.monitoring.models import Measurement
from ecoradar.power.service import import_power
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from tests.browser.conftest import PHONE, LiveServer
from tests.conftest import Login, create_login
from tests.factories import write_csv
from tests.integration import selfcheck_support
from tests.integration.enterprise_page_support import (
    PROBLEM_TITLE,
    REPORTER_CONTACT,
    REPORTER_NAME,
    seed_entries,
)
from tests.integration.power_support import METERS_HEADER, UNITS_HEADER

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
SECTIONS = ("code", "monitoring", "selfcheck", "problems", "reminders", "inspections", "power")


@dataclass(frozen=True)
class Scene:
    code: str
    name: str
    other: str
    officer: Login
    owner: Login


@pytest.fixture(scope="module")
def scene(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    box = live_server.container
    tmp = tmp_path_factory.mktemp("enterprise")
    with box.reading() as session:
        enterprise, point = session.execute(
            select(Enterprise, MonitoringPoint)
            .join(Outlet, Outlet.enterprise_id == Enterprise.id)
            .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
            .join(PointLimit, PointLimit.point_id == MonitoringPoint.id)
            .where(MonitoringPoint.medium == "gas")
            .order_by(Enterprise.code.desc())
        ).first()  # type: ignore[misc]
        code, name, mn, point_id = enterprise.code, enterprise.name, point.mn, point.id
        factor = session.scalar(
            select(PointLimit.factor)
            .where(PointLimit.point_id == point_id)
            .order_by(PointLimit.factor)
            .limit(1)
        )
        other = session.scalar(select(Enterprise.code).where(Enterprise.code != code).limit(1))
        region = session.get(Region, enterprise.region_id)
        assert region is not None and other is not None and factor is not None
        while region.level not in ("county", "city") and region.parent_id is not None:
            region = session.get(Region, region.parent_id)
            assert region is not None
        county = region.code
        lon, lat = enterprise.longitude, enterprise.latitude
    units = write_csv(
        tmp / "units.csv",
        UNITS_HEADER,
        [
            [code, "L1", "一号生产线", "production", "", ""],
            [code, "TF1", "废气处理设施", "treatment", "gas", "L1"],
        ],
    )
    meters = write_csv(
        tmp / "meters.csv",
        METERS_HEADER,
        [
            ["EP1", code, "L1", "200", "30%", "10%", "60", mn],
            ["ET1", code, "TF1", "100", "30", "10", "60", ""],
        ],
    )
    with box.transaction() as session:
        import_power(session=session, units=units, meters=meters, now=box.clock.now())
    selfcheck_support.load_points(
        box,
        tmp,
        [[code, "CP01", "wastewater_treatment", "污水处理站", lon, lat, "daily"]],
    )
    selfcheck_support.generate(box, box.clock.now().date() + timedelta(days=2))
    seed_entries(box, code, mn, factor)
    now = box.clock.now()
    with box.transaction() as session:  # two days of hourly values, the last ones over the limit
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=48)
        for hour in range(48):
            value = 20.0 + (hour % 6) + (40.0 if hour >= 44 else 0.0)
            when = start + timedelta(hours=hour)
            session.add(
                Measurement(
                    point_id=point_id,
                    factor=factor,
                    kind="hour",
                    data_time=when,
                    avg=value,
                    min=value - 2,
                    max=value + 2,
                    flag="N",
                    received_at=when,
                )
            )
        for day in range(1, 21):  # a closed alert a day before: more than a page of timeline
            began = now - timedelta(days=day, hours=3)
            session.add(
                Alert(
                    point_id=point_id,
                    factor=factor,
                    kind="flatline",
                    start=began,
                    end=began + timedelta(hours=5),
                    severity="medium",
                    evidence={},
                    raised_at=began,
                    updated_at=began,
                )
            )
    return Scene(
        code,
        name,
        other,
        create_login(box, "officer", username="ent-officer", region=county),
        create_login(box, "enterprise", username="ent-owner", enterprise=code),
    )


def open_section(page: Page, name: str) -> None:
    page.locator(f"#tab-{name}").click()
    panel = page.locator(f"section#{name}")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-loaded", "true")


def test_an_officer_goes_through_every_section_and_loads_more_timeline(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(f"{live_server.url}/registry/{scene.code}")
    expect(page.locator("#enterprise-name")).to_have_text(scene.name)
    expect(page.locator("#enterprise-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("section#registry")).to_be_visible()
    expect(page.locator("section#timeline")).to_be_hidden()
    expect(page.locator('[data-stat="alerts"] .ent-stat-n')).to_have_text("1")
    shot(page, "registry")

    open_section(page, "code")
    expect(page.locator("#code-history tbody tr")).to_have_count(2)
    shot(page, "green-code")

    open_section(page, "monitoring")
    chart = page.locator("#series-chart")
    expect(chart).to_have_attribute("data-ready", "true")
    assert int(chart.get_attribute("data-windows") or 0) >= 2  # the seeded alerts, shaded
    expect(page.locator("#series-chart canvas")).to_have_count(1)
    expect(page.locator("#ent-alerts tbody tr")).to_have_count(20)  # the newest 20 of 22
    shot(page, "monitoring", full_page=True)
    other = page.locator("#ent-points a.ent-chart-link").first
    if other.count():  # another point: its chart replaces this one, in place
        mn = other.locator("xpath=ancestor::tr").get_attribute("data-mn") or ""
        other.click()
        expect(page.locator("#chart-title")).to_contain_text(mn)
        expect(page.locator("#series-chart")).not_to_have_attribute("data-ready", "loading")
        assert page.evaluate("window.location.hash") == "#monitoring"
        shot(page, "monitoring-other-point")

    open_section(page, "selfcheck")
    expect(page.locator('[data-figure="done"] .ent-figure-n')).to_have_text("1")
    shot(page, "selfcheck", full_page=True)

    open_section(page, "problems")
    expect(page.locator("#open-problems")).to_contain_text(PROBLEM_TITLE)
    shot(page, "problems")

    open_section(page, "reminders")
    expect(page.locator("#ent-reminders tbody tr")).to_have_count(2)
    open_section(page, "inspections")
    expect(page.locator("#ent-inspections tbody tr")).to_have_count(1)
    shot(page, "inspections")

    open_section(page, "power")
    expect(page.locator("#power-chart")).to_have_attribute("data-ready", "true")
    expect(page.locator("#ent-power-episodes tbody tr")).to_have_count(1)
    shot(page, "power", full_page=True)

    open_section(page, "timeline")
    entries = page.locator("#timeline-list > li.ent-entry")
    expect(entries).to_have_count(25)
    kinds = set(entries.evaluate_all("(nodes) => nodes.map((n) => n.dataset.kind)"))
    assert {"alert", "problem", "code", "reminder", "power", "inspection"} <= kinds
    shot(page, "timeline")
    with page.expect_response(lambda r: "/timeline?cursor=" in r.url):
        page.locator("#timeline-more a").click()
    expect(entries.nth(25)).to_be_attached()
    times = entries.evaluate_all("(nodes) => nodes.map((n) => n.dataset.at)")
    assert times == sorted(times, reverse=True) and len(times) > 25
    expect(page.locator("section#timeline")).not_to_contain_text(REPORTER_NAME)
    expect(page.locator("section#timeline")).not_to_contain_text(REPORTER_CONTACT)
    shot(page, "timeline-more", full_page=True)

    page.locator("#tab-monitoring").click()  # back: loaded once, not again
    expect(page.locator("#series-chart")).to_have_attribute("data-ready", "true")
    assert page.evaluate("window.location.hash") == "#monitoring"


def test_the_enterprise_sees_its_own_page_and_no_other(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.owner, locale="en-US")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/registry/{scene.code}")
    expect(page.locator("#enterprise-name")).to_have_text(scene.name)
    expect(page.locator("#tab-inspections")).to_have_count(0)  # draws are the staff's
    shot(page, "own-page")
    open_section(page, "timeline")
    kinds = page.locator("#timeline-list > li.ent-entry").evaluate_all(
        "(nodes) => nodes.map((n) => n.dataset.kind)"
    )
    assert "inspection" not in kinds and "alert" in kinds
    shot(page, "own-timeline", full_page=True)
    answer = page.goto(f"{live_server.url}/registry/{scene.other}")
    assert answer is not None and answer.status == 404
    shot(page, "other-enterprise-404")


def test_the_page_on_a_phone_keeps_the_tabs_on_one_scrolling_line(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(viewport=PHONE, login=scene.officer)
    page.goto(f"{live_server.url}/registry/{scene.code}#problems")
    expect(page.locator("section#problems")).to_have_attribute("data-loaded", "true")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    shot(page, "phone-problems")
