"""A supervisor's journey in a real browser: a county people's congress deputy raises a problem
with the raise form, follows it read-only and asks the bureau a question on its page; an officer
of the county answers from the list of open questions; the deputy sees the answer; the
published figures, in Chinese and in English, name nobody."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import shape
from sqlalchemy import select

from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.regions.models import Region
from tests.browser.conftest import LiveServer
from tests.conftest import USER_PASSWORD, Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
PROBLEM = "人大代表视察：河道排污口夜间偷排黑水"
QUESTION = "请问环保局何时完成查处？处理结果如何？"
ANSWER = "已于本周现场核查，责令企业停产整改，并立案查处。"


@dataclass(frozen=True)
class Scene:
    deputy: Login
    officer: Login
    spot: tuple[float, float]


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    with box.transaction() as session:
        grid = session.scalar(select(Region).where(Region.level == "grid").order_by(Region.code))
        assert grid is not None
        county = grid
        while county.level != "county" and county.parent_id is not None:
            parent = session.get(Region, county.parent_id)
            assert parent is not None
            county = parent
        inside = shape(grid.geometry).representative_point()
        user = accounts.create_user(
            session=session,
            username="deputy-wang",
            role="supervisor",
            password=USER_PASSWORD,
            now=box.clock.now(),
            region=county.code,
            display_name="王代表",
            supervisor_kind="deputy",
            organisation=f"{county.name}人大常委会",
        )
        deputy = Login(user.id, user.username, "supervisor", USER_PASSWORD, "")
        code = county.code
    officer = create_login(
        box, "officer", username="officer-sv", region=code, display_name="赵科长"
    )
    return Scene(deputy, officer, (inside.y, inside.x))


def test_a_deputy_raises_asks_and_reads_the_bureaus_answer(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    deputy = open_page(login=scene.deputy)
    deputy.goto(live_server.url + "/")
    expect(deputy).to_have_url(live_server.url + "/supervision")
    expect(deputy.locator("#supervisor-kind")).to_contain_text("人大代表")
    expect(deputy.locator("#current-user")).to_contain_text("监督员")
    shot(deputy, "home-empty")

    deputy.locator("#raise-link").click()
    expect(deputy.locator("#report-map")).to_have_attribute("data-ready", "true")
    deputy.locator('label.category-card[data-category="water"]').click()
    deputy.locator("#report-description").fill(PROBLEM)
    deputy.locator(".coords summary").click()
    deputy.locator("#report-lat").fill(f"{scene.spot[0]:.6f}")
    deputy.locator("#report-lon").fill(f"{scene.spot[1]:.6f}")
    deputy.locator("#report-lon").dispatch_event("change")
    deputy.locator("#report-address").fill("城东河道排污口")
    shot(deputy, "raise-form", full_page=True)
    deputy.locator("#report-submit").click()
    expect(deputy.locator("#flash")).to_be_visible()
    expect(deputy.locator("#count-raised")).to_have_text("1")
    shot(deputy, "home-raised")

    deputy.locator(".sv-problem-title a").first.click()
    expect(deputy.locator("#supervisor-panel")).to_be_visible()
    expect(deputy.locator("#actions")).to_have_count(0)  # read-only: no workflow actions
    expect(deputy.locator("#show-reporter")).to_have_count(0)
    expect(deputy.locator("#sv-following")).to_contain_text("您提出的问题")
    deputy.locator("#question-text").fill(QUESTION)
    deputy.locator("#ask-button").click()
    expect(deputy.locator("#flash")).to_be_visible()
    expect(deputy.locator('#question-list .sv-question[data-state="open"]')).to_have_count(1)
    shot(deputy, "question-asked", full_page=True)
    problem_url = deputy.url.split("?")[0]

    officer = open_page(login=scene.officer)
    officer.goto(live_server.url + "/supervision/questions")
    expect(officer.locator("#question-list .sv-question")).to_have_count(1)
    expect(officer.locator("#question-list")).to_contain_text("王代表")
    shot(officer, "officer-open-questions")
    officer.locator("#question-list .sv-problem a").click()
    form = officer.locator("form[id^='form-answer-']")
    form.locator("textarea").fill(ANSWER)
    shot(officer, "officer-answers", full_page=True)
    form.locator("button").click()
    expect(officer.locator("#flash")).to_be_visible()
    expect(officer.locator('.sv-question[data-state="answered"]')).to_have_count(1)

    deputy.goto(live_server.url + "/supervision")
    expect(deputy.locator(".sv-answer-text")).to_have_text(ANSWER)
    expect(deputy.locator("#count-answered")).to_have_text("1")
    shot(deputy, "answer-seen", full_page=True)
    deputy.goto(problem_url)
    expect(deputy.locator(".sv-answer-text")).to_have_text(ANSWER)

    staff = open_page(login=scene.officer)
    staff.goto(live_server.url + "/stats/supervision")
    expect(staff.locator("#stat-asked")).to_have_text("1")
    expect(staff.locator("#stat-raised")).to_have_text("1")
    shot(staff, "staff-figures", full_page=True)

    visitor = open_page(login=None)
    visitor.goto(live_server.url + "/report")
    visitor.locator('a[href="/public/supervision"]').first.click()
    expect(visitor.locator("#stat-asked")).to_have_text("1")
    expect(visitor.locator("#stat-on-time")).to_have_text("100.0%")
    body = visitor.locator("main").inner_text()
    for secret in ("王代表", "deputy-wang", "人大常委会", QUESTION, PROBLEM):
        assert secret not in body
    shot(visitor, "public-figures", full_page=True)

    english = open_page(login=None, locale="en-GB")
    english.goto(live_server.url + "/lang/en?next=/public/supervision")
    expect(english.locator("h1")).to_have_text("Supervision of the bureau")
    expect(english.locator('#sv-by-kind tr[data-kind="deputy"] td').first).to_have_text(
        "People's congress deputy"
    )
    shot(english, "public-figures-en", full_page=True)
    with live_server.container.transaction() as session:
        assert session.get(User, scene.deputy.user_id) is not None
