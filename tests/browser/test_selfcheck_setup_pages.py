"""Setting up self-inspection in a real browser: an officer finds an enterprise of their area,
adds a control point (a refused field first), builds a checklist, attaches it to the point,
sets its schedule and opens its printable QR code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.models import ControlPoint
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


@dataclass(frozen=True)
class Scene:
    officer: Login
    enterprise_code: str
    enterprise_name: str


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    with box.reading() as session:
        enterprise = session.scalar(
            select(Enterprise).where(Enterprise.region_id.is_not(None)).order_by(Enterprise.code)
        )
        assert enterprise is not None
        region = session.get(Region, enterprise.region_id)
        assert region is not None
        code, name, region_code = enterprise.code, enterprise.name, region.code
    officer = create_login(box, "officer", username="setup-officer", region=region_code)
    return Scene(officer, code, name)


def test_an_officer_sets_up_a_control_point_from_the_web_app(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(live_server.url + "/selfcheck/stats")
    page.locator("#setup-link").click()
    expect(page.locator("h1")).to_have_text("自查设置")
    page.fill("#enterprise-q", scene.enterprise_code)
    page.locator("#enterprise-search button[type=submit]").click()
    expect(page.locator("#enterprise-list tbody tr")).to_have_count(1)
    shot(page, "enterprises")
    page.locator(f'a[data-enterprise="{scene.enterprise_code}"]').click()
    expect(page.locator("h1")).to_have_text(scene.enterprise_name)

    page.fill("#add-code", "WEB01")
    page.fill("#add-name", "雨水排放口")
    page.select_option("#add-type", "rainwater_outlet")
    page.fill("#add-lon", "200")
    page.locator("#add-submit").click()
    expect(page.locator("#error")).to_contain_text("经度")
    expect(page.locator("#err-longitude")).to_be_visible()
    shot(page, "point-refused", full_page=True)
    page.fill("#add-lon", "120.1234")
    page.fill("#add-lat", "30.2345")
    page.locator("#add-submit").click()
    expect(page.locator("#flash")).to_contain_text("管控点已添加")
    expect(page.locator("h1")).to_contain_text("雨水排放口")
    shot(page, "point-added")

    page.goto(live_server.url + "/selfcheck/setup/checklists")
    shot(page, "checklists")
    page.locator("#new-checklist").click()
    page.fill("#cl-name", "雨水排口巡查")
    page.select_option("#cl-category", "water")
    page.fill('input[name="item-1-label"]', "排口无异常排水")
    page.check('input[name="item-1-must_be_yes"]')
    page.check('input[name="item-1-photo"]')
    page.fill('input[name="item-2-label"]', "排口pH")
    page.select_option('select[name="item-2-kind"]', "number")
    page.fill('input[name="item-2-min"]', "6")
    page.fill('input[name="item-2-max"]', "9")
    shot(page, "checklist-filled", full_page=True)
    page.locator("#checklist-submit").click()
    expect(page.locator("#flash")).to_contain_text("检查表已创建")
    expect(page.locator('input[name="item-1-photo"]')).to_be_checked()
    shot(page, "checklist-created", full_page=True)
    type_code = page.url.rsplit("/", 1)[1].split("?")[0]

    page.goto(f"{live_server.url}/selfcheck/setup/enterprises/{scene.enterprise_code}")
    with live_server.container.reading() as session:
        point = session.scalar(select(ControlPoint).where(ControlPoint.code == "WEB01"))
        assert point is not None
        point_id = point.id
    page.check(f'#point-list tr[data-point="{point_id}"] input[name="point"]')
    page.select_option("#attach-type", type_code)
    page.locator("#attach-submit").click()
    expect(page.locator("#flash")).to_contain_text("已套用")
    expect(page.locator(f'#point-list tr[data-point="{point_id}"]')).to_contain_text("雨水排口巡查")
    shot(page, "checklist-attached", full_page=True)

    page.goto(f"{live_server.url}/selfcheck/setup/points/{point_id}")
    page.select_option("#schedule-kind", "weekly")
    page.select_option("#schedule-weekday", "3")
    page.check('#schedule-form input[name="working_days_only"]')
    page.locator("#schedule-submit").click()
    expect(page.locator("#flash")).to_have_text("已保存。")
    expect(page.locator(".lede")).to_contain_text("每周 周三")
    shot(page, "schedule-set", full_page=True)

    page.locator("#qr-link").click()
    expect(page.locator(".sc-qr svg")).to_have_count(1)
    expect(page.locator(".sc-qr-url")).to_contain_text(f"/selfcheck/points/{point_id}/current")
    svg = page.request.get(live_server.url + str(page.locator("#qr-svg").get_attribute("href")))
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    shot(page, "qr-code", full_page=True)


def test_the_setup_pages_in_english(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer, locale="en-US")
    page.goto(f"{live_server.url}/selfcheck/setup/enterprises/{scene.enterprise_code}")
    expect(page.locator("#add-heading")).to_have_text("Add a control point")
    shot(page, "enterprise-en", full_page=True)
    page.goto(live_server.url + "/selfcheck/setup/checklists/outfall")
    expect(page.locator("#read-only")).to_be_visible()
    shot(page, "builtin-checklist-en", full_page=True)
