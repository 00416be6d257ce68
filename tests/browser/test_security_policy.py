"""The pages work under the Content-Security-Policy: every page an administrator and a visitor
open, with its charts, maps and Swagger UI, loads without a single violation of the policy (the
browser reports each one as a ``securitypolicyviolation`` event), and a script slipped into a
page does not run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.regions.models import Region
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
STAFF_PAGES = [
    "/",
    "/registry",
    "/monitoring",
    "/alerts",
    "/map",
    "/problems",
    "/selfcheck",
    "/stats",
    "/api/docs",
]
PUBLIC_PAGES = ["/login", "/report", "/track"]


@pytest.fixture(scope="module")
def clue(live_server: LiveServer) -> int:
    """One public report, so the statistics have a chart and the queue a problem."""
    box = live_server.container
    with box.transaction() as session:
        grid = session.scalars(
            select(Region).where(Region.level == "grid").order_by(Region.code)
        ).first()
        assert grid is not None
        index = box.regions.get(session)
        lat, lon = (grid.min_lat + grid.max_lat) / 2, (grid.min_lon + grid.max_lon) / 2
        assert index.smallest(lon, lat) is not None
        receipt = submit_clue(
            session=session,
            settings=box.settings,
            index=index,
            item=ClueIn(
                channel="public",
                category="water",
                lat=lat,
                lon=lon,
                description="河道里有黑色污水排出，散发臭味",
                client="ip:198.51.100.1",
            ),
            now=box.clock.now(),
            actor="public:anonymous",
        )
        return receipt.problem_id


def visit(page: Page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
    page.wait_for_load_state("networkidle")
    violations: list[str] = page.evaluate("window.__violations")
    return violations


def test_every_page_works_without_violating_the_policy(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    clue: int,
    shot: Callable[..., Path],
) -> None:
    page = open_page()
    page.add_init_script(WATCH)
    found: dict[str, list[str]] = {}
    for path in [*STAFF_PAGES, f"/problems/{clue}"]:
        violations = visit(page, live_server.url + path)
        if path == "/stats":
            chart = page.locator("#stats-chart")
            expect(chart).to_have_attribute("data-ready", "true")
            page.mouse.move(*_centre(page, "#stats-chart"))  # the chart's tooltip
            page.wait_for_timeout(300)
            violations = page.evaluate("window.__violations")
            shot(page, "stats-tooltip")
        if path == "/api/docs":
            expect(page.locator(".swagger-ui .title")).to_contain_text("EcoRadar")
            page.locator(".opblock-tag", has_text="auth").first.click()  # tags open on a click
            page.locator(".opblock-summary", has_text="/api/auth/token").first.click()
            violations = page.evaluate("window.__violations")
            shot(page, "api-docs-open")
        if violations:
            found[path] = violations
    visitor = open_page(login=None)
    visitor.add_init_script(WATCH)
    for path in PUBLIC_PAGES:
        violations = visit(visitor, live_server.url + path)
        if violations:
            found[path] = violations
    assert found == {}


def _centre(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_script_slipped_into_a_page_does_not_run(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        page.goto(live_server.url + "/login")
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.__ran = true";
              document.body.appendChild(script);
              const div = document.createElement("div");
              div.innerHTML = '<img src="x" onerror="window.__ran = true">';
              document.body.appendChild(div);
            }"""
        )
        page.wait_for_timeout(300)
        assert page.evaluate("window.__ran === undefined")
        violations = page.evaluate("window.__violations")
        assert any(v.startswith("script-src") for v in violations), violations
    finally:
        context.close()
