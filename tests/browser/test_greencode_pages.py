"""The green code in a real browser, one journey: an officer reads an enterprise's code (the
history chart drawn), the list filtered to red, the map filtered by colour; the enterprise, on
its own portal, reads what to do to improve and files a repair application; the officer
approves it; anyone opens the public page from the QR code's address, in Chinese and English.

The scenery is written straight into the database of the sample city: one hour of monitoring
data (so the monitoring windows have an end), flatline alerts on a dozen enterprises (their
codes turn yellow), and for the enterprise of the journey a closed problem with a bypass veto
(closed 40 days ago: the waiting period is over), an open flatline alert, a permit expiring in
ten days, and two months of earlier history rows for the chart. The codes themselves are
computed by ``greencode.service.recompute_all``, as the scheduler would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.auth.service import principal_of
from ecoradar.bootstrap import Container
from ecoradar.detection.models import Alert
from ecoradar.greencode import service
from ecoradar.greencode.models import GreenCode, GreenCodeHistory
from ecoradar.monitoring.models import Measurement
from ecoradar.problems.models import Problem
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
DAY = timedelta(days=1)
SCORER_WORDS = ("problem #", "confirmed", "veto:", "flatline", "alert #", "discharge permit")


@dataclass(frozen=True)
class Journey:
    officer: Login
    company: Login
    code: str
    red: int
    """How many red codes the officer sees."""
    yellow: int


def _point_of(box: Container, enterprise_id: int) -> MonitoringPoint:
    with box.reading() as session:
        point = session.scalar(
            select(MonitoringPoint)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(Outlet.enterprise_id == enterprise_id)
            .order_by(MonitoringPoint.id)
        )
        assert point is not None
        session.expunge(point)
        return point


def _county_of(region: Region) -> Region:
    while region.level not in ("county", "city") and region.parent is not None:
        region = region.parent
    return region


def _hour(point_id: int, now: datetime) -> Measurement:
    """The last hour's value: the point's monitoring windows end there."""
    return Measurement(
        point_id=point_id,
        factor="a21026",
        kind="hour",
        data_time=now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1),
        avg=12.0,
        flag="N",
        received_at=now,
    )


def _alert(point_id: int, kind: str, start: datetime, now: datetime) -> Alert:
    return Alert(
        point_id=point_id,
        factor="a21026",
        kind=kind,
        start=start,
        end=None,
        severity="high",
        evidence={"rule": kind},
        raised_at=now,
        updated_at=now,
    )


def _history(
    enterprise_id: int, at: datetime, colour: str, score: float, kind: str
) -> GreenCodeHistory:
    return GreenCodeHistory(
        enterprise_id=enterprise_id,
        at=at,
        kind=kind,
        colour=colour,
        previous_colour=None if kind == "first" else {"green": "yellow", "yellow": "green"}[colour],
        score=score,
        vetoed=False,
        indicators={},
        vetoes=[],
        reasons=[],
        model_version="2026.1",
        data_as_of=None,
    )


@pytest.fixture(scope="module")
def journey(live_server: LiveServer) -> Journey:
    box = live_server.container
    now = box.clock.now()
    with box.reading() as session:
        enterprises = list(session.scalars(select(Enterprise).order_by(Enterprise.code)))
        main = enterprises[0]
        assert main.region is not None
        county = _county_of(main.region)
        same = [e for e in enterprises[1:] if e.region and _county_of(e.region).id == county.id]
        main_id, code, county_code = main.id, main.code, county.code
        region_id, lat, lon = main.region_id, main.latitude, main.longitude
        yellow_ids = [e.id for e in same[:16]]
    point = _point_of(box, main_id)
    with box.transaction() as session:
        session.add(_hour(point.id, now))
        session.add(_alert(point.id, "flatline", now - timedelta(hours=30), now))
        for enterprise_id in yellow_ids:
            other = session.scalar(
                select(MonitoringPoint.id)
                .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
                .where(Outlet.enterprise_id == enterprise_id)
            )
            if other is None:
                continue  # an enterprise without online monitoring
            session.add(_hour(other, now))
            session.add(_alert(other, "flatline", now - 2 * DAY, now))
            session.add(_alert(other, "repeated_sequence", now - 3 * DAY, now))
            session.add(_alert(other, "zero_value", now - 4 * DAY, now))
        found = session.get(Enterprise, main_id)
        assert found is not None
        found.permit_no = "91330100MA2H00001X001P"
        found.permit_valid_until = (now + 10 * DAY).date()
        confirmed, closed = now - 60 * DAY, now - 40 * DAY
        session.add(
            Problem(
                title="暗管排放",
                description="雨水井旁发现暗管",
                category="water",
                severity="high",
                state="closed",
                channel="inspection",
                lat=lat,
                lon=lon,
                region_id=region_id,
                office_region_id=region_id,
                enterprise_id=main_id,
                reported_at=confirmed - DAY,
                closed_at=closed,
                state_times={"confirmed": confirmed.isoformat(), "closed": closed.isoformat()},
                violation="bypass",
                created_at=confirmed - DAY,
                updated_at=closed,
            )
        )
    report = service.recompute_all(box)
    assert report.computed == live_server.enterprises
    with box.transaction() as session:
        # Two months of history before today's first code, for the chart.
        rows = [_history(main_id, now - 70 * DAY, "green", 91.0, "first")]
        rows += [
            _history(main_id, now - d * DAY, "green", 88.0 - d % 3, "daily")
            for d in range(69, 40, -1)
        ]
        rows += [_history(main_id, now - 40 * DAY, "yellow", 72.0, "colour")]
        rows += [
            _history(main_id, now - d * DAY, "yellow", 70.0 + d % 4, "daily")
            for d in range(39, 1, -1)
        ]
        session.add_all(rows)
        codes = dict(
            session.execute(
                select(GreenCode.enterprise_id, GreenCode.colour).where(
                    GreenCode.enterprise_id.in_([main_id, *yellow_ids])
                )
            ).all()
        )
    assert codes[main_id] == "red"
    officer = create_login(
        box, "officer", username="officer-gc", region=county_code, display_name="李执法"
    )
    company = create_login(
        box, "enterprise", username="company-gc", enterprise=code, display_name="企业环保员"
    )
    with box.reading() as session:
        counts = service.colour_counts(session=session, principal=_principal(box, officer))
    assert counts.get("red") == 1 and counts.get("yellow", 0) >= 3
    return Journey(officer, company, code, counts["red"], counts["yellow"])


def _principal(box: Container, login: Login) -> Principal:
    with box.reading() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        return principal_of(session=session, user=user)


def no_scorer_words(page: Page) -> None:
    text = page.locator("main").inner_text()
    assert [w for w in SCORER_WORDS if w in text] == [], text


def test_from_the_officers_page_to_the_public_page(
    open_page: Callable[..., Page], live_server: LiveServer, journey: Journey, shot: Shot
) -> None:
    url = live_server.url
    officer = open_page(login=journey.officer)

    # 1. The enterprise's code, as an officer sees it.
    officer.goto(f"{url}/greencode/{journey.code}")
    expect(officer.locator("#gc-summary")).to_have_attribute("data-colour", "red")
    expect(officer.locator("#gc-summary .gc-badge")).to_contain_text("红码")
    expect(officer.locator("#gc-vetoes")).to_contain_text("偷排暗管或旁路")
    expect(officer.locator(".gc-indicator")).to_have_count(7)
    chart = officer.locator("#gc-chart")
    expect(chart).to_have_attribute("data-ready", "true")
    assert int(chart.get_attribute("data-changes") or 0) >= 3  # first, to yellow, to red
    expect(officer.locator("#gc-qr svg")).to_be_visible()
    no_scorer_words(officer)
    shot(officer, "officer-code", full_page=True)

    # 2. The list, red only, worst first.
    officer.locator(".mainnav a", has_text="环保码").click()
    expect(officer.locator("h1")).to_have_text("企业环保码")
    officer.locator("#gc-colour").select_option("red")
    officer.locator("#gc-show").click()
    expect(officer).to_have_url(re.compile(r"/greencode\?colour=red&"))
    rows = officer.locator("#gc-table tbody tr")
    expect(rows).to_have_count(journey.red)
    expect(rows.first).to_have_attribute("data-code", journey.code)
    shot(officer, "list-red", full_page=True)

    # 3. The map, filtered to red from the list, then yellow added.
    officer.locator("#gc-map-link").click()
    region_map = officer.locator("#region-map")
    expect(region_map).to_have_attribute("data-greencode", "ready")
    expect(region_map).to_have_attribute("data-gc-shown", str(journey.red))
    filter_box = officer.locator("#gc-map-filter")
    expect(filter_box).to_contain_text("红码")
    filter_box.locator('input[data-colour="yellow"]').check()
    expect(region_map).to_have_attribute("data-gc-shown", str(journey.red + journey.yellow))
    shot(officer, "map-red-and-yellow")

    # 4. The enterprise's own portal: what to do, and a repair application.
    company = open_page(login=journey.company)
    company.goto(f"{url}/")
    expect(company).to_have_url(f"{url}/registry/{journey.code}")
    card = company.locator("#gc-card")
    expect(card).to_have_attribute("data-colour", "red")
    shot(company, "portal-card")
    card.locator("#gc-card-link").click()
    improve = company.locator("#gc-improve")
    expect(improve).to_contain_text("关闭告警")
    expect(improve).to_contain_text("检查分析仪")
    expect(improve).to_contain_text("排污许可证 91330100MA2H00001X001P")
    no_scorer_words(company)
    shot(company, "portal-improve", full_page=True)
    company.locator("#repair-statement").fill("已拆除暗管，雨污分流改造完成，建立巡查台账。")
    company.locator("#repair-submit").click()
    expect(company.locator("#flash")).to_contain_text("已提交")
    expect(company.locator(".gc-repair").first).to_have_attribute("data-state", "pending")
    shot(company, "portal-filed")

    # 5. The officer approves it.
    officer.goto(f"{url}/greencode/{journey.code}")
    decide = officer.locator(".gc-decide").first
    decide.locator("textarea").fill("现场复核：暗管已拆除。")
    decide.locator("button[value=approve]").click()
    expect(officer.locator("#flash")).to_contain_text("已批准")
    expect(officer.locator("#gc-summary")).not_to_have_attribute("data-colour", "red")
    expect(officer.locator(".gc-repair").first).to_have_attribute("data-state", "approved")
    shot(officer, "officer-approved", full_page=True)

    # 6. Anyone, from the QR code's address: Chinese, then English.
    target = officer.locator("#gc-public-link").get_attribute("href")
    assert target is not None and target.endswith(f"/public/greencode/{journey.code}")
    anyone = open_page(login=None)
    anyone.goto(target)
    public = anyone.locator("#gc-public")
    expect(public).not_to_have_attribute("data-colour", "red")
    expect(anyone.locator("#gc-public-reasons")).to_be_visible()
    text = anyone.locator("main").inner_text()
    for internal in ("暗管排放", "雨水井", "李执法", "/ 100", "#", "officer-gc"):
        assert internal not in text, internal
    shot(anyone, "public", full_page=True)
    anyone.locator(".langswitch a", has_text="English").click()
    expect(anyone.locator("html")).to_have_attribute("lang", "en")
    expect(anyone.locator(".gc-public-kicker")).to_have_text("Enterprise environmental green code")
    shot(anyone, "public-english", full_page=True)
