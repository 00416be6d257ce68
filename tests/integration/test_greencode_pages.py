"""The green code's pages: an enterprise's code for staff in scope and for the enterprise
itself (what to do to improve, the repair application), the list and the map's codes, the
public page (public-safe only), and the strings of the templates in both catalogs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.clues.models import IntakeAttempt
from ecoradar.core.clock import FakeClock
from ecoradar.greencode.model import load_model
from ecoradar.registry.models import Enterprise
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import Login, log_in
from tests.factories import GAS_MN, load_small_registry, uscc
from tests.integration.greencode_support import code_of, hours, settle, write_alert
from tests.integration.problem_support import (
    REPORTER_CONTACT,
    REPORTER_NAME,
    Driver,
    People,
    create_app_for,
    enterprise_id,
    fast_hashing,
    jpeg,
    make_people,
    public_report,
)

_ = fast_hashing
WAIT = load_model().repair_waiting_days
EN = {"Accept-Language": "en-US,en;q=0.9"}
ONE, TWO = uscc(1), uscc(2)


@dataclass
class Scene:
    people: People
    drive: Driver
    client: TestClient
    problem: int
    media: int
    alert: int


@pytest.fixture
def scene(container: Container, tmp_path: Path) -> Scene:
    """Enterprise 1: a confirmed bypass (red, vetoed), an open flatline alert on SO2, a permit
    expiring in ten days; enterprise 2 scored too (officer A's region holds both)."""
    load_small_registry(container, tmp_path)
    people = make_people(container)
    client = TestClient(create_app_for(container), follow_redirects=False)
    drive = Driver(client, container, people.officer_a.headers)
    now = container.clock.now()
    hours(container, GAS_MN, until=now, count=72)
    alert = write_alert(container, GAS_MN, kind="flatline", start=now - timedelta(hours=30))
    with container.transaction() as session:
        session.execute(
            update(Enterprise)
            .where(Enterprise.code == ONE)
            .values(
                permit_no="91330502MA2B00001X001P",
                permit_valid_until=(now + timedelta(days=10)).date(),
            )
        )
    pid = public_report(
        container, reporter_user_id=people.reporter.user_id, enterprise=enterprise_id(container, 1)
    )
    media = drive.to_confirmed(pid, people.officer_a.user_id, jpeg(11))
    client.post(
        f"/api/problems/{pid}/violation",
        json={"violation": "bypass"},
        headers=people.officer_a.headers,
    ).raise_for_status()
    settle(container)
    code = code_of(container, 1)
    assert code is not None and code.colour == "red"
    return Scene(people, drive, client, pid, media, alert)


def page(scene: Scene, who: Login, path: str, **kwargs: Any) -> httpx.Response:
    """``path`` as ``who`` sees it (a browser session of theirs)."""
    scene.client.cookies.clear()
    log_in(scene.client, scene.drive.box, who)
    response: httpx.Response = scene.client.get(path, **kwargs)
    return response


def visible_text(html: str) -> str:
    """The page's text without tags, scripts and attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<svg\b.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


SCORER_WORDS = ("problem #", "confirmed", "veto:", "flatline", "alert #", "discharge permit")
"""Words of the scorer's English sentences: none may reach a Chinese page."""


def test_an_officer_in_scope_sees_the_code_its_indicators_events_and_history(
    scene: Scene,
) -> None:
    response = page(scene, scene.people.officer_a, f"/greencode/{ONE}")
    assert response.status_code == 200
    html = response.text
    assert 'id="gc-summary" data-colour="red"' in html
    assert "红码" in html and "偷排暗管或旁路" in html  # badge text and the veto's rule
    assert html.count('class="card gc-indicator') == 7
    assert "数据恒值" in html and "二氧化硫" in html  # the flatline alert, translated
    assert f'href="/alerts/{scene.alert}"' in html
    assert f'href="/problems/{scene.problem}"' in html
    assert "排污许可证 91330502MA2B00001X001P 将于" in html
    assert 'id="gc-model">2026.2<' in html or 'id="gc-model">' in html
    assert "data-series='[{" in html and '"change": true' in html
    assert "<svg" in html and f"/public/greencode/{ONE}" in html  # the QR code
    assert 'id="gc-improve"' not in html and 'id="repair-form"' not in html
    text = visible_text(html)
    assert [w for w in SCORER_WORDS if w in text] == []


def test_the_page_speaks_english_when_asked(scene: Scene) -> None:
    response = page(scene, scene.people.officer_a, f"/greencode/{ONE}", headers=EN)
    html = response.text
    assert ">Red<" in html and "Bypass or hidden pipe" in html
    assert "Flatline of Sulphur dioxide (SO2) at outlet DA001" in html
    assert "红码" not in html


def test_whom_the_code_is_hidden_from_gets_not_found(scene: Scene) -> None:
    for who in (scene.people.officer_b, scene.people.other_enterprise):
        for path in (f"/greencode/{ONE}", f"/greencode/{ONE}/card", f"/greencode/{ONE}/qr.png"):
            response = page(scene, who, path)
            assert response.status_code == 404, (who, path)
            assert "暗管" not in response.text
    response = page(scene, scene.people.officer_a, "/greencode/not-a-code!")
    assert response.status_code == 404
    assert page(scene, scene.people.reporter, f"/greencode/{ONE}").status_code == 403


def test_the_enterprise_sees_what_to_do_and_why_it_cannot_file_a_repair_yet(
    scene: Scene,
) -> None:
    response = page(scene, scene.people.enterprise, f"/greencode/{ONE}")
    assert response.status_code == 200
    html = response.text
    assert 'id="gc-improve"' in html
    assert (
        "关闭告警" in html and "检查分析仪（采样管路" in html
    )  # close the flatline alert: check the analyser
    assert "到期前办理排污许可证 91330502MA2B00001X001P 的延续" in html
    assert 'id="repair-cannot"' in html and f"问题 #{scene.problem} 尚未办结" in html
    assert 'id="repair-form"' not in html
    text = visible_text(html)
    assert [w for w in SCORER_WORDS if w in text] == []
    card = page(scene, scene.people.enterprise, f"/greencode/{ONE}/card")
    assert card.status_code == 200 and 'data-colour="red"' in card.text


def test_the_list_sorts_by_score_filters_by_colour_and_sends_an_enterprise_to_its_own(
    scene: Scene,
) -> None:
    listed = page(scene, scene.people.officer_a, "/greencode")
    html = listed.text
    codes = re.findall(r'<tr data-code="(\w+)" data-colour="(\w+)"', html)
    assert [c for c, _colour in codes] == [ONE, TWO] and codes[0][1] == "red"
    best = page(scene, scene.people.officer_a, "/greencode?order=-score")
    assert re.findall(r'<tr data-code="(\w+)"', best.text) == [TWO, ONE]
    red = page(scene, scene.people.officer_a, "/greencode?colour=red")
    assert re.findall(r'<tr data-code="(\w+)"', red.text) == [ONE]
    other = page(scene, scene.people.officer_b, "/greencode")
    assert re.findall(r'<tr data-code="(\w+)"', other.text) == [uscc(3)]
    outside = page(scene, scene.people.officer_b, "/greencode?region=A")
    assert outside.status_code == 404
    own = page(scene, scene.people.enterprise, "/greencode")
    assert own.status_code == 303 and own.headers["location"] == f"/greencode/{ONE}"


def test_the_map_gets_the_codes_in_scope(scene: Scene) -> None:
    codes = page(scene, scene.people.officer_a, "/greencode/map.json").json()
    assert codes["colours"] == ["green", "yellow", "red"]
    assert {row[0]: row[1] for row in codes["codes"]}[ONE] == "red"
    assert {row[0] for row in codes["codes"]} == {ONE, TWO}
    theirs = page(scene, scene.people.officer_b, "/greencode/map.json").json()
    assert [row[0] for row in theirs["codes"]] == [uscc(3)]
    assert page(scene, scene.people.enterprise, "/greencode/map.json").status_code == 403
    map_page = page(scene, scene.people.officer_a, "/map")
    assert 'data-codes-url="/greencode/map.json"' in map_page.text


def test_the_public_page_shows_colour_date_and_public_reasons_and_nothing_internal(
    scene: Scene, container: Container
) -> None:
    scene.client.cookies.clear()
    response = scene.client.get(f"/public/greencode/{ONE.lower()}")
    assert response.status_code == 200
    html = response.text
    assert 'data-colour="red"' in html and "红码" in html
    assert "偷排暗管或旁路" in html and "数据恒值" in html
    text = visible_text(html)
    assert "#" not in text
    for secret in (
        REPORTER_NAME,
        REPORTER_CONTACT,
        "河里有黑水",  # the report's description
        "现场确认",  # the on-site note
        "停产整改",
        "officer-a",
        "/ 100",  # no score
        "数据质量",  # no indicators
        "/problems/",
        "/alerts/",
        "2026.2",  # no model version
    ):
        assert secret not in html, secret
    english = scene.client.get(f"/public/greencode/{ONE}", headers=EN)
    assert ">Red<" in english.text and "Bypass or hidden pipe" in english.text
    missing = scene.client.get("/public/greencode/91330000000000000X")
    assert missing.status_code == 404
    with container.reading() as session:
        refused = session.scalars(select(IntakeAttempt.accepted)).all()
    assert refused == [False]  # the unknown code counted against the address, the known not


def test_a_repair_is_filed_on_the_portal_and_decided_on_the_officers_page(
    scene: Scene, clock: FakeClock, container: Container
) -> None:
    drive = scene.drive
    drive.order(scene.problem)
    evidence = {"text": "已拆除暗管", "attachment_ids": [scene.media]}
    drive.act(scene.problem, "report_rectified", evidence=evidence)
    drive.act(scene.problem, "close")
    clock.advance(timedelta(days=WAIT + 1))
    client = scene.client
    client.cookies.clear()
    started = log_in(client, container, scene.people.enterprise)
    form = client.get(f"/greencode/{ONE}")
    assert 'id="repair-form"' in form.text
    url = f"/greencode/{ONE}/repairs"
    assert client.post(url, data={"statement": "x"}).status_code == 403  # no CSRF token
    empty = client.post(url, data={"csrf_token": started.csrf_token, "statement": " "})
    assert empty.status_code == 422 and 'data-error="statement"' in empty.text
    filed = client.post(url, data={"csrf_token": started.csrf_token, "statement": "暗管已拆除"})
    assert filed.status_code == 303 and filed.headers["location"] == f"/greencode/{ONE}?done=filed"
    shown = client.get(filed.headers["location"])
    assert 'data-state="pending"' in shown.text and "暗管已拆除" in shown.text
    again = client.post(url, data={"csrf_token": started.csrf_token, "statement": "再次申请"})
    assert again.status_code == 409 and "等待审核" in again.text
    repair_id = re.findall(r'data-repair="(\d+)"', shown.text)[0]

    client.cookies.clear()
    outsider = log_in(client, container, scene.people.officer_b)
    decide = f"/greencode/repairs/{repair_id}"
    body = {"csrf_token": outsider.csrf_token, "decision": "approve"}
    assert client.post(decide, data=body).status_code == 404
    client.cookies.clear()
    officer = log_in(client, container, scene.people.officer_a)
    officer_page = client.get(f"/greencode/{ONE}")
    assert f'id="decide-{repair_id}"' in officer_page.text
    no_reason = {"csrf_token": officer.csrf_token, "decision": "reject", "reason": ""}
    refused = client.post(decide, data=no_reason)
    assert refused.status_code == 422 and 'data-error="reason"' in refused.text
    approve = {"csrf_token": officer.csrf_token, "decision": "approve", "reason": "现场复核通过"}
    approved = client.post(decide, data=approve)
    assert approved.status_code == 303 and approved.headers["location"].endswith("done=approved")
    code = code_of(container, 1)
    assert code is not None and not code.vetoed and code.colour != "red"
    after = client.get(approved.headers["location"])
    assert 'data-state="approved"' in after.text and 'id="decide-' not in after.text
    with container.reading() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "greencode_repair")
        ).all()
    assert list(actions) == ["greencode_repair.file", "greencode_repair.approve"]


# --- the catalogs ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_green_code_template_string_is_in_both_catalogs(locale: str) -> None:
    paths = [*(TEMPLATE_DIR / "greencode").glob("*.html"), TEMPLATE_DIR / "map.html"]
    check_catalogs(locale, paths, at_least=101)
