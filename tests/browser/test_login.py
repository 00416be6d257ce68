"""Logging in and out in a real browser: the login page, a page behind it, the header, logout,
and a wrong password."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]


def fill_login(page: Page, username: str, password: str) -> None:
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.locator("#login-submit").click()


def test_logging_in_leads_to_the_page_asked_for_and_logging_out_ends_the_session(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    page = open_page(login=None)
    page.goto(live_server.url + "/registry?q=化工")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("#login-title")).to_have_text("登录生态雷达")
    expect(page.locator(".mainnav a", has_text="企业名录")).to_have_count(0)
    shot(page, "login-page")

    fill_login(page, "admin", "not-the-password")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    expect(page.locator("#login-username")).to_have_value("admin")
    shot(page, "wrong-password")

    fill_login(page, "admin", live_server.admin.password)
    expect(page).to_have_url(re.compile(r"/registry\?q=%E5%8C%96%E5%B7%A5$"))
    expect(page.locator("#current-user .user-name")).to_have_text("王管理")
    expect(page.locator("#current-user .user-role")).to_have_text("系统管理员")
    expect(page.locator("#result-count")).to_contain_text("化工")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token and page.locator('input[name="csrf_token"]').get_attribute("value") == token
    shot(page, "registry-logged-in")

    # htmx sends the CSRF header with its requests and the search still works in place
    with page.expect_response(lambda r: "/registry/rows" in r.url) as searched:
        page.locator("#registry-q").fill("")
    assert searched.value.request.headers.get("x-csrf-token") == token

    page.locator("#logout").click()
    expect(page).to_have_url(live_server.url + "/login")
    expect(page.locator("#login-link")).to_have_count(0)
    shot(page, "logged-out")
    page.goto(live_server.url + "/alerts")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Falerts$"))


def test_the_login_page_in_english_on_a_phone(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    page = open_page(
        login=None,
        locale="en-US",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page.goto(live_server.url + "/login")
    expect(page.locator("#login-title")).to_have_text("Log in to EcoRadar")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "login-phone")
    fill_login(page, "admin", live_server.admin.password)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("#current-user .user-role")).to_have_text("Administrator")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "overview-phone")
