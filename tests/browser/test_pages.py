"""The pages in a real browser: overview, registry search and paging, detail, map, language,
and a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, LiveServer

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
ROWS = "#registry-rows tr"


def mark_document(page: Page) -> None:
    """Tag the current document, to tell an in-place update from a full page load."""
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_overview_shows_the_figures(page: Page, live_server: LiveServer, shot: Shot) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_title(re.compile("概览"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#stat-enterprises .stat-value")).to_have_text(
        f"{live_server.enterprises:,}"
    )
    expect(page.locator("#levels tbody tr")).to_have_count(4)
    expect(page.locator(".mainnav a.active")).to_have_text("概览")
    shot(page, "overview", full_page=True)

    page.locator(".link-card", has_text="企业名录").click()
    expect(page).to_have_url(live_server.url + "/registry")
    expect(page.locator(ROWS)).to_have_count(25)


def test_typing_in_the_registry_search_updates_the_table_in_place_and_pages(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    page.goto(live_server.url + "/registry")
    expect(page.locator(ROWS)).to_have_count(25)
    expect(page.locator(".pager-link.current")).to_have_text("1")
    shot(page, "registry", full_page=True)
    mark_document(page)

    with page.expect_response(lambda r: "/registry/rows" in r.url and "q=" in r.url):
        page.locator("#registry-q").press_sequentially("化工")
    expect(page.locator("#result-count")).to_contain_text("化工")
    names = page.locator(f"{ROWS} td.cell-name").all_inner_texts()
    assert names and all("化工" in name for name in names)
    assert same_document(page), "the search reloaded the page"
    expect(page).to_have_url(re.compile(r"/registry\?q=%E5%8C%96%E5%B7%A5$"))
    shot(page, "searched")

    with page.expect_response(lambda r: "/registry/rows" in r.url):
        page.locator("#registry-q").fill("")
    expect(page.locator(ROWS)).to_have_count(25)
    first_page = page.locator(f"{ROWS} td.cell-name").all_inner_texts()
    with page.expect_response(lambda r: "/registry/rows" in r.url and "page=2" in r.url):
        page.locator(".pager a[rel=next]").click()
    expect(page.locator(".pager-link.current")).to_have_text("2")
    expect(page.locator(ROWS)).to_have_count(25)
    second_page = page.locator(f"{ROWS} td.cell-name").all_inner_texts()
    assert set(first_page).isdisjoint(second_page)
    assert same_document(page), "paging reloaded the page"
    expect(page).to_have_url(re.compile(r"/registry\?page=2$"))
    shot(page, "page-2", full_page=True)


def test_the_registry_search_works_without_javascript(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    page = open_page(java_script_enabled=False)
    page.goto(live_server.url + "/registry")
    page.locator("#registry-q").fill("制药")
    page.locator("form.search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/registry\?q="))
    expect(page.locator("#result-count")).to_contain_text("制药")
    names = page.locator(f"{ROWS} td.cell-name").all_inner_texts()
    assert names and all("制药" in name for name in names)
    shot(page, "searched-without-js")


def test_an_enterprise_opens_from_the_registry_with_its_position_on_a_map(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    page.goto(live_server.url + "/registry?q=" + "热电")
    link = page.locator(f"{ROWS} td.cell-name a").first
    name = link.inner_text()
    link.click()
    expect(page).to_have_url(re.compile(r"/registry/\w{18}$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#enterprise-map")).to_have_attribute("data-ready", "true")
    marker = page.locator("#enterprise-map path.er-marker")
    expect(marker).to_be_visible()
    expect(page.locator("#region-chain li")).to_have_count(4)
    expect(page.locator(".point").first).to_be_visible()
    assert page.locator(".limits tbody tr").count() >= 1
    shot(page, "detail", full_page=True)

    marker.hover()
    expect(page.locator(".leaflet-tooltip", has_text=name)).to_be_visible()
    shot(page, "marker-tooltip")


def test_an_unknown_code_shows_the_not_found_page(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    response = page.goto(live_server.url + "/registry/91330502MA0000000X")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("未找到")
    shot(page, "not-found")


def test_the_map_shows_areas_and_enterprises_and_a_popup_for_a_marker(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    page.goto(live_server.url + "/map")
    region_map = page.locator("#region-map")
    expect(region_map).to_have_attribute("data-ready", "true")
    expect(region_map).to_have_attribute("data-regions", str(live_server.regions))
    expect(page.locator("path.er-line-county")).to_have_count(4)
    assert page.locator("path.er-area-grid").count() > 100
    expect(page.locator("path.er-marker")).to_have_count(live_server.enterprises)
    expect(page.locator(".district-label").first).to_be_visible()
    expect(page.locator(".map-legend")).to_contain_text("区县")
    box = region_map.bounding_box()
    assert box is not None and box["height"] > 700
    shot(page, "map")

    marker = page.locator("path.er-marker").nth(live_server.enterprises // 2)
    marker_box = marker.bounding_box()
    assert marker_box is not None
    page.mouse.click(
        marker_box["x"] + marker_box["width"] / 2, marker_box["y"] + marker_box["height"] / 2
    )
    popup = page.locator(".leaflet-popup")
    expect(popup).to_be_visible()
    expect(popup).to_have_css("opacity", "1")  # faded in
    expect(popup.locator("a.er-popup-link")).to_have_attribute("href", re.compile(r"^/registry/"))
    name = popup.locator(".er-popup-name").inner_text()
    shot(page, "popup")

    popup.locator("a.er-popup-link").click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#enterprise-map")).to_have_attribute("data-ready", "true")
    shot(page, "popup-link-opened")


def test_switching_the_language_to_english_and_back(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    page.goto(live_server.url + "/registry?q=化工")
    expect(page.locator("h1")).to_have_text("企业名录")
    page.locator(".langswitch a", has_text="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/registry\?q=%E5%8C%96%E5%B7%A5$"))
    expect(page.locator("h1")).to_have_text("Enterprise registry")
    expect(page.locator("#registry-q")).to_have_value("化工")
    expect(page.locator("#result-count")).to_contain_text("enterprises match")
    shot(page, "registry-english")

    page.locator(".mainnav a", has_text="Map").click()
    expect(page.locator("#region-map")).to_have_attribute("data-ready", "true")
    expect(page.locator(".map-legend")).to_contain_text("District / county")
    shot(page, "map-english")

    page.locator(".mainnav a", has_text="Overview").click()
    expect(page.locator("h1")).to_have_text("Overview")
    shot(page, "overview-english", full_page=True)

    page.locator(".langswitch a", has_text="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("概览")
    shot(page, "overview-chinese-again")


def test_a_phone_can_use_the_registry_and_the_map(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    page = open_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(live_server.url + "/registry")
    expect(page.locator(ROWS)).to_have_count(25)
    expect(page.locator("#registry-rows tr").first.locator("td.cell-name")).to_be_visible()
    assert no_horizontal_scroll(page), "the registry is wider than a phone"
    expect(page.locator(".pager-status")).to_be_visible()
    shot(page, "registry-phone")

    with page.expect_response(lambda r: "/registry/rows" in r.url and "page=2" in r.url):
        page.locator(".pager a[rel=next]").tap()
    expect(page.locator(".pager-status")).to_contain_text("2")
    shot(page, "registry-phone-page-2")

    page.locator(f"{ROWS} td.cell-name a").first.tap()
    expect(page.locator("#enterprise-map")).to_have_attribute("data-ready", "true")
    assert no_horizontal_scroll(page), "the detail page is wider than a phone"
    shot(page, "detail-phone", full_page=True)
    page.locator(".outlets h2").scroll_into_view_if_needed()
    shot(page, "detail-phone-outlets")

    page.goto(live_server.url + "/map")
    region_map = page.locator("#region-map")
    expect(region_map).to_have_attribute("data-ready", "true")
    box = region_map.bounding_box()
    assert box is not None and box["height"] > 600 and box["width"] == PHONE["width"]
    assert no_horizontal_scroll(page), "the map page is wider than a phone"
    shot(page, "map-phone")
