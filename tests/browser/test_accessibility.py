"""An axe-core scan of the main pages, as the roles that use them, in both languages: no
violation of impact "serious" or "critical" (colour contrast, names of buttons, links and form
fields, landmarks, ARIA). And the keyboard: the skip link is the first stop and moves the focus
to the content; a focused control shows a visible focus ring.

axe-core comes from npm (package.json); ``scripts/setup.sh --dev`` copies it into
``tests/browser/vendor`` (never served by the app); it is injected into each page by the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.detection.models import Alert
from ecoradar.greencode.service import recompute_all
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import load_policy
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Scene:
    company: Login
    mn: str
    alert: int
    problem: int
    tracking: str


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    """An alert, a problem about an enterprise and a public clue (with its tracking code) in
    the sample city, and the codes computed."""
    box = live_server.container
    now = box.clock.now()
    with box.transaction() as session:
        point, enterprise = session.execute(
            select(MonitoringPoint, Enterprise)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            .order_by(MonitoringPoint.mn)
        ).first()  # type: ignore[misc]
        alert = Alert(
            point_id=point.id,
            factor="",
            kind="time_anomaly",
            start=now - timedelta(hours=3),
            end=None,
            severity="high",
            evidence={"rule": "time_anomaly", "values": []},
            raised_at=now,
            updated_at=now,
        )
        session.add(alert)
        session.flush()
        problem = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel="hotline",
                category="water",
                lat=enterprise.latitude,
                lon=enterprise.longitude,
                observed_at=now - timedelta(hours=1),
                description="厂区东侧排口有黑水排出",
                source_ref="a11y-1",
                enterprise_id=enterprise.id,
            ),
            now=now,
            actor="system:test",
            policy=load_policy(session=session, settings=box.settings),
        ).problem.id
        receipt = submit_clue(
            session=session,
            settings=box.settings,
            index=box.regions.get(session),
            item=ClueIn(
                channel="public",
                category="odour",
                lat=enterprise.latitude + 0.01,
                lon=enterprise.longitude + 0.01,
                description="夜间刺鼻气味",
                attributes={"intensity": "3"},
                client="ip:192.0.2.7",
            ),
            now=now,
            actor="public:anonymous",
        )
        ids = (point.mn, alert.id, problem, receipt.tracking_code, enterprise.code)
    recompute_all(box)
    company = create_login(box, "enterprise", username="a11y-company", enterprise=ids[4])
    return Scene(company, ids[0], ids[1], ids[2], ids[3])


def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe finds on the page as it is now."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh --dev (it copies axe-core there)")
    page.wait_for_load_state("networkidle")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


def describe(where: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{where}:"]
    for v in found:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines += [f"      {node}" for node in v["nodes"]]
    return "\n".join(lines)


def scan(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    shot: Shot,
    login: Login | None,
    paths: list[str],
) -> list[str]:
    failures: list[str] = []
    for locale in ("zh-CN", "en"):
        page = open_page(login=login, locale=locale, bypass_csp=True)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response is not None and response.ok, (path, locale, response)
            found = violations(page)
            if found:
                failures.append(describe(f"{path} ({locale})", found))
            shot(page, f"{path.strip('/').replace('/', '-') or 'home'}-{locale}")
    return failures


def test_the_officers_pages_have_no_serious_accessibility_violation(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    paths = [
        "/",
        "/registry",
        "/monitoring",
        f"/monitoring/{scene.mn}",
        "/alerts",
        f"/alerts/{scene.alert}",
        "/problems",
        f"/problems/{scene.problem}",
        "/clues",
        "/selfcheck",
        "/greencode",
        "/reminders",
        "/stats",
    ]
    failures = scan(open_page, live_server, shot, live_server.admin, paths)
    assert not failures, "\n".join(failures)


def test_the_public_and_enterprise_pages_have_no_serious_accessibility_violation(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    public = ["/report", "/track", f"/track/{scene.tracking}", "/login"]
    failures = scan(open_page, live_server, shot, None, public)
    failures += scan(open_page, live_server, shot, scene.company, ["/", "/selfcheck", "/alerts"])
    assert not failures, "\n".join(failures)


def test_the_skip_link_comes_first_and_moves_the_focus_to_the_content(
    open_page: Callable[..., Page], live_server: LiveServer, shot: Shot
) -> None:
    page = open_page()
    page.goto(live_server.url + "/registry")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/registry#main")
    # The next Tab goes to the first control of the content, not back to the top bar.
    page.keyboard.press("Tab")
    inside = page.evaluate("() => document.querySelector('#main').contains(document.activeElement)")
    assert inside
    ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"
    shot(page, "first-control")
