"""Inspection draws in a real browser, one journey: an inspector declares a conflict of
interest; an officer picks a township, sees the expected number per colour, draws with a
published seed, opens the draw, records one inspection's findings and another's refusal with a
photo; the inspector finds their own list; a member of the public reads the published draw
(no inspectors' names) in Chinese and in English."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ecoradar.greencode.service import model_for, recompute
from ecoradar.inspections.models import Draw
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from tests.browser.conftest import LiveServer
from tests.conftest import Login, create_login

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
TOWNSHIP = "330502001"
COUNTY = "330502"
SEED = "2026-12-qingxi"


@dataclass(frozen=True)
class Scene:
    chief: Login
    inspectors: tuple[Login, ...]
    conflicted: str
    names: tuple[str, ...]


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    """Three officers (one of the county, two of the township); half of the township's
    enterprises have a green code, the others none yet."""
    box = live_server.container
    with box.transaction() as session:
        township = session.scalar(select(Region).where(Region.code == TOWNSHIP))
        assert township is not None
        below = select(Region.id).where(Region.code.startswith(TOWNSHIP))
        enterprises = list(
            session.scalars(
                select(Enterprise).where(Enterprise.region_id.in_(below)).order_by(Enterprise.code)
            )
        )
        assert len(enterprises) >= 10
        recompute(
            session=session,
            enterprise_ids=[e.id for e in enterprises[::2]],
            now=box.clock.now(),
            model=model_for(box.settings),
        )
        conflicted = enterprises[1].code
    chief = create_login(
        box, "officer", region=COUNTY, username="officer-li", display_name="李执法"
    )
    wu = create_login(box, "officer", region=TOWNSHIP, username="officer-wu", display_name="吴检查")
    zhou = create_login(
        box, "officer", region=TOWNSHIP, username="officer-zhou", display_name="周检查"
    )
    names = ("officer-li", "officer-wu", "officer-zhou", "李执法", "吴检查", "周检查")
    return Scene(chief, (wu, zhou), conflicted, names)


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "refusal.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (150, 60, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_an_officer_draws_inspections_records_results_and_the_public_reads_them(
    open_page: Callable[..., Page],
    live_server: LiveServer,
    scene: Scene,
    shot: Shot,
    tmp_path: Path,
) -> None:
    url = live_server.url
    # 1. an inspector declares a conflict of interest
    zhou = open_page(login=scene.inspectors[1])
    zhou.goto(url + "/inspections/conflicts")
    expect(zhou.locator("h1")).to_have_text("利益冲突回避")
    zhou.locator("#conflict-enterprise").fill(scene.conflicted)
    zhou.locator("#conflict-reason").fill("本人配偶在该企业任环保负责人")
    shot(zhou, "conflict-form")
    zhou.locator("#conflict-submit").click()
    expect(zhou.locator("#flash")).to_have_text("回避申报已登记。")
    expect(zhou.locator("#conflicts-table")).to_contain_text(scene.conflicted)
    shot(zhou, "conflict-declared")

    # 2. the county officer picks the township and sees the expected numbers before drawing
    page = open_page(login=scene.chief)
    page.goto(url + "/inspections")
    expect(page.locator("h1")).to_have_text("双随机抽查")
    page.locator("#draw-region").select_option(TOWNSHIP)
    expect(page.locator("#expected-table tr[data-colour='green']")).to_be_visible()
    assert float(page.locator("#expected-total").inner_text()) > 0
    page.locator("#draw-period").fill("2026-12")
    page.locator("#draw-seed").fill(SEED)
    shot(page, "new-draw", full_page=True)
    page.locator("#draw-submit").click()
    expect(page.locator("#flash")).to_have_text("抽查已完成并公开。")
    expect(page.locator("#draw-seed")).to_have_text(SEED)
    rows = page.locator("#inspections-table tbody tr[data-enterprise]")
    assert rows.count() >= 2
    shot(page, "draw", full_page=True)
    with live_server.container.reading() as session:
        drawn = session.scalars(select(Draw).where(Draw.seed == SEED)).one()
        number = drawn.id
        staffed = [i for i in drawn.inspections if i.state == "assigned"]
        conflicted = [i for i in drawn.inspections if i.enterprise.code == scene.conflicted]
        assert all("officer-zhou" not in [p.username for p in i.inspectors] for i in conflicted)
        first, second = staffed[0].id, staffed[1].id
        mine = [i.id for i in staffed if "officer-wu" in [p.username for p in i.inspectors]]

    # 3. findings of one inspection go into the problem register
    page.goto(f"{url}/inspections/tasks/{first}")
    page.locator("#outcome-findings").check()
    page.locator("#f1-category").select_option("water")
    page.locator("#f1-severity").select_option("high")
    page.locator("#f1-description").fill("雨水排口有黄色污水排出，现场已取样")
    page.locator("#result-text").fill("与企业环保负责人共同检查")
    shot(page, "findings-form", full_page=True)
    page.locator("#result-submit").click()
    expect(page.locator("#flash")).to_have_text("检查结果已登记。")
    expect(page.locator("#task-problems a")).to_have_count(1)
    shot(page, "findings-recorded")

    # 4. another enterprise refused: the refusal needs a photo, then it is a confirmed violation
    page.goto(f"{url}/inspections/tasks/{second}")
    page.locator("#outcome-refused").check()
    page.locator("#result-text").fill("企业门卫拒绝检查人员进入厂区，负责人电话拒接")
    page.locator("#result-submit").click()
    expect(page.locator("#task-error")).to_contain_text("拒绝检查须至少附一张照片。")
    shot(page, "refusal-needs-photo")
    page.locator("#outcome-refused").check()
    page.locator("#result-photos").set_input_files(str(photo_file(tmp_path)))
    page.locator("#result-submit").click()
    expect(page.locator("#flash")).to_have_text("检查结果已登记。")
    expect(page.locator("#task-status")).to_contain_text("拒绝检查")
    shot(page, "refusal-recorded")

    # 5. an inspector's own list
    wu = open_page(login=scene.inspectors[0])
    wu.goto(url + "/inspections")
    expect(wu.locator("#mine-title")).to_have_text("我的待检查任务")
    expect(wu.locator("#mine-list li")).to_have_count(
        len([m for m in mine if m not in (first, second)])
    )
    shot(wu, "my-inspections")

    # 6. the public reads the published draw: results, no inspectors
    public = open_page(login=None)
    public.goto(f"{url}/public/inspections/{number}")
    expect(public.locator("#public-seed")).to_have_text(SEED)
    expect(public.locator("#public-table [data-status='findings']")).to_have_count(1)
    expect(public.locator("#public-table [data-status='refused']")).to_have_count(1)
    text = public.locator("main").inner_text()
    for name in scene.names:
        assert name not in text
    shot(public, "public", full_page=True)
    public.locator(".langswitch a", has_text="English").click()
    expect(public.locator("h1")).to_contain_text("Inspection draw")
    expect(public.locator("#public-table")).to_contain_text("Refused the inspection")
    shot(public, "public-english", full_page=True)
