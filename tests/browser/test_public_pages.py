"""The public's pages in a real browser, on a phone-sized window: a visitor reports a smell with
a photo and a map pin and gets a tracking code; an officer logs in, accepts the report on its
page, and the rest of the handling runs through the service layer up to the closure; the
visitor opens the tracking page, reads the timeline (the bureau acting, nobody named) and
disputes the closure ("still not fixed"), which reopens the problem. An English visitor reports
water pollution with the phone's position and a contact; a pin outside the bureau's areas gets
the plain answer with the form kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from ecoradar.auth.models import User
from ecoradar.auth.service import principal_of
from ecoradar.clues.models import Clue
from ecoradar.clues.tracking import normalize_tracking_code
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems import service as problems
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.workflow import Action, Evidence, OnsiteRecord, Payload
from ecoradar.regions.models import Region
from tests.browser.conftest import PHONE, LiveServer
from tests.conftest import USER_PASSWORD, Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
SMELL = "化工厂东侧每天晚上十点以后有刺鼻的化学品气味，附近居民无法开窗。"
PUBLIC_NOTE = "已联系企业，要求查明异味来源。"
INTERNAL_NOTE = "内部：该企业去年曾被处罚"
STILL_WRONG = "晚上十点以后仍然有刺鼻气味。"


def photo(colour: tuple[int, int, int] = (96, 110, 88)) -> bytes:
    image = Image.new("RGB", (640, 480), colour)
    for x in range(0, 640, 20):
        for y in range(0, 480, 4):
            image.putpixel((x, y), (200, 190, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def officer(live_server: LiveServer) -> Login:
    """An officer of the whole city (who may also be assigned the problem)."""
    with live_server.container.transaction() as session:
        city = session.scalars(select(Region).where(Region.parent_id.is_(None))).first()
        assert city is not None
        code = city.code
    return create_login(
        live_server.container, "officer", region=code, username="officer-sun", display_name="孙执法"
    )


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def log_in(page: Page, live_server: LiveServer, user: Login, next_path: str) -> None:
    page.goto(live_server.url + "/login?next=" + next_path)
    page.locator("#login-username").fill(user.username)
    page.locator("#login-password").fill(USER_PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def problem_of(live_server: LiveServer, code: str) -> tuple[Clue, Finding, Problem]:
    with live_server.container.transaction() as session:
        clue = session.scalar(
            select(Clue).where(Clue.tracking_code == normalize_tracking_code(code))
        )
        assert clue is not None
        finding = session.get(Finding, clue.finding_id)
        assert finding is not None
        problem = session.get(Problem, finding.problem_id)
        assert problem is not None
        for row in (clue, finding, problem):
            session.expunge(row)
        return clue, finding, problem


def handle_to_closure(live_server: LiveServer, officer: Login, problem_id: int) -> None:
    """What follows the acceptance, through the service layer: assigned to the officer, checked
    on site with a photo, rectification ordered and reported, closed, a photo of the result made
    public; a public and an internal note on the way."""
    box = live_server.container
    with box.transaction() as session:
        user = session.get(User, officer.user_id)
        assert user is not None
        principal = principal_of(session=session, user=user)
        policy = load_policy(session=session, settings=box.settings)
        problem = session.get(Problem, problem_id)
        assert problem is not None

        def act(action: Action, payload: Payload) -> None:
            problems.take_action(
                session=session,
                principal=principal,
                problem_id=problem_id,
                action=action,
                payload=payload,
                now=box.clock.now(),
                policy=policy,
            )

        onsite = media.store_upload(
            session=session,
            home=box.settings.home,
            data=photo((60, 70, 90)),
            filename="onsite.jpg",
            now=box.clock.now(),
            uploaded_by=principal.actor,
            limits=MediaLimits.from_settings(box.settings),
        )
        act(Action.ASSIGN, Payload(assignee_id=officer.user_id))
        act(Action.START_VERIFICATION, Payload())
        record = OnsiteRecord(box.clock.now(), problem.lat, problem.lon, (onsite.id,), "现场有异味")
        act(Action.CONFIRM, Payload(onsite=record, internal_note=INTERNAL_NOTE))
        due = box.clock.now() + timedelta(days=7)
        act(
            Action.ORDER_RECTIFICATION,
            Payload(requirement="更换活性炭", rectification_due=due, note=PUBLIC_NOTE),
        )
        act(Action.REPORT_RECTIFIED, Payload(evidence=Evidence("已更换活性炭", (onsite.id,))))
        act(Action.CLOSE, Payload())
        after = media.store_upload(
            session=session,
            home=box.settings.home,
            data=photo((70, 120, 80)),
            filename="after.jpg",
            now=box.clock.now(),
            uploaded_by=principal.actor,
            limits=MediaLimits.from_settings(box.settings),
        )
        problems.attach(
            session=session,
            principal=principal,
            problem_id=problem_id,
            media_id=after.id,
            purpose="rectification",
            public=True,
            now=box.clock.now(),
        )


def test_a_phone_visitor_reports_a_smell_and_disputes_the_closure(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    officer: Login,
    shot: Shot,
) -> None:
    visitor = open_page(
        viewport=PHONE,
        login=None,
        has_touch=True,
        is_mobile=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    visitor.goto(live_server.url + "/report")
    expect(visitor.locator("h1")).to_have_text("举报污染")
    expect(visitor.locator("#report-map")).to_have_attribute("data-ready", "true")
    assert no_horizontal_scroll(visitor)
    shot(visitor, "form")

    visitor.locator('label.category-card[data-category="odour"]').tap()
    expect(visitor.locator("#attributes-odour")).to_be_visible()
    expect(visitor.locator("#attributes-water")).to_be_hidden()
    visitor.locator("#attr-odour-intensity label.chip", has_text="强烈").tap()
    visitor.locator("#attr-odour-smell_type").select_option("chemical")
    visitor.locator("#report-description").fill(SMELL)
    expect(visitor.locator("#description-count")).to_have_text(f"已输入 {len(SMELL)} / 4000 字")
    visitor.locator("#report-photos").set_input_files(
        files=[FilePayload(name="smell.jpg", mimeType="image/jpeg", buffer=photo())]
    )
    expect(visitor.locator("#photo-previews li")).to_have_count(1)
    expect(visitor.locator("#photo-message")).to_have_text("已选照片：1 / 9 张")
    visitor.locator("#step-photos").scroll_into_view_if_needed()
    shot(visitor, "category-and-photo")

    area = visitor.locator("#report-map")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    assert box is not None
    visitor.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(visitor.locator("#place-status")).to_contain_text("已选地点")
    expect(visitor.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    assert visitor.locator("#report-lat").input_value()
    shot(visitor, "pin")

    expect(visitor.locator('input[name="identity"][value="anonymous"]')).to_be_checked()
    expect(visitor.locator("#contact-fields")).to_be_hidden()
    visitor.locator("#privacy-note").scroll_into_view_if_needed()
    assert visitor.locator("#report-submit").bounding_box()["height"] >= 44  # type: ignore[index]
    shot(visitor, "who")
    visitor.locator("#report-submit").tap()

    expect(visitor.locator("#receipt-title")).to_have_text("感谢您：举报已收到")
    code = visitor.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    expect(visitor.locator("#secret-box")).to_be_visible()
    expect(visitor.locator("#secret-warning")).to_contain_text("密钥只显示这一次")
    visitor.locator("#receipt .copy-button").first.tap()
    expect(visitor.locator("#receipt .copy-button").first).to_have_text("已复制")
    assert no_horizontal_scroll(visitor)
    shot(visitor, "receipt", full_page=True)

    clue, finding, problem = problem_of(live_server, code)
    assert clue.channel == "public" and clue.attributes["intensity"] == "4"
    assert finding.reporter_name is None and len(clue.media_ids) == 1
    assert problem.category == "odour" and problem.state == "reported"

    # an officer logs in, finds the report and accepts it on its page
    desk = open_page(login=None)
    log_in(desk, live_server, officer, f"/problems/{problem.id}")
    expect(desk.locator("#problem-description")).to_have_text(SMELL)
    desk.locator("#form-accept button").click()
    expect(desk.locator("#flash")).to_be_visible()
    shot(desk, "officer-accepted")
    handle_to_closure(live_server, officer, problem.id)
    desk.reload()
    expect(desk.locator("#fact-state .badge")).to_have_attribute("data-state", "closed")
    shot(desk, "officer-closed")

    # the visitor follows the code to the tracking page
    visitor.locator("#track-link").tap()
    expect(visitor).to_have_url(live_server.url + f"/track/{code}")
    expect(visitor.locator("#status .pstate")).to_have_text("已办结")
    steps = visitor.locator("#timeline li.ptl-event").evaluate_all(
        "items => items.map(i => i.dataset.action)"
    )
    assert steps == [
        "opened",
        "accept",
        "assign",
        "start_verification",
        "confirm",
        "order_rectification",
        "report_rectified",
        "close",
    ]
    expect(visitor.locator("#note-list")).to_contain_text(PUBLIC_NOTE)
    public_photos = visitor.locator("#photo-list img")
    expect(public_photos).to_have_count(1)  # the officer's public photo, not the reporter's
    public_photos.scroll_into_view_if_needed()
    visitor.wait_for_function(
        "() => { const i = document.querySelector('#photo-list img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=15_000,
    )
    text = visitor.locator("main").inner_text()
    for hidden in ("孙执法", "officer-sun", INTERNAL_NOTE, "更换活性炭"):
        assert hidden not in text, hidden
    assert no_horizontal_scroll(visitor)
    shot(visitor, "tracking-closed", full_page=True)

    visitor.locator("#feedback-choice label.choice-card", has_text="仍未解决").tap()
    visitor.locator("#feedback-text").fill(STILL_WRONG)
    scale = visitor.locator("#satisfaction-choice label.scale-point")
    scale.filter(has=visitor.locator('input[value="2"]')).tap()
    shot(visitor, "dispute", full_page=True)
    visitor.locator("#feedback-submit").tap()
    expect(visitor.locator("#flash")).to_contain_text("问题已重新办理")
    expect(visitor.locator("#status")).to_have_attribute("data-state", "reopened")
    expect(visitor.locator("#timeline li.ptl-event").last).to_contain_text(STILL_WRONG)
    expect(visitor.locator("#feedback-form")).to_have_count(0)
    shot(visitor, "tracking-reopened", full_page=True)
    clue, _, problem = problem_of(live_server, code)
    assert problem.state == "reopened"
    assert clue.feedback == "disputed" and clue.satisfaction == 2


def test_an_english_visitor_reports_water_pollution_with_the_phone_position_and_a_contact(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    with live_server.container.transaction() as session:
        township = session.scalars(
            select(Region).where(Region.level == "township").order_by(Region.code)
        ).first()
        assert township is not None
        here = (
            (township.min_lat + township.max_lat) / 2,
            (township.min_lon + township.max_lon) / 2,
        )
    visitor = open_page(
        viewport=PHONE,
        login=None,
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": here[0], "longitude": here[1], "accuracy": 12},
        permissions=["geolocation"],
    )
    visitor.goto(live_server.url + "/report")
    expect(visitor.locator("h1")).to_have_text("举报污染")
    visitor.locator(".langswitch a", has_text="English").tap()
    expect(visitor.locator("h1")).to_have_text("Report pollution")
    expect(visitor.locator("#report-map")).to_have_attribute("data-ready", "true")

    visitor.locator('label.category-card[data-category="water"]').tap()
    visitor.locator("#attr-water-colour").select_option("black")
    visitor.locator("#attr-water-dead_fish label.chip", has_text="Yes").tap()
    for matter in ("Oil", "Foam"):
        visitor.locator("#attr-water-floating_matter label.chip", has_text=matter).tap()
    visitor.locator("#report-description").fill("Black water pours from a pipe into the canal.")
    shot(visitor, "water")

    visitor.locator("#use-location").tap()
    expect(visitor.locator("#place-status")).to_contain_text("Your location was found")
    assert abs(float(visitor.locator("#report-lat").input_value()) - here[0]) < 1e-5
    shot(visitor, "located")

    visitor.locator("label.choice-card", has_text="Leave my name and contact").tap()
    expect(visitor.locator("#contact-fields")).to_be_visible()
    visitor.locator("#report-name").fill("Li Lei")
    visitor.locator("#report-contact").fill("li.lei@example.org")
    expect(visitor.locator("#privacy-note")).to_contain_text(
        "seen only by the officers handling your report"
    )
    visitor.locator("#privacy-note").scroll_into_view_if_needed()
    shot(visitor, "contact")
    visitor.locator("#report-submit").tap()

    expect(visitor.locator("#receipt-title")).to_have_text("Thank you: your report was received")
    code = visitor.locator("#tracking-code").inner_text().strip()
    assert no_horizontal_scroll(visitor)
    shot(visitor, "receipt", full_page=True)
    clue, finding, _ = problem_of(live_server, code)
    assert clue.attributes == {
        "colour": "black",
        "dead_fish": "yes",
        "floating_matter": ["oil", "foam"],
    }
    assert (finding.reporter_name, finding.reporter_contact) == ("Li Lei", "li.lei@example.org")
    assert not clue.anonymous

    visitor.locator("#track-link").tap()
    expect(visitor.locator("#status-words")).to_have_text(
        "Your report was received. The bureau will decide whether to accept it."
    )
    assert "li.lei@example.org" not in visitor.content()
    shot(visitor, "tracking", full_page=True)


def test_a_pin_outside_the_bureau_gets_a_clear_answer_and_the_form_comes_back(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    visitor = open_page(viewport=PHONE, login=None, has_touch=True, is_mobile=True)
    visitor.goto(live_server.url + "/report")
    visitor.locator('label.category-card[data-category="noise"]').tap()
    visitor.locator("#attr-noise-time_of_day label.chip", has_text="夜间（22时").tap()
    visitor.locator("#report-description").fill("工地夜间施工噪声很大。")
    visitor.locator("#report-photos").set_input_files(
        files=[FilePayload(name="IMG_0001.HEIC", mimeType="image/heic", buffer=b"not a jpeg")]
    )
    expect(visitor.locator("#photo-message")).to_contain_text("IMG_0001.HEIC")
    expect(visitor.locator("#photo-previews li")).to_have_count(0)

    visitor.locator("#report-submit").tap()  # no place yet: the page says so, nothing is sent
    expect(visitor.locator("#place-status")).to_have_text(
        "请在地图上选择地点，或使用您的当前位置。"
    )
    expect(visitor).to_have_url(live_server.url + "/report")

    visitor.locator("details.coords summary").tap()
    visitor.locator("#report-lat").fill("39.900000")
    visitor.locator("#report-lon").fill("116.400000")
    visitor.locator("#report-lon").press("Tab")
    expect(visitor.locator("#report-map")).to_have_attribute("data-ready", "true")
    expect(visitor.locator("#place-status")).to_contain_text("39.900000, 116.400000")
    expect(visitor.locator("#place-status")).to_contain_text("似乎不在本局管辖范围内")
    shot(visitor, "outside-warned")
    visitor.locator("#report-submit").tap()

    error = visitor.locator("#form-error")
    expect(error).to_have_attribute("data-kind", "outside")
    expect(error).to_contain_text("您选择的地点不在本局管辖范围内")
    expect(visitor.locator("#report-description")).to_have_value("工地夜间施工噪声很大。")
    expect(visitor.locator('input[name="category"][value="noise"]')).to_be_checked()
    expect(visitor.locator("#attributes-noise")).to_be_visible()
    expect(visitor.locator("#report-lat")).to_have_value("39.900000")
    expect(visitor.locator("#report-map")).to_have_attribute("data-pinned", "true")
    assert no_horizontal_scroll(visitor)
    shot(visitor, "outside")
    error.locator("a").tap()
    shot(visitor, "outside-map")
