"""Big exposure in a real browser: an officer opens a confirmed violation, proposes it for the
public page from the problem page, and cannot approve it alone (four eyes); the administrator
approves it; a visitor without an account finds it on the public page, filters it, opens it,
reads it on a phone, and the Atom feed parses. The reporter's name and phone number and the
officers' names are nowhere in what the public reads."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.web.app import create_app
from tests.browser.conftest import PHONE, LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
REPORTER = "钱多多"
REPORTER_PHONE = "13612345678"
TEXT = "该公司废水总排口化学需氧量超过排放标准 2.3 倍，直接排入附近河道。"


@dataclass(frozen=True)
class Scene:
    officer: Login
    problem: int
    enterprise: str
    county: str


def photo() -> bytes:
    image = Image.new("RGB", (200, 150), (70, 90, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    now = datetime.now(UTC)
    with box.transaction() as session:
        enterprise, grid = session.execute(
            select(Enterprise, Region)
            .join(Region, Enterprise.region_id == Region.id)
            .where(Region.level == "grid")
            .order_by(Enterprise.code.desc())
        ).first()  # type: ignore[misc]
        township = session.get(Region, grid.parent_id)
        assert township is not None and township.parent_id is not None
        county = session.get(Region, township.parent_id)
        assert county is not None
        place = (enterprise.latitude, enterprise.longitude)
        found = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="public",
                category="water",
                lat=place[0],
                lon=place[1],
                observed_at=now - timedelta(hours=3),
                title=f"{enterprise.name}排放黑色废水",
                description=f"厂区排口流出黑色废水。举报人{REPORTER}，电话{REPORTER_PHONE}",
                severity="high",
                enterprise_id=enterprise.id,
                reporter_name=REPORTER,
                reporter_contact=REPORTER_PHONE,
            ),
            now=now - timedelta(hours=2),
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        )
        pid, code, county_code = found.problem.id, enterprise.code, county.code
    officer = create_login(
        box, "officer", region=county_code, username="officer-sun", display_name="孙执法"
    )
    api = TestClient(create_app(box))

    def act(action: str, **body: object) -> None:
        response = api.post(
            f"/api/problems/{pid}/actions/{action}", json=body, headers=officer.headers
        )
        assert response.status_code == 200, response.text

    act("accept")
    act("assign", assignee_id=officer.user_id)
    act("start_verification")
    upload = api.post(
        f"/api/problems/{pid}/attachments",
        files={"file": ("onsite.jpg", photo(), "image/jpeg")},
        data={"purpose": "onsite"},
        headers=officer.headers,
    )
    assert upload.status_code == 201, upload.text
    onsite = {
        "at": datetime.now(UTC).isoformat(),
        "lat": place[0],
        "lon": place[1],
        "photo_ids": [upload.json()["media_id"]],
        "text": "现场核实排口排放黑色废水",
    }
    act("confirm", onsite=onsite)
    return Scene(officer, pid, code, county_code)


def test_a_confirmed_violation_is_proposed_approved_and_read_by_the_public(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    officer = open_page(login=scene.officer)
    officer.goto(f"{live_server.url}/problems/{scene.problem}")
    officer.locator("#propose-exposure").click()
    expect(officer).to_have_url(re.compile(rf"/exposure/propose/{scene.problem}$"))
    officer.locator("textarea[name=text]").fill(f"{TEXT}据{REPORTER}说")
    officer.locator("#propose-form button[type=submit]").click()
    expect(officer.locator("#exposure-error")).to_have_attribute("data-code", "names_person")
    shot(officer, "refused-names-the-reporter")
    officer.locator("textarea[name=text]").fill(TEXT)
    officer.locator("#propose-form button[type=submit]").click()
    expect(officer).to_have_url(re.compile(r"/exposure/\d+\?done=proposed$"))
    expect(officer.locator("#entry-title [data-state]")).to_have_text("待审核")
    expect(officer.locator("#approve-hint")).to_have_attribute("data-code", "same_person")
    expect(officer.locator("#form-approve")).to_have_count(0)
    shot(officer, "proposed", full_page=True)
    entry = int(officer.url.split("/exposure/")[1].split("?")[0])

    admin = open_page()
    admin.goto(f"{live_server.url}/exposure")
    admin.locator(f'#exposure-entries tr[data-entry="{entry}"] a').first.click()
    admin.locator("#form-approve button").click()
    expect(admin.locator("#flash")).to_have_text("已在公开页面发布。")
    expect(admin.locator("#exposure-entry")).to_contain_text(TEXT)
    shot(admin, "published", full_page=True)

    visitor = open_page(login=None)
    visitor.goto(f"{live_server.url}/public/exposure")
    row = visitor.locator(f'#exposure-table tr[data-entry="{entry}"]')
    expect(row).to_contain_text(TEXT)
    expect(row.locator("[data-rectification]")).to_have_text("违法行为已核实，尚未责令整改")
    expect(row).to_contain_text("尚未作出处理决定")
    shot(visitor, "public-list", full_page=True)
    visitor.locator("#filter-region").select_option(scene.county)
    visitor.locator("#filter-category").select_option("air")
    visitor.locator("#exposure-filters button").click()
    expect(visitor.locator("#exposure-table tr[data-entry]")).to_have_count(0)
    visitor.locator("#filter-category").select_option("water")
    visitor.locator("#exposure-filters button").click()
    expect(row).to_have_count(1)
    shot(visitor, "public-filtered")
    row.locator("a").click()
    expect(visitor.locator("#exposure-text")).to_have_text(TEXT)
    shot(visitor, "public-entry", full_page=True)
    feed = visitor.request.get(f"{live_server.url}/public/exposure/feed.atom")
    root = ET.fromstring(feed.body())
    (item,) = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert (item.findtext("{http://www.w3.org/2005/Atom}summary") or "").startswith(TEXT)
    assert item.findtext("{http://www.w3.org/2005/Atom}id", "").endswith(
        f"/public/exposure/{entry}"
    )
    for text in (visitor.content(), feed.text()):
        for secret in (REPORTER, REPORTER_PHONE, "孙执法", "officer-sun", "王管理", "/problems/"):
            assert secret not in text, secret

    phone = open_page(viewport=PHONE, login=None)
    phone.goto(f"{live_server.url}/public/exposure")
    expect(phone.locator(f'#exposure-table tr[data-entry="{entry}"]')).to_contain_text(TEXT)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(phone, "public-phone", full_page=True)
