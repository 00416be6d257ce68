"""The API documentation page works on a closed network: Swagger UI comes from our own files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_api_documentation_renders_from_local_assets(
    page: Page, live_server: LiveServer, shot: Callable[..., Path]
) -> None:
    page.goto(live_server.url + "/api/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("EcoRadar")
    expect(page.locator(".opblock-tag", has_text="registry")).to_be_visible()
    shot(page, "api-docs")


def test_a_mistyped_address_shows_the_not_found_page(
    page: Page, live_server: LiveServer, shot: Callable[..., Path]
) -> None:
    response = page.goto(live_server.url + "/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator(".notfound h1")).to_have_text("未找到")
    shot(page, "not-found")
