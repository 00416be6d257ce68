"""The officers' clue desk in a real browser: a county officer opens the desk from the "More"
menu, sees the clues of their county on the list and the map (not another county's), filters
them, is refused attaching to a problem outside their county (nothing changes), finds a problem
by its number and attaches a clue to it, then opens a clue with the deduplication's
suggestions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.clues.models import Clue
from ecoradar.problems.models import Finding, Problem
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
ROWS = "#desk-rows tr"


@dataclass(frozen=True)
class Scene:
    officer: Login
    near: tuple[int, int]
    """(clue, problem) of the first report of the smell."""
    again: tuple[int, int]
    """(clue, problem) of another report of a smell, on a problem of its own."""
    water: tuple[int, int]
    elsewhere: tuple[int, int]
    """In another county."""
    beside: tuple[int, int]
    """Another account of the black water, 30 m from the first, on a problem of its own."""


def _county(session: Session, region: Region) -> Region:
    while region.level != "county":
        parent = session.get(Region, region.parent_id)
        assert parent is not None
        region = parent
    return region


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    box = live_server.container
    with box.transaction() as session:
        rows = session.execute(
            select(Enterprise, Region)
            .join(Region, Enterprise.region_id == Region.id)
            .order_by(Enterprise.code)
        ).all()
        by_county: dict[str, list[Enterprise]] = {}
        for enterprise, region in rows:
            by_county.setdefault(_county(session, region).code, []).append(enterprise)
        counties = sorted(by_county, key=lambda code: -len(by_county[code]))
        home, away = by_county[counties[0]], by_county[counties[1]]
        index = box.regions.get(session)

        def send(enterprise: Enterprise, n: int, **over: object) -> tuple[int, int]:
            fields: dict[str, object] = {
                "channel": "public",
                "category": "odour",
                "lat": enterprise.latitude + 0.00005 * n,
                "lon": enterprise.longitude,
                "description": f"{enterprise.name}东侧排气口刺鼻臭味",
                "attributes": {"intensity": "4"},
                "client": f"ip:203.0.113.{n}",
            }
            fields.update(over)
            receipt = submit_clue(
                session=session,
                settings=box.settings,
                index=index,
                item=ClueIn(**fields),  # type: ignore[arg-type]
                now=box.clock.now(),
                actor="public:anonymous",
            )
            return receipt.clue_id, receipt.problem_id

        near = send(home[0], 1)
        water = send(
            home[1], 2, category="water", attributes={}, description="雨水排口流出黑色污水"
        )
        # Another enterprise's place, worded otherwise: a problem of its own, which the
        # officer decides is the same smell.
        again = send(home[2], 3, description="闻到很重的臭味，像是化工原料")
        elsewhere = send(away[0], 4)
        # A second account of the black water, sent from elsewhere and then moved 30 m from
        # the first (a problem of its own beside it: what the desk's suggestions are for).
        beside = send(home[3], 5, category="water", attributes={}, description="河里流进黑水")
        place = {"lat": home[1].latitude + 0.00037, "lon": home[1].longitude}
        clue = session.get(Clue, beside[0])
        assert clue is not None
        for row_ in (clue, session.get(Finding, clue.finding_id), session.get(Problem, beside[1])):
            assert row_ is not None
            row_.lat, row_.lon = place["lat"], place["lon"]
        county = counties[0]
    officer = create_login(
        box, "officer", region=county, username="officer-desk", display_name="陈线索"
    )
    return Scene(officer, near, again, water, elsewhere, beside)


def row(page: Page, clue_id: int) -> str:
    return f'{ROWS}[data-id="{clue_id}"]'


def test_an_officer_works_through_the_clue_desk(
    open_page: Callable[..., Page], live_server: LiveServer, scene: Scene, shot: Shot
) -> None:
    page = open_page(login=scene.officer)
    page.goto(live_server.url + "/")
    page.locator(".navmore summary").click()
    page.locator('.navmore-menu a[href="/clues"]').click()
    expect(page.locator("h1")).to_have_text("线索台")
    expect(page.locator(ROWS)).to_have_count(4)
    expect(page.locator(row(page, scene.elsewhere[0]))).to_have_count(0)
    expect(page.locator("#desk-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#desk-map")).to_have_attribute("data-count", "4")
    expect(page.locator("#desk-map path.clue-marker")).to_have_count(4)
    shot(page, "desk", full_page=True)

    page.locator("#filter-category").select_option("water")
    expect(page.locator(ROWS)).to_have_count(2)
    expect(page.locator(row(page, scene.water[0]))).to_have_count(1)
    expect(page.locator("#desk-map")).to_have_attribute("data-count", "2")
    assert "category=water" in page.url
    shot(page, "filtered")
    page.locator("#filter-category").select_option("")
    expect(page.locator(ROWS)).to_have_count(4)

    # Another county's problem: refused, naming it; nothing changed.
    page.locator(f"#select-{scene.again[0]}").check()
    expect(page.locator("#desk-selected-count")).to_have_text("（已选 1 条）")
    page.locator("#bulk-target").fill(str(scene.elsewhere[1]))
    page.locator("#bulk-submit").click()
    expect(page.locator("#action-error")).to_contain_text(
        f"问题 #{scene.elsewhere[1]} 不在您负责处理的问题之中"
    )
    expect(page.locator("#action-error")).to_contain_text("未做任何更改")
    expect(page.locator(f"#select-{scene.again[0]}")).to_be_checked()
    shot(page, "refused", full_page=True)

    # Find the first report's problem by its number and attach the second report to it.
    page.locator("#bulk-target").fill("")
    page.locator("#bulk-find").fill(f"#{scene.near[1]}")
    pick = page.locator(f'.target-pick[data-problem="{scene.near[1]}"]')
    expect(pick).to_be_visible()
    pick.click()
    expect(page.locator("#bulk-target")).to_have_value(str(scene.near[1]))
    shot(page, "target-picked")
    page.locator("#bulk-submit").click()
    expect(page.locator("#flash")).to_contain_text(f"已将 1 条线索并入问题 #{scene.near[1]}")
    expect(
        page.locator(f'{row(page, scene.again[0])}[data-problem="{scene.near[1]}"]')
    ).to_have_count(1)
    shot(page, "attached", full_page=True)

    # The second account of the black water, and what deduplication says about it now.
    page.locator(f"{row(page, scene.beside[0])} a.clue-link").click()
    expect(page.locator("h1")).to_contain_text(f"线索 {scene.beside[0]}")
    expect(page.locator("#clue-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#clue-text")).to_have_text("河里流进黑水")
    suggestion = page.locator(f'#fresh-suggestions li[data-problem="{scene.water[1]}"]')
    expect(suggestion).to_be_visible()
    expect(suggestion.locator(".reason").first).to_be_visible()
    expect(suggestion).to_contain_text("米")  # the distance, in words
    expect(page.locator(f'#fresh-suggestions li[data-problem="{scene.beside[1]}"]')).to_have_count(
        0
    )
    shot(page, "clue", full_page=True)
