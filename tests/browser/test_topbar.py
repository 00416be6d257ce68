"""The top bar on a desktop: one row for every role in both languages, the sections opened less
often under "More" (a menu that closes on a click outside it and on Escape)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.registry.models import Enterprise
from tests.browser.conftest import LiveServer
from tests.conftest import create_login

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
            expect(menu_links).to_have_count(2)  # power metering and the API docs
            expect(menu_links.first).to_have_attribute("href", "/power")
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
