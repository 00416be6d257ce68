"""The problem register in a real browser: an officer logs in, finds the overdue problems in the
queue, accepts one and assigns it to a grid worker; the grid worker logs in on a phone-sized
window, starts verification and confirms it on site with a photo and the device's position; the
officer orders rectification, records the evidence and closes it, and the timeline shows every
step. The enterprise sees its problem only once rectification was ordered, and never the
internal notes nor the reporter's phone number in the text. Refusals (in words, in the page's
language), the on-site time right after a report, the reporter on demand, English and a phone
are checked too.

The live server's sample city gets three problems in one county: two reported twenty days ago
(so past the fifteen-day acceptance deadline, flagged and escalated by the deadline check), one
of them about an enterprise; and one reported today.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.core.clock import CHINA_TZ
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.problems.scheduler import SchedulerReport, check_deadlines
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from tests.browser.conftest import PHONE, LiveServer
from tests.conftest import USER_PASSWORD, Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
ROWS = "#problem-rows tr"
STEPS = [
    "opened",
    "escalated",
    "accept",
    "assign",
    "start_verification",
    "confirm",
    "order_rectification",
    "report_rectified",
    "close",
]


@dataclass(frozen=True)
class Scene:
    officer: Login
    worker: Login
    company: Login
    enterprise: str
    factory: int
    """Overdue, about the enterprise, reported by 张三 (13912345678)."""
    dumping: int
    """Overdue, no enterprise."""
    fresh: int
    """Reported today."""
    position: tuple[float, float]
    """Where the grid worker stands: the enterprise."""


def photo() -> bytes:
    image = Image.new("RGB", (320, 240), (96, 110, 88))
    for x in range(0, 320, 16):
        for y in range(0, 240, 3):
            image.putpixel((x, y), (200, 190, 120))
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
            .order_by(Enterprise.code)
        ).first()  # type: ignore[misc]
        township = session.get(Region, grid.parent_id)
        assert township is not None and township.parent_id is not None
        county = session.get(Region, township.parent_id)
        assert county is not None
        neighbour = session.scalars(
            select(Region).where(Region.parent_id == township.id, Region.id != grid.id)
        ).first()
        assert neighbour is not None
        codes = (enterprise.code, grid.code, county.code)
        place = (enterprise.latitude, enterprise.longitude)
        other = (
            (neighbour.min_lat + neighbour.max_lat) / 2,
            (neighbour.min_lon + neighbour.max_lon) / 2,
        )
        policy = load_policy(session=session, settings=box.settings)
        index = box.regions.get(session)

        def report(at: datetime, where: tuple[float, float], **item: object) -> int:
            found = record_finding(
                session=session,
                index=index,
                item=FindingIn(
                    lat=where[0], lon=where[1], observed_at=at - timedelta(hours=1), **item
                ),  # type: ignore[arg-type]
                now=at,
                actor="system:test",
                policy=policy,
            )
            return found.problem.id

        old = now - timedelta(days=20)
        factory = report(
            old,
            place,
            channel="public",
            category="odour",
            title=f"{enterprise.name}夜间排放刺鼻气味",
            description=(
                "每天晚上十点以后厂区东侧有刺鼻的化学品气味，附近居民无法开窗。"
                "核实请打我电话 139-1234-5678。"
            ),
            severity="high",
            enterprise_id=enterprise.id,
            reporter_name="张三",
            reporter_contact="13912345678",
        )
        dumping = report(
            old + timedelta(hours=3),
            other,
            channel="hotline",
            category="solid_waste",
            title="河道边有人倾倒建筑垃圾",
            description="12369 热线来电：河道东岸有大量建筑垃圾，疑似夜间倾倒。",
        )
        fresh = report(
            now - timedelta(hours=2),
            other,
            channel="grid_worker",
            category="water",
            title="雨水排口有白色泡沫",
            description="巡查发现雨水排口有白色泡沫流出。",
        )
        check_deadlines(session=session, policy=policy, now=now, report=SchedulerReport())
    enterprise_code, grid_code, county_code = codes
    officer = create_login(
        box, "officer", region=county_code, username="officer-li", display_name="李执法"
    )
    worker = create_login(
        box, "grid_worker", region=grid_code, username="worker-zhao", display_name="赵网格"
    )
    company = create_login(box, "enterprise", enterprise=enterprise_code, username="factory")
    return Scene(officer, worker, company, enterprise_code, factory, dumping, fresh, place)


def log_in(page: Page, live_server: LiveServer, user: Login, next_path: str) -> None:
    page.goto(live_server.url + "/login?next=" + next_path)
    page.locator("#login-username").fill(user.username)
    page.locator("#login-password").fill(USER_PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def event_actions(page: Page) -> list[str]:
    found: list[str] = page.locator("#timeline li.event").evaluate_all(
        "items => items.map(i => i.dataset.action)"
    )
    return found


def flash(page: Page) -> str:
    return page.locator("#flash").inner_text()


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_problem_is_handled_from_the_overdue_queue_to_its_closure(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    officer = open_page(login=None)
    log_in(officer, live_server, scene.officer, "/problems")
    expect(officer.locator(".mainnav a.active")).to_have_text("问题")
    expect(officer.locator(ROWS)).to_have_count(3)
    overdue_rows = officer.locator(f"{ROWS}.is-overdue")
    expect(overdue_rows).to_have_count(2)
    expect(
        officer.locator(f'{ROWS}[data-id="{scene.factory}"] .cell-due .overdue-badge')
    ).to_have_text("已超期")
    expect(
        officer.locator(f'{ROWS}[data-id="{scene.factory}"] .cell-due .escalation-badge')
    ).to_contain_text("已升级")
    shot(officer, "queue", full_page=True)

    with officer.expect_response(lambda r: "/problems/rows" in r.url and "overdue=1" in r.url):
        officer.locator("#filter-overdue").check()
    expect(officer.locator(ROWS)).to_have_count(2)
    expect(officer).to_have_url(re.compile(r"/problems\?overdue=1$"))
    shot(officer, "queue-overdue")

    officer.locator(f'{ROWS}[data-id="{scene.factory}"] .problem-link').click()
    expect(officer).to_have_url(re.compile(rf"/problems/{scene.factory}$"))
    expect(officer.locator("#problem-title .state")).to_have_text("待受理")
    expect(officer.locator("#problem-deadline")).to_contain_text("受理期限")
    expect(officer.locator("#overdue-days")).to_contain_text("已超期")
    expect(officer.locator("#problem-map")).to_have_attribute("data-ready", "true")
    expect(officer.locator("#problem-map path.er-area")).to_have_count(1)
    assert "13912345678" not in officer.content()
    expect(officer.locator("#problem-description")).to_contain_text("139-1234-5678")
    shot(officer, "problem-reported", full_page=True)

    officer.locator("#show-reporter").click()
    expect(officer.locator("#reporter-list")).to_contain_text("13912345678")
    expect(officer.locator("#reporter-list")).to_contain_text("张三")
    shot(officer, "reporter-shown")

    officer.locator("#form-accept button").click()
    expect(officer.locator("#flash")).to_have_text("已受理该问题。")
    expect(officer.locator("#problem-title .state")).to_have_text("已受理")
    officer.locator("#action-assign summary").click()
    officer.locator("#form-assign select").select_option(str(scene.worker.user_id))
    shot(officer, "assigning")
    officer.locator("#form-assign button").click()
    expect(officer.locator("#flash")).to_have_text("已派遣。")
    expect(officer.locator("#fact-assignee")).to_have_text("赵网格")
    officer.locator("#action-note summary").click()
    officer.locator("#form-note textarea").fill("内部：该企业去年曾因废气超标被处罚。")
    officer.locator("#form-note button").click()
    expect(officer.locator("#flash")).to_have_text("已添加备注。")
    expect(officer.locator("#note-list .is-internal")).to_contain_text("去年曾因废气超标")
    shot(officer, "assigned", full_page=True)

    company = open_page(login=scene.company)
    company.goto(live_server.url + "/problems")
    expect(company.locator("#problem-empty")).to_be_visible()
    response = company.goto(live_server.url + f"/problems/{scene.factory}")
    assert response is not None and response.status == 404
    shot(company, "enterprise-not-yet")

    lat, lon = scene.position
    worker = open_page(
        login=None,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        permissions=["geolocation"],
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 12},
    )
    log_in(worker, live_server, scene.worker, f"/problems/{scene.factory}")
    expect(worker.locator("#form-start_verification button")).to_have_text("开始核查")
    worker.locator("#form-start_verification button").tap()
    expect(worker.locator("#flash")).to_have_text("已开始核查。")
    worker.locator("#action-onsite summary").tap()
    expect(worker.locator("#onsite-lat")).to_have_value(f"{lat:.6f}")
    expect(worker.locator("#onsite-lon")).to_have_value(f"{lon:.6f}")
    expect(worker.locator("#gps-status")).to_have_text("已使用本设备的定位。")
    worker.locator("#onsite-photos").set_input_files(
        [{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    worker.locator("#form-onsite textarea[name=text]").fill(
        "厂区东侧废气处理设施未运行，现场有明显刺鼻气味。"
    )
    worker.locator("#form-onsite").scroll_into_view_if_needed()
    assert no_horizontal_scroll(worker), "the on-site form is wider than a phone"
    shot(worker, "onsite-form", full_page=True)
    worker.locator("#submit-confirm").tap()
    expect(worker.locator("#flash")).to_have_text("现场核实属实，已记录。")
    expect(worker.locator("#problem-title .state")).to_have_text("已核实")
    expect(worker.locator('#attachment-list .attachment[data-purpose="onsite"] img')).to_have_count(
        1
    )
    shot(worker, "confirmed", full_page=True)

    officer.reload()
    officer.locator("#action-order_rectification summary").click()
    officer.locator("#form-order_rectification textarea").fill(
        "立即修复废气处理设施，十日内完成整改并报送整改材料。"
    )
    due = (datetime.now(CHINA_TZ) + timedelta(days=10)).date()
    officer.locator("#form-order_rectification input[name=due]").fill(due.isoformat())
    officer.locator("#form-order_rectification button").click()
    expect(officer.locator("#flash")).to_have_text("已责令整改。")
    expect(officer.locator("#fact-rectification-due")).to_have_text(f"{due.isoformat()} 23:59")

    company.goto(live_server.url + "/problems")
    expect(company.locator(ROWS)).to_have_count(1)
    expect(company.locator(f"{ROWS} .cell-state")).to_have_text("整改中")
    shot(company, "enterprise-queue")
    company.locator(f"{ROWS} .problem-link").click()
    expect(company.locator("#problem-title .state")).to_have_text("整改中")
    expect(company.locator("#timeline")).to_be_visible()
    assert "去年曾因废气超标" not in company.content()
    assert "13912345678" not in company.content()
    expect(company.locator("#problem-description")).to_contain_text("核实请打我电话 [已隐去]。")
    expect(company.locator("#note-list .is-internal")).to_have_count(0)
    expect(company.locator("#show-reporter")).to_have_count(0)
    expect(company.locator("#action-report_rectified")).to_be_visible()
    shot(company, "enterprise-problem", full_page=True)

    officer.reload()
    officer.locator("#action-report_rectified summary").click()
    officer.locator("#form-report_rectified textarea").fill(
        "复查：废气处理设施已修复运行，气味消除。"
    )
    officer.locator("#rectified-files").set_input_files(
        [{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    officer.locator("#form-report_rectified input[name=document]").fill("清环改〔2026〕17号")
    officer.locator("#form-report_rectified button").click()
    expect(officer.locator("#flash")).to_have_text("已报送整改情况。")
    officer.locator("#form-close button").click()
    expect(officer.locator("#flash")).to_have_text("该问题已办结。")
    expect(officer.locator("#problem-title .state")).to_have_text("已办结")
    assert event_actions(officer) == STEPS
    timeline = officer.locator("#timeline")
    expect(timeline.locator('[data-action="assign"] .event-assignee')).to_have_text("赵网格")
    expect(timeline.locator('[data-action="confirm"] .event-actor')).to_have_text("赵网格")
    expect(timeline.locator('[data-action="confirm"] .event-onsite')).to_contain_text("1 张照片")
    expect(timeline.locator('[data-action="close"] .event-actor')).to_have_text("您")
    expect(timeline.locator('[data-action="close"] .event-states')).to_contain_text("已整改")
    expect(officer.locator("#attachment-list .attachment")).to_have_count(2)
    officer.locator("#attachment-list").scroll_into_view_if_needed()
    officer.wait_for_function(  # loaded or broken, not still on their way (a busy machine)
        "() => [...document.querySelectorAll('#attachment-list img')].every(i => i.complete)"
    )
    loaded = officer.locator("#attachment-list img").evaluate_all(
        "images => images.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded == [True, True], "a thumbnail did not load"
    expect(officer.locator("#actions .action-box[data-action]:not(.extra)")).to_have_count(1)
    expect(officer.locator("#action-reopen summary")).to_have_text("重新办理")
    shot(officer, "closed", full_page=True)


def test_a_refused_action_shows_why_and_keeps_what_was_typed(
    page: Page, live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page.goto(live_server.url + f"/problems/{scene.dumping}")
    page.locator("#action-reject summary").click()
    page.locator("#form-reject textarea").fill("   ")  # passes "required", not the workflow
    page.locator("#form-reject button").click()
    expect(page.locator("#action-error")).to_contain_text("请填写“理由”。")
    expect(page.locator("#action-error")).not_to_contain_text("reason")
    expect(page.locator("#action-reject")).to_have_attribute("open", "")
    expect(page.locator("#problem-title .state")).to_have_text("待受理")
    shot(page, "refused", full_page=True)


def test_the_on_site_check_takes_the_time_the_form_offers_right_after_the_report(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    box = live_server.container
    reported = datetime.now(UTC)
    lat, lon = scene.position
    with box.transaction() as session:
        problem = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="hotline",
                category="noise",
                lat=lat,
                lon=lon,
                observed_at=reported - timedelta(minutes=30),
                title="工地夜间施工噪声",
                description="12369 热线来电：工地夜间施工，噪声扰民。",
            ),
            now=reported,
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        ).problem.id
    officer = open_page(login=scene.officer)
    officer.goto(live_server.url + f"/problems/{problem}")
    officer.locator("#form-accept button").click()
    expect(officer.locator("#flash")).to_have_text("已受理该问题。")
    officer.locator("#action-assign summary").click()
    officer.locator("#form-assign select").select_option(str(scene.worker.user_id))
    officer.locator("#form-assign button").click()
    expect(officer.locator("#fact-assignee")).to_have_text("赵网格")

    worker = open_page(
        login=scene.worker, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    worker.goto(live_server.url + f"/problems/{problem}")
    worker.locator("#form-start_verification button").tap()
    expect(worker.locator("#flash")).to_have_text("已开始核查。")
    worker.locator("#action-onsite summary").tap()
    when = worker.locator("#form-onsite input[name=at]")
    minute = reported.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")
    expect(when).to_have_attribute("min", minute)
    offered = when.input_value()
    assert offered >= minute  # the default is now, never before the report

    def send(at: str) -> None:
        when.fill(at)
        worker.locator("#onsite-lat").fill(f"{lat:.6f}")
        worker.locator("#onsite-lon").fill(f"{lon:.6f}")
        worker.locator("#onsite-photos").set_input_files(
            [{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
        )
        worker.locator("#form-onsite textarea[name=text]").fill("夜间施工属实，现场有打桩机作业。")
        worker.locator("#submit-confirm").tap()

    # A minute before the report, past the browser's own check: the bureau's answer, in words.
    earlier = (reported - timedelta(minutes=1)).astimezone(CHINA_TZ)
    worker.locator("#form-onsite").evaluate("form => { form.noValidate = true; }")
    send(earlier.strftime("%Y-%m-%dT%H:%M"))
    error = worker.locator("#action-error")
    expect(error).to_contain_text("早于问题上报时间")
    expect(error).to_contain_text(earlier.strftime("%Y-%m-%d %H:%M"))
    assert not re.search(r"onsite|before the problem", error.inner_text())
    expect(worker.locator("#action-onsite")).to_have_attribute("open", "")
    shot(worker, "onsite-refused", full_page=True)

    send(offered)  # the time the form offered, in the minute of the report
    expect(worker.locator("#flash")).to_have_text("现场核实属实，已记录。")
    expect(worker.locator("#problem-title .state")).to_have_text("已核实")
    shot(worker, "onsite-confirmed")


def test_the_queue_and_a_problem_read_in_english(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer, locale="en-US", timezone_id="America/New_York")
    page.goto(live_server.url + "/problems")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Problems")
    expect(page.locator(f'{ROWS}[data-id="{scene.fresh}"] .cell-state')).to_have_text("Reported")
    expect(page.locator(f'{ROWS}[data-id="{scene.fresh}"] .cell-channel')).to_have_text(
        "Grid worker"
    )
    labels = page.locator(
        "h1, .lede, .filter-name, .state-chip, #filter-category option, #filter-channel option,"
        " #filter-region option[value=''], .check-field, button, th, .result-count,"
        " .cell-category, .cell-state, .cell-channel, .cell-due .badge, .footer, .mainnav"
    ).all_inner_texts()
    untranslated = [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]
    assert untranslated == [], untranslated
    shot(page, "queue-english", full_page=True)

    page.goto(live_server.url + f"/problems/{scene.dumping}")
    expect(page.locator("#actions-title")).to_have_text("What you can do")
    labels = page.locator(
        "h2, dt, summary, .button, .event-name, .event-meta, .badge, .form-label, .finding-head"
    ).all_inner_texts()
    untranslated = [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]
    assert untranslated == [], untranslated
    shot(page, "problem-english", full_page=True)


def test_a_phone_can_read_the_queue_and_a_problem(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(
        login=scene.officer, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page.goto(live_server.url + "/problems")
    expect(page.locator(ROWS).first).to_be_visible()
    assert no_horizontal_scroll(page), "the queue is wider than a phone"
    shot(page, "queue-phone")
    page.evaluate("document.getElementById('result-count').scrollIntoView()")
    shot(page, "queue-phone-rows")
    page.goto(live_server.url + f"/problems/{scene.dumping}")
    expect(page.locator("#problem-map")).to_have_attribute("data-ready", "true")
    assert no_horizontal_scroll(page), "a problem page is wider than a phone"
    shot(page, "problem-phone", full_page=True)
