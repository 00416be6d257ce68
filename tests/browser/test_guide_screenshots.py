"""The user guides' journeys in a real browser, one per role and language (docs/guide/).

Each journey opens the pages its guide describes, on the sample city with a few public clues
and an alert, and checks what every step shows. Its screenshots (1280x800) go to the test's
screenshot directory; with ``ECORADAR_DOCS_SCREENSHOTS=1`` they go to ``docs/images/<lang>/``
under the names the guides link to, instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import select

from ecoradar.auth import service as accounts
from ecoradar.clues.intake import ClueIn, Upload, submit_clue
from ecoradar.problems.policy import stored_calendar
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.selfcheck.generator import generate_tasks
from ecoradar.selfcheck.schedule import china_date
from ecoradar.simulate.selfcheck_sample import load_sample_points
from tests.browser.conftest import LiveServer
from tests.browser.test_home_pages import _county_of, _subtree
from tests.browser.test_stats_page import _grid_centres
from tests.conftest import USER_PASSWORD, Login, create_login
from tests.integration.problem_support import add_alert, jpeg

pytestmark = pytest.mark.browser

Shot = Callable[..., Path]
GUIDE: ViewportSize = {"width": 1280, "height": 800}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
FOR_DOCS = os.environ.get("ECORADAR_DOCS_SCREENSHOTS", "") == "1"
"""Set: the screenshots are the documentation's (``docs/images/<lang>/<role>-<NN>-<step>.png``)."""
LANGS = {"zh": "zh-CN", "en": "en-US"}
CLUE_TEXTS = ("河道里有黑色污水排出", "工厂烟囱晚上冒黑烟", "路边倾倒大量建筑垃圾")


@dataclass(frozen=True)
class Cast:
    officer: Login
    grid_worker: Login
    company: Login
    deputy: Login
    enterprise_name: str
    county: str


@pytest.fixture(scope="module")
def cast(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Cast:
    """One user per role in one county, three public clues there, an alert of one of its
    enterprises, and every enterprise's sample control points with today's tasks."""
    box = live_server.container
    load_sample_points(box, tmp_path_factory.mktemp("guide-selfcheck"))
    with box.transaction() as session:
        now = box.clock.now()
        generate_tasks(
            session=session, until=china_date(now), now=now, calendar=stored_calendar(session)
        )
    places = _grid_centres(live_server, 8)
    county = _county_of(live_server, *places[0])
    mine = [p for p in places if _county_of(live_server, *p).id == county.id][:3]
    for number, ((lat, lon), text) in enumerate(zip(mine, CLUE_TEXTS, strict=False)):
        with box.transaction() as session:
            submit_clue(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                item=ClueIn(
                    channel="public",
                    category="water",
                    lat=lat,
                    lon=lon,
                    description=text,
                    photos=(Upload("photo.jpg", jpeg(900 + number)),),
                    client=f"ip:198.51.100.{40 + number}",
                ),  # fmt: skip
                now=box.clock.now(),
                actor="public:anonymous",
            )
    with box.transaction() as session:
        grid = box.regions.get(session).smallest(mine[0][1], mine[0][0])
        assert grid is not None
        grid_code = grid.code
        row = session.execute(
            select(MonitoringPoint.mn, Enterprise.code, Enterprise.name)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .join(Enterprise, Outlet.enterprise_id == Enterprise.id)
            .where(Enterprise.region_id.in_(_subtree(session, county.id)))
            .order_by(MonitoringPoint.id)
            .limit(1)
        ).one()
        mn, enterprise_code, enterprise_name = row
        deputy_user = accounts.create_user(
            session=session,
            username="guide-deputy",
            role="supervisor",
            password=USER_PASSWORD,
            now=box.clock.now(),
            region=county.code,
            display_name="王代表",
            supervisor_kind="deputy",
            organisation=f"{county.name}人大常委会",
        )
        deputy = Login(deputy_user.id, deputy_user.username, "supervisor", USER_PASSWORD, "")
    add_alert(box, mn, severity="high")
    return Cast(
        officer=create_login(
            box, "officer", username="guide-officer", region=county.code, display_name="赵科长"
        ),
        grid_worker=create_login(
            box, "grid_worker", username="guide-grid", region=grid_code, display_name="李网格"
        ),
        company=create_login(
            box,
            "enterprise",
            username="guide-company",
            enterprise=enterprise_code,
            display_name="企业环保员",
        ),  # fmt: skip
        deputy=deputy,
        enterprise_name=enterprise_name,
        county=county.code,
    )


@pytest.fixture(params=sorted(LANGS) if FOR_DOCS else ["zh"])
def lang(request: pytest.FixtureRequest) -> str:
    """Both languages when the documentation's screenshots are taken; in the suite Chinese
    only, the default (the English pages have journeys of their own), to keep it short."""
    return str(request.param)


@pytest.fixture
def guide_shot(shot: Shot, lang: str) -> Iterator[Callable[[Page, str, str], Path]]:
    """``guide_shot(page, role, step)``: a 1280x800 screenshot of the step, numbered per role."""
    counts: dict[str, int] = {}

    def take(page: Page, role: str, step: str) -> Path:
        if not FOR_DOCS:
            return shot(page, f"{role}-{step}")
        counts[role] = counts.get(role, 0) + 1
        directory = DOCS_IMAGES / lang
        directory.mkdir(parents=True, exist_ok=True)
        page.wait_for_load_state("networkidle")
        path = directory / f"{role}-{counts[role]}-{step}.png"
        page.screenshot(path=str(path))
        with Image.open(path) as image:  # 256 colours: a third of the size, still sharp
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)
        return path

    yield take


def _page(
    open_page: Callable[..., Page], lang: str, login: Login | None, **options: object
) -> Page:
    return open_page(viewport=GUIDE, locale=LANGS[lang], login=login, **options)


def _nav(page: Page) -> str:
    return page.locator("#mainnav").inner_text()


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def test_the_officers_guide_walks_home_clue_desk_and_problems(
    open_page: Callable[..., Page], live_server: LiveServer, cast: Cast, lang: str, guide_shot: Shot
) -> None:
    page = _page(open_page, lang, cast.officer)
    page.goto(live_server.url + "/")
    nav = _nav(page)
    for label in (
        _t(lang, "概览", "Overview"),
        _t(lang, "报警", "Alerts"),
        _t(lang, "问题", "Problems"),
    ):
        assert label in nav
    expect(page.locator("#current-user")).to_contain_text(
        _t(lang, "生态环境局工作人员", "Bureau officer")
    )
    guide_shot(page, "officer", "home")

    page.goto(live_server.url + "/clues")
    rows = page.locator("main").inner_text()
    assert all(text in rows for text in CLUE_TEXTS)
    guide_shot(page, "officer", "clue-desk")

    page.goto(live_server.url + "/problems")
    expect(page.locator("main")).to_contain_text(CLUE_TEXTS[0])
    guide_shot(page, "officer", "problems")

    page.locator("main a", has_text=CLUE_TEXTS[0]).first.click()
    expect(page).to_have_url(re.compile(r"/problems/\d+$"))
    expect(page.locator("#actions")).to_contain_text(_t(lang, "受理", "Accept"))
    guide_shot(page, "officer", "problem")

    page.goto(live_server.url + "/alerts")
    expect(page.locator("main")).to_contain_text(cast.enterprise_name)
    guide_shot(page, "officer", "alerts")


def test_the_grid_workers_guide_shows_my_grid_and_what_to_verify(
    open_page: Callable[..., Page], live_server: LiveServer, cast: Cast, lang: str, guide_shot: Shot
) -> None:
    page = _page(open_page, lang, cast.grid_worker)
    page.goto(live_server.url + "/grid")
    assert _t(lang, "我的网格", "My grid") in _nav(page)
    expect(page.locator("#current-user")).to_contain_text(_t(lang, "网格员", "Grid worker"))
    guide_shot(page, "grid", "my-grid")

    page.goto(live_server.url + "/problems")
    expect(page.locator("main")).to_contain_text(CLUE_TEXTS[0])
    guide_shot(page, "grid", "problems")


def test_the_enterprises_guide_shows_its_page_alerts_and_self_inspection(
    open_page: Callable[..., Page], live_server: LiveServer, cast: Cast, lang: str, guide_shot: Shot
) -> None:
    page = _page(open_page, lang, cast.company)
    page.goto(live_server.url + "/")
    assert _t(lang, "本企业", "My enterprise") in _nav(page)
    expect(page.locator("main")).to_contain_text(cast.enterprise_name)
    guide_shot(page, "enterprise", "my-enterprise")

    page.goto(live_server.url + "/alerts")
    expect(page.locator("main")).to_contain_text(cast.enterprise_name)
    guide_shot(page, "enterprise", "alerts")

    page.goto(live_server.url + "/selfcheck")
    assert _t(lang, "企业自查", "Self-inspection") in _nav(page)
    assert int(page.locator("#task-count").inner_text()) > 0
    expect(page.locator("#task-list li").first).to_be_visible()
    guide_shot(page, "enterprise", "selfcheck")

    page.locator("#task-list li a").first.click()
    expect(page).to_have_url(re.compile(r"/selfcheck/tasks/\d+$"))
    expect(page.locator("main form")).to_be_visible()
    guide_shot(page, "enterprise", "selfcheck-task")


def test_the_supervisors_guide_raises_a_problem_and_follows_it(
    open_page: Callable[..., Page], live_server: LiveServer, cast: Cast, lang: str, guide_shot: Shot
) -> None:
    page = _page(open_page, lang, cast.deputy)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/supervision")
    expect(page.locator("#supervisor-kind")).to_contain_text(_t(lang, "人大代表", "deputy"))
    guide_shot(page, "supervisor", "home")

    page.locator("#raise-link").click()
    expect(page.locator("#report-map")).to_have_attribute("data-ready", "true")
    assert _t(lang, "提出问题", "Raise a problem") in _nav(page)
    guide_shot(page, "supervisor", "raise")


def test_the_publics_guide_reports_pollution_and_tracks_it(
    open_page: Callable[..., Page], live_server: LiveServer, lang: str, guide_shot: Shot
) -> None:
    with live_server.container.transaction() as session:
        township = session.scalars(
            select(Region).where(Region.level == "township").order_by(Region.code)
        ).first()
        assert township is not None
        here = (
            (township.min_lat + township.max_lat) / 2,
            (township.min_lon + township.max_lon) / 2,
        )
    page = _page(
        open_page, lang, None,
        geolocation={"latitude": here[0], "longitude": here[1], "accuracy": 12},
        permissions=["geolocation"],
    )  # fmt: skip
    page.goto(live_server.url + "/report")
    expect(page.locator("h1")).to_have_text(_t(lang, "举报污染", "Report pollution"))
    expect(page.locator("#report-map")).to_have_attribute("data-ready", "true")
    page.locator('label.category-card[data-category="water"]').click()
    page.locator("#report-description").fill(
        _t(lang, "小河里漂着油污，有死鱼。", "Oil floats on the creek and there are dead fish.")
    )
    page.locator("#use-location").click()
    expect(page.locator("#place-status")).to_contain_text(
        _t(lang, "已获取您的位置", "Your location was found")
    )
    guide_shot(page, "public", "report")

    page.locator("#report-submit").click()
    expect(page.locator("#receipt-title")).to_have_text(
        _t(lang, "感谢您：举报已收到", "Thank you: your report was received")
    )
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    guide_shot(page, "public", "receipt")

    page.goto(live_server.url + f"/track/{code}")
    expect(page.locator("h1")).to_contain_text(code)
    expect(page.locator("#status")).to_contain_text(_t(lang, "已受理登记", "Received"))
    guide_shot(page, "public", "track")


def test_the_administrators_guide_shows_registry_monitoring_and_self_inspection_setup(
    open_page: Callable[..., Page], live_server: LiveServer, lang: str, guide_shot: Shot
) -> None:
    page = _page(open_page, lang, live_server.admin)
    page.goto(live_server.url + "/registry")
    expect(page.locator("#current-user")).to_contain_text(_t(lang, "系统管理员", "Administrator"))
    assert _t(lang, "企业名录", "Registry") in _nav(page)
    guide_shot(page, "admin", "registry")

    page.goto(live_server.url + "/monitoring")
    assert _t(lang, "在线监测", "Monitoring") in _nav(page)
    guide_shot(page, "admin", "monitoring")

    page.goto(live_server.url + "/selfcheck")
    expect(page).to_have_url(live_server.url + "/selfcheck/stats")
    page.locator("#setup-link").click()
    expect(page.locator("h1")).to_have_text(_t(lang, "自查设置", "Self-inspection setup"))
    guide_shot(page, "admin", "selfcheck-setup")
