"""The top bar on a desktop: one row for every role in both languages, the sections opened less
often under "More" (a menu that closes on a click outside it and on Escape)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.auth import service as accounts
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from tests.browser.conftest import LiveServer
from tests.conftest import USER_PASSWORD, Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


def rows(page: Page) -> int:
    """How many rows the bar's entries take."""
    tops = page.locator(".mainnav > a, .navmore > summary").evaluate_all(
        "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
    )
    return len(set(tops))


def test_the_bar_is_one_row_and_more_holds_the_other_sections(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    box = live_server.container
    with box.reading() as session:
        code = session.scalars(select(Enterprise.code).order_by(Enterprise.code)).first()
    company = create_login(box, "enterprise", username="bar-company", enterprise=code)
    for login, locale in ((live_server.admin, "zh-CN"), (live_server.admin, "en"),
                          (company, "zh-CN"), (company, "en")):  # fmt: skip
        page = open_page(login=login, locale=locale)
        page.goto(live_server.url + "/greencode")
        assert rows(page) == 1, (login.username, locale)
        if login is company:
            menu_links = page.locator(".navmore-menu a")
            expect(menu_links).to_have_count(3)  # reminders, power metering and the API docs
            expect(menu_links.first).to_have_attribute("href", "/reminders")
            expect(page.locator('.mainnav a[href="/inspections"]')).to_have_count(0)
            continue
        menu = page.locator(".navmore")
        draws = menu.locator('a[href="/inspections"]')
        expect(draws).to_be_hidden()
        menu.locator("summary").click()
        expect(draws).to_have_text("双随机抽查" if locale == "zh-CN" else "Inspection draws")
        shot(page, f"more-{locale}")
        page.locator("h1").click()
        expect(draws).to_be_hidden()
        menu.locator("summary").click()
        page.keyboard.press("Escape")
        expect(draws).to_be_hidden()
        menu.locator("summary").click()
        draws.click()
        expect(page).to_have_url(live_server.url + "/inspections")
        expect(page.locator(".navmore")).to_have_class("navmore active")
        expect(page.locator('.navmore a[aria-current="page"]')).to_have_attribute(
            "href", "/inspections"
        )
        shot(page, f"inspections-{locale}")
        assert rows(page) == 1


@pytest.fixture(scope="module")
def everyone(live_server: LiveServer) -> list[Login]:
    """A user of every role: administrator, officer (a county), grid worker (a grid),
    enterprise, supervisor (a county) and a member of the public."""
    box = live_server.container
    with box.reading() as session:
        grid = session.scalars(select(Region).where(Region.level == "grid").order_by(Region.code))
        grid_code = grid.first().code  # type: ignore[union-attr]
        county = session.scalars(
            select(Region.code).where(Region.level == "county").order_by(Region.code)
        ).first()
        company = session.scalars(select(Enterprise.code).order_by(Enterprise.code)).first()
    assert county is not None and company is not None
    with box.transaction() as session:
        deputy = accounts.create_user(
            session=session,
            username="row-deputy",
            role="supervisor",
            password=USER_PASSWORD,
            now=box.clock.now(),
            region=county,
            display_name="王代表",
            supervisor_kind="deputy",
            organisation="人大常委会",
        )
        supervisor = Login(deputy.id, deputy.username, "supervisor", USER_PASSWORD, "")
    return [
        live_server.admin,
        create_login(box, "officer", username="row-officer", region=county, display_name="赵科长"),
        create_login(
            box, "grid_worker", username="row-grid", region=grid_code, display_name="李网格"
        ),
        create_login(box, "enterprise", username="row-company", enterprise=company),
        supervisor,
        create_login(box, "public", username="row-citizen", display_name="张市民"),
    ]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_whole_bar_is_one_row_at_1280_px_for_every_role(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    everyone: list[Login],
    locale: str,
    shot: Shot,
) -> None:
    for login in [*everyone, None]:
        page = open_page(login=login, locale=locale, viewport={"width": 1280, "height": 800})
        page.goto(live_server.url + ("/" if login is not None else "/report"))
        role = login.role if login is not None else "anonymous"
        expect(page.locator(".navtoggle")).to_be_hidden()
        assert rows(page) == 1, (role, locale)
        # Brand, sections, language switch and the user: all on the one row of the bar.
        height = page.locator(".topbar-inner").evaluate("bar => bar.getBoundingClientRect().height")
        assert height <= 60, (role, locale, height)
        shot(page, f"{role}-{locale}")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_on_a_phone_the_sections_fold_behind_a_menu_button(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    everyone: list[Login],
    locale: str,
    shot: Shot,
) -> None:
    officer = everyone[1]
    page = open_page(login=officer, locale=locale, viewport={"width": 375, "height": 760})
    page.goto(live_server.url + "/registry")
    toggle = page.locator(".navtoggle")
    nav = page.locator("#mainnav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("菜单" if locale == "zh-CN" else "Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    shot(page, f"closed-{locale}")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(nav.locator('a[href="/registry"]')).to_have_attribute("aria-current", "page")
    shot(page, f"open-{locale}")
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # From the keyboard: Enter opens the sections, Tab reaches the first of them.
    page.keyboard.press("Enter")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.locator("a").first).to_be_focused()
    shot(page, f"keyboard-{locale}")
    nav.locator('a[href="/alerts"]').click()
    expect(page).to_have_url(live_server.url + "/alerts")
    expect(page.locator("#mainnav")).to_be_hidden()
