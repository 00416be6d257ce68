"""The inspection-draw pages and API: access by role and scope, the draw form and the
expected numbers, the result form, conflicts, and the public page and JSON leaking nothing
internal (no inspectors, no ids of people, inspections or problems, no findings' texts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from ecoradar.inspections.results import FindingItem, ResultIn
from ecoradar.web.app import create_app
from ecoradar.web.i18n import LOCALE_COOKIE
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import LogIn
from tests.factories import uscc
from tests.integration.inspections_support import (
    Staff,
    city,
    draw,
    drawn,
    inspection_of,
    photo,
    record,
)
from tests.integration.problem_support import jpeg

E1, E2, E3 = uscc(1), uscc(2), uscc(3)
USERNAMES = ("c-officer", "a-officer", "a1-officer", "b-officer", "admin", "g1-worker")
FINDING_TEXT = "雨水排口有污水排出"
REFUSAL_TEXT = "企业负责人拒绝检查人员进入厂区"


@pytest.fixture
def staff(container: Container, tmp_path: Path) -> Staff:
    return city(container, tmp_path)


@pytest.fixture
def client(container: Container, staff: Staff) -> TestClient:
    return TestClient(create_app(container), follow_redirects=False)


def done_draw(container: Container, staff: Staff) -> int:
    """A draw of the whole city: enterprise 1 inspected with a finding, 3 refused."""
    draw_id = draw(container, None)
    logins = {
        s.username: s for s in (staff.city, staff.county_a, staff.township_a1, staff.county_b)
    }
    first = logins[drawn(container, draw_id)[E1][1][0]]
    record(
        container,
        first,
        inspection_of(container, draw_id, E1),
        ResultIn("findings", findings=(FindingItem("water", FINDING_TEXT),)),
    )
    third = logins[drawn(container, draw_id)[E3][1][0]]
    record(
        container,
        third,
        inspection_of(container, draw_id, E3),
        ResultIn("refused", text=REFUSAL_TEXT, photo_ids=(photo(container, third),)),
    )
    return draw_id


def test_the_public_page_shows_the_draw_and_results_but_no_one_and_nothing_internal(
    container: Container, staff: Staff, client: TestClient
) -> None:
    draw_id = done_draw(container, staff)
    page = client.get(f"/public/inspections/{draw_id}")
    assert page.status_code == 200
    html = page.text
    assert "fixed-seed" in html and "draw-v1" in html
    for code in (E1, E2, E3):
        assert code in html
    assert 'data-status="findings"' in html and 'data-status="refused"' in html
    assert 'data-status="pending"' in html
    for secret in (
        *USERNAMES,
        FINDING_TEXT,
        REFUSAL_TEXT,
        "user:",
        "/problems/",
        "/inspections/tasks/",
    ):
        assert secret not in html, secret
    assert client.get("/public/inspections").status_code == 200
    assert client.get("/public/inspections/9999").status_code == 404


def test_the_public_json_holds_the_inputs_to_re_run_the_draw_and_no_internal_field(
    container: Container, staff: Staff, client: TestClient
) -> None:
    draw_id = done_draw(container, staff)
    got = client.get(f"/api/public/inspections/{draw_id}")
    assert got.status_code == 200
    body = got.json()
    assert body["candidates"] == [[E1, None], [E2, None], [E3, None]]
    assert set(body["drawn"][0]) == {
        "enterprise_code", "enterprise_name", "colour", "coded", "status", "inspected_on",
    }  # fmt: skip
    assert body["published_at"].endswith("+08:00")
    text = got.text
    for secret in (*USERNAMES, FINDING_TEXT, REFUSAL_TEXT, '"inspectors"', "problem", "user"):
        assert secret not in text, secret
    listed = client.get("/api/public/inspections").json()
    assert [d["number"] for d in listed] == [draw_id]


def test_staff_pages_follow_roles_and_scope(
    container: Container, staff: Staff, client: TestClient, logged_in: LogIn
) -> None:
    a_draw = draw(container, staff.county_a, region="A")
    assert client.get("/inspections").status_code == 303  # to the login page
    logged_in(client, staff.county_b)
    home = client.get("/inspections")
    assert home.status_code == 200 and 'id="draw-form"' in home.text
    assert client.get(f"/inspections/draws/{a_draw}").status_code == 404
    task = inspection_of(container, a_draw, E1)
    assert client.get(f"/inspections/tasks/{task}").status_code == 404
    logged_in(client, staff.grid_worker)
    page = client.get("/inspections")
    assert page.status_code == 200 and 'id="draw-form"' not in page.text
    logged_in(client, staff.city)
    shown = client.get(f"/inspections/draws/{a_draw}")
    assert shown.status_code == 200 and E1 in shown.text and E3 not in shown.text


def test_an_officer_draws_from_the_page_after_seeing_the_expected_numbers(
    container: Container, staff: Staff, client: TestClient, logged_in: LogIn
) -> None:
    started = logged_in(client, staff.county_a)
    home = client.get("/inspections")
    assert 'id="expected-table"' in home.text
    assert re.search(r'id="expected-candidates">2<', home.text)  # enterprises 1 and 2 in A
    fragment = client.get("/inspections/expected", params={"region": "A1"})
    assert fragment.status_code == 200 and 'id="expected"' in fragment.text
    assert client.get("/inspections/expected", params={"region": "B"}).status_code == 404
    outside = client.post(
        "/inspections/draws",
        data={"csrf_token": started.csrf_token, "region": "B", "period": "2026-12", "k": "2"},
    )
    assert outside.status_code == 403 and 'id="draw-error"' in outside.text
    assert "该区域不在您的管辖范围内。" in outside.text
    made = client.post(
        "/inspections/draws",
        data={
            "csrf_token": started.csrf_token,
            "region": "A",
            "period": "2026-12",
            "seed": "page-seed",
            "k": "2",
        },
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and "page-seed" in page.text and 'id="flash"' in page.text
    again = client.post(
        "/inspections/draws",
        data={"csrf_token": started.csrf_token, "region": "A1", "period": "2026-12", "k": "2"},
    )
    assert again.status_code == 409 and "已有抽查覆盖该区域，且周期重叠。" in again.text


def test_an_inspector_records_a_refusal_with_a_photo_from_the_task_page(
    container: Container, staff: Staff, client: TestClient, logged_in: LogIn
) -> None:
    draw_id = draw(container, None, region="B")
    task = inspection_of(container, draw_id, E3)
    started = logged_in(client, staff.county_b)
    assert f'href="/inspections/tasks/{task}"' in client.get("/inspections").text  # my list
    form = client.get(f"/inspections/tasks/{task}")
    assert 'id="result-form"' in form.text
    data = {"csrf_token": started.csrf_token, "outcome": "refused", "text": REFUSAL_TEXT}
    refused = client.post(f"/inspections/tasks/{task}", data=data)
    assert refused.status_code == 422 and 'id="task-error"' in refused.text
    files = {"photos": ("site.jpg", jpeg(21), "image/jpeg")}
    done = client.post(f"/inspections/tasks/{task}", data=data, files=files)
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert 'id="result-form"' not in shown.text and 'id="task-problems"' in shown.text
    assert client.post(f"/inspections/tasks/{task}", data=data, files=files).status_code == 409


def test_conflicts_are_declared_and_withdrawn_on_their_page(
    container: Container, staff: Staff, client: TestClient, logged_in: LogIn
) -> None:
    started = logged_in(client, staff.county_a)
    made = client.post(
        "/inspections/conflicts",
        data={"csrf_token": started.csrf_token, "enterprise": E1, "reason": "配偶在该企业任职"},
    )
    assert made.status_code == 303
    page = client.get("/inspections/conflicts")
    assert (
        "配偶在该企业任职" in page.text and "a-officer" in page.text
    )  # no display name: the user name
    assert "a-officer" not in drawn(container, draw(container, None))[E1][1]
    bad = client.post(
        "/inspections/conflicts",
        data={"csrf_token": started.csrf_token, "enterprise": "NOPE", "reason": "x"},
    )
    assert bad.status_code == 404 and 'id="conflict-error"' in bad.text
    logged_in(client, staff.county_b)
    assert "配偶在该企业任职" not in client.get("/inspections/conflicts").text


def test_the_api_draws_dry_or_stored_and_records_results(
    container: Container, staff: Staff, client: TestClient
) -> None:
    headers = staff.county_b.headers
    dry = client.post(
        "/api/inspections/draws", json={"period": "2026-12", "dry_run": True}, headers=headers
    )
    assert dry.status_code == 201 and dry.json()["id"] is None
    assert [p["enterprise_code"] for p in dry.json()["planned"]] in ([], [E3])
    assert client.get("/api/inspections/draws", headers=headers).json() == []
    assert (
        client.post(
            "/api/inspections/draws", json={"period": "2026-12", "region": "A"}, headers=headers
        ).status_code
        == 403
    )
    grid = client.post(
        "/api/inspections/draws", json={"period": "2026-12"}, headers=staff.grid_worker.headers
    )
    assert grid.status_code == 403
    expected = client.get("/api/inspections/expected", headers=headers).json()
    assert expected["region"] == "B" and expected["candidates"] == 1
    assert expected["by_colour"] == {"yellow": 1} and expected["expected_total"] == 0.3
    draw_id = draw(container, None)
    task = inspection_of(container, draw_id, E3)
    mine = client.get("/api/inspections/mine", headers=headers).json()
    assert [m["id"] for m in mine] == [task]
    result = client.post(
        f"/api/inspections/{task}/result",
        json={
            "outcome": "findings",
            "findings": [{"category": "air", "description": "废气收集设施未运行"}],
        },
        headers=headers,
    )
    assert result.status_code == 200 and result.json()["state"] == "done"
    assert len(result.json()["problem_ids"]) == 1
    conflict = client.post(
        "/api/inspections/conflicts",
        json={"enterprise": E3, "reason": "曾在该企业任职"},
        headers=headers,
    )
    assert conflict.status_code == 201 and conflict.json()["inspector"] == "b-officer"
    withdrawn = client.post(
        f"/api/inspections/conflicts/{conflict.json()['id']}/withdraw", headers=headers
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None


def test_the_pages_read_in_english_too(
    container: Container, staff: Staff, client: TestClient, logged_in: LogIn
) -> None:
    draw_id = draw(container, None)
    client.cookies.set(LOCALE_COOKIE, "en")
    assert "Published inspection draws" in client.get(f"/public/inspections/{draw_id}").text
    client.cookies.set(LOCALE_COOKIE, "zh_CN")
    assert "双随机抽查公开信息" in client.get(f"/public/inspections/{draw_id}").text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_inspection_page_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, (TEMPLATE_DIR / "inspections").glob("*.html"), at_least=51)
