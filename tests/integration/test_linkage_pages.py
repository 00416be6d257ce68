"""The linkage pages (issue 17, items 2 and 5): a problem's suspects panel and attaching one by
its form, the daily brief of a region and its PDF in both languages, who may see them, and
every string of the linkage templates in both catalogs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.problems.models import Problem
from ecoradar.web.app import create_app
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import create_login, log_in
from tests.factories import uscc
from tests.integration.linkage_support import (
    AT,
    CLUE_LAT,
    CLUE_LON,
    make_problem,
    seed_cluster,
    town,
)

__all__ = ["town"]  # a fixture


def browser(box: Container, role: str, username: str, **scope: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(box))
    started = log_in(client, box, create_login(box, role, username=username, **scope))
    return client, started.csrf_token


def test_the_problem_page_loads_its_suspects_and_an_officer_attaches_one(town: Container) -> None:
    pid = make_problem(town, CLUE_LAT, CLUE_LON, "odour", AT)
    officer, csrf = browser(town, "officer", "officer-a", region="A")
    page = officer.get(f"/problems/{pid}")
    assert f'hx-get="/problems/{pid}/suspects"' in page.text
    panel = officer.get(f"/problems/{pid}/suspects")
    assert panel.status_code == 200
    html = panel.text
    assert html.index(uscc(1)) < html.index(uscc(2))  # the works upwind first
    assert "上风向：当时风从北方吹来（0°），风速 3.2 米/秒" in html
    assert "当时风向：北风（0°），风速 3.2 米/秒。" in html
    assert "许可排放 氨" in html  # ammonia, by its name
    assert re.search(r"[a-z]+_[a-z]+", re.sub(r"<[^>]+>|data-[a-z-]+='[^']*'", "", html)) is None
    done = officer.post(
        f"/problems/{pid}/suspects/attach",
        data={"csrf_token": csrf, "enterprise_code": uscc(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("#suspects")
    with town.reading() as session:
        problem = session.get(Problem, pid)
        assert problem is not None and problem.enterprise_id is not None
    again = officer.get(f"/problems/{pid}/suspects").text
    assert 'id="suspect-attached"' in again
    english = officer.get(f"/problems/{pid}/suspects", headers={"Accept-Language": "en"})
    officer.cookies.set("ecoradar_locale", "en")
    english = officer.get(f"/problems/{pid}/suspects")
    assert "Upwind: the wind came from north (0°) at 3.2 m/s" in english.text


def test_a_grid_worker_sees_suspects_but_cannot_attach_and_others_see_nothing(
    town: Container,
) -> None:
    pid = make_problem(town, CLUE_LAT, CLUE_LON, "odour", AT)
    worker, csrf = browser(town, "grid_worker", "worker-g1", region="G1")
    panel = worker.get(f"/problems/{pid}/suspects")
    assert panel.status_code == 200 and uscc(1) in panel.text
    assert "data-attach" not in panel.text
    refused = worker.post(
        f"/problems/{pid}/suspects/attach",
        data={"csrf_token": csrf, "enterprise_code": uscc(1)},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    with town.reading() as session:
        problem = session.get(Problem, pid)
        assert problem is not None and problem.enterprise_id is None
    stranger, _ = browser(town, "officer", "officer-b", region="B")
    assert stranger.get(f"/problems/{pid}/suspects").status_code == 404
    public = TestClient(create_app(town))
    assert public.get(f"/problems/{pid}/suspects", follow_redirects=False).status_code == 303


def test_the_daily_brief_shows_the_day_by_channel_hotspots_suspects_and_overdue(
    town: Container, tmp_path: Path
) -> None:
    now = town.clock.now()
    seed_cluster(town, now)
    make_problem(town, CLUE_LAT, CLUE_LON, "odour", now)
    from ecoradar.linkage import hotspots

    hotspots.record(town)
    with town.transaction() as session:
        late = session.scalars(select(Problem).order_by(Problem.id)).first()
        assert late is not None
        late.overdue_since = now
    officer, _ = browser(town, "officer", "officer-c", region="C")
    day = now.astimezone().date().isoformat()
    page = officer.get("/brief", params={"day": day})
    assert page.status_code == 200
    html = page.text
    assert 'id="brief-channels"' in html and "网格员" in html
    assert 'id="brief-hotspot-table"' in html
    assert 'id="brief-suspect-table"' in html
    assert 'id="brief-overdue-table"' in html
    assert officer.get("/brief", params={"day": "2999-01-01"}).status_code == 422
    assert officer.get("/brief", params={"region": "B"}).status_code == 200
    pdf = officer.get("/brief.pdf", params={"day": day})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    target = tmp_path / "brief.pdf"
    target.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "每日简报" in text and "各渠道发现情况" in text
    narrow, _ = browser(town, "officer", "officer-a", region="A")
    assert narrow.get("/brief", params={"region": "C"}).status_code == 403
    worker, _ = browser(town, "grid_worker", "worker-g1", region="G1")
    assert worker.get("/brief").status_code == 200  # staff: the brief of their own grid's area


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_linkage_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, (TEMPLATE_DIR / "linkage").glob("*.*"), at_least=51)
