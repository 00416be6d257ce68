"""Praise and incentives on both databases: the month's rankings of a region (a person of a
sub-region counts in the parent's), region scope, praise notices (numbered, audited, listed,
the certificate's PDF text), the command line, the pages and the figures of /stats/praise.
The month of ``praise_support`` is hand-built; its expected figures are written out there."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.audit.models import AuditEntry
from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.praise.models import PraiseNotice
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import log_in
from tests.integration.praise_support import MONTH, PraiseScene, build_praise_scene
from tests.integration.problem_support import REPORTER_NAME, create_app_for

runner = CliRunner()


@pytest.fixture
def scene(container: Container, tmp_path: Path) -> PraiseScene:
    return build_praise_scene(container, tmp_path)


def _rankings(scene: PraiseScene, region: str, headers: dict[str, str], month: str = MONTH) -> dict:  # type: ignore[type-arg]
    response = scene.api.get(f"/api/praise/rankings?month={month}&region={region}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def _issue(
    scene: PraiseScene, person: str, reason: str = "率先发现偷排", region: str = "A"
) -> dict:  # type: ignore[type-arg]
    response = scene.api.post(
        "/api/praise/notices",
        json={"month": MONTH, "region": region, "person": person, "reason": reason},
        headers=scene.people.officer_a.headers,
    )
    assert response.status_code == 201, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    target = tmp_path / "certificate.pdf"
    target.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, check=True, text=True
    ).stdout


# --- rankings ---------------------------------------------------------------------------------


def test_the_county_ranking_holds_the_month_of_its_grid_workers_and_reporters(
    scene: PraiseScene,
) -> None:
    body = _rankings(scene, "A", scene.people.officer_a.headers)
    workers = {w["name"]: w for w in body["grid_workers"]}
    assert [(w["name"], w["rank"], w["score"]) for w in body["grid_workers"]] == [
        ("worker-g1", 1, 11.0), ("worker-g2b", 2, 5.5), ("worker-g2a", 3, 0.0),
    ]  # fmt: skip
    g1 = workers["worker-g1"]
    assert (g1["patrols_done"], g1["reports"], g1["problems_found"], g1["found_first"]) == (
        1, 1, 1, 1,
    )  # fmt: skip
    assert g1["verified_share"] == 1.0 and g1["median_hours_to_verify"] == 2.0
    g2b = workers["worker-g2b"]
    assert (g2b["reports"], g2b["problems_found"], g2b["found_first"]) == (2, 1, 0)
    assert g2b["verified_share"] == 0.5  # P3 was rejected
    assert workers["worker-g2a"]["median_hours_to_verify"] == 4.0
    reporters = body["reporters"]
    assert [(r["name"], r["rank"], r["found_first"]) for r in reporters] == [
        (REPORTER_NAME, 1, 1), ("citizen-r", 2, 0),
    ]  # fmt: skip
    assert reporters[0]["masked_name"] == "欧***"
    assert reporters[0]["person"] == scene.contact_person
    assert "139" not in json.dumps(body)  # the contact itself never leaves


def test_a_grid_worker_counts_in_every_region_above_their_grid_and_not_beside_it(
    scene: PraiseScene,
) -> None:
    city = _rankings(scene, "C", scene.people.officer_c.headers)
    assert [w["name"] for w in city["grid_workers"]] == ["worker-g1", "worker-g2b", "worker-g2a"]
    grid = _rankings(scene, "G1", scene.people.officer_a.headers)
    assert [w["name"] for w in grid["grid_workers"]] == ["worker-g1"]
    assert [r["name"] for r in grid["reporters"]] == ["citizen-r"]  # P2 is in G2
    admin = _rankings(scene, "B", scene.people.admin.headers)
    assert admin["grid_workers"] == [] and admin["reporters"] == []


def test_an_empty_month_lists_the_workers_with_nothing_and_no_reporters(
    scene: PraiseScene,
) -> None:
    body = _rankings(scene, "A", scene.people.officer_a.headers, month="2026-10")
    assert [w["score"] for w in body["grid_workers"]] == [0.0, 0.0, 0.0]
    assert [w["rank"] for w in body["grid_workers"]] == [1, 1, 1]  # a tie: one rank
    assert body["reporters"] == []


def test_the_rankings_as_csv_carry_one_line_per_person(scene: PraiseScene) -> None:
    response = scene.api.get(
        f"/api/praise/rankings?month={MONTH}&region=A&format=csv",
        headers=scene.people.officer_a.headers,
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["kind"], r["rank"]) for r in rows] == [
        ("grid_worker", "1"), ("grid_worker", "2"), ("grid_worker", "3"),
        ("reporter", "1"), ("reporter", "2"),
    ]  # fmt: skip
    assert rows[3]["masked_name"] == "欧***" and rows[0]["month"] == MONTH


def test_another_region_is_out_of_reach_and_others_may_not_see_rankings(
    scene: PraiseScene,
) -> None:
    p = scene.people
    for headers in (p.officer_b.headers,):
        refused = scene.api.get(f"/api/praise/rankings?month={MONTH}&region=A", headers=headers)
        assert refused.status_code == 404 and "region" in refused.json()["detail"]
        praise = scene.api.post(
            "/api/praise/notices",
            json={"month": MONTH, "region": "A", "person": "user:1", "reason": "好"},
            headers=headers,
        )
        assert praise.status_code == 404
    for login in (p.worker_g1, p.reporter, p.enterprise):
        response = scene.api.get(f"/api/praise/rankings?month={MONTH}", headers=login.headers)
        assert response.status_code == 403
    bad = scene.api.get("/api/praise/rankings?month=2026-13", headers=p.officer_a.headers)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("month:")


# --- notices ----------------------------------------------------------------------------------


def test_a_praise_notice_is_numbered_audited_listed_and_read_by_its_person_only(
    scene: PraiseScene, tmp_path: Path
) -> None:
    p = scene.people
    first = _issue(scene, f"user:{p.worker_g1.user_id}")
    assert first["number"] == "BY-2026-0001" and first["name"] == "worker-g1"
    assert first["metrics"]["rank"] == 1 and first["metrics"]["of"] == 3
    second = _issue(scene, scene.contact_person, reason="提供关键线索")
    assert second["number"] == "BY-2026-0002" and second["name"] == REPORTER_NAME
    with scene.box.transaction() as session:
        audits = session.scalar(
            select(func.count()).where(AuditEntry.action == "praise_notice.issue")
        )
        assert audits == 2 and session.scalar(select(func.count(PraiseNotice.id))) == 2
    mine = scene.api.get("/api/praise/notices", headers=p.worker_g1.headers).json()
    assert [n["number"] for n in mine] == ["BY-2026-0001"]
    listed = scene.api.get("/api/praise/notices", headers=p.officer_c.headers).json()
    assert [n["number"] for n in listed] == ["BY-2026-0002", "BY-2026-0001"]
    assert scene.api.get("/api/praise/notices", headers=p.officer_b.headers).json() == []
    for login in (p.worker_g2, p.officer_b, p.reporter):
        hidden = scene.api.get("/api/praise/notices/BY-2026-0001", headers=login.headers)
        assert hidden.status_code == 404
    pdf = scene.api.get("/api/praise/notices/BY-2026-0001/pdf", headers=p.worker_g1.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content, tmp_path)
    assert "worker-g1" in text and "荣誉证书" in text and "率先发现偷排" in text
    english = scene.api.get(
        "/api/praise/notices/BY-2026-0002/pdf?lang=en", headers=p.officer_a.headers
    )
    text = _pdf_text(english.content, tmp_path)
    assert REPORTER_NAME in text and "Letter of praise" in text and "BY-2026-0002" in text


def test_a_notice_needs_a_reason_and_a_person_of_the_ranking(scene: PraiseScene) -> None:
    headers = scene.people.officer_a.headers
    base = {"month": MONTH, "region": "A"}
    empty = scene.api.post(
        "/api/praise/notices",
        json={**base, "person": f"user:{scene.people.worker_g1.user_id}", "reason": "  "},
        headers=headers,
    )
    assert empty.status_code == 422 and empty.json()["detail"].startswith("reason:")
    stranger = scene.api.post(
        "/api/praise/notices",
        json={**base, "person": f"user:{scene.people.officer_b.user_id}", "reason": "好"},
        headers=headers,
    )
    assert stranger.status_code == 404 and stranger.json()["detail"].startswith("person:")
    with scene.box.transaction() as session:
        assert session.scalar(select(func.count(PraiseNotice.id))) == 0


# --- the command line -------------------------------------------------------------------------


def test_the_command_line_ranks_as_table_json_and_csv_and_writes_the_certificate(
    scene: PraiseScene, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["praise", "rankings", "--month", MONTH, "--region", "A"])
    assert result.exit_code == 0, result.output
    assert "worker-g1" in result.stdout and REPORTER_NAME in result.stdout
    result = runner.invoke(
        app, ["praise", "rankings", "--month", MONTH, "--region", "A", "--format", "json"]
    )
    body = json.loads(result.stdout)
    assert body["grid_workers"][0]["name"] == "worker-g1"
    result = runner.invoke(
        app,
        ["praise", "rankings", "--month", MONTH, "--region", "A", "--format", "csv", "--masked"],
    )
    assert REPORTER_NAME not in result.stdout and "欧***" in result.stdout
    bad = runner.invoke(app, ["praise", "rankings", "--month", "11/2026"])
    assert bad.exit_code != 0 and str(bad.exception).startswith("--month: '11/2026'")
    _issue(scene, f"user:{scene.people.worker_g1.user_id}")
    target = tmp_path / "out.pdf"
    result = runner.invoke(
        app, ["praise", "pdf", "BY-2026-0001", "--output", str(target), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    text = _pdf_text(target.read_bytes(), tmp_path)
    assert "Certificate of honour" in text and "worker-g1" in text


# --- pages and figures ------------------------------------------------------------------------


def test_the_pages_rank_praise_and_show_the_notice_on_the_worker_s_grid_page(
    scene: PraiseScene,
) -> None:
    officer = TestClient(create_app_for(scene.box))
    started = log_in(officer, scene.box, scene.people.officer_a)
    page = officer.get(f"/praise?month={MONTH}&region=A")
    assert page.status_code == 200 and "worker-g1" in page.text and REPORTER_NAME in page.text
    person = f"user:{scene.people.worker_g1.user_id}"
    form = officer.get(f"/praise/new?month={MONTH}&region=A&person={person}")
    assert form.status_code == 200 and 'name="reason"' in form.text
    refused = officer.post(
        "/praise/notices",
        data={"csrf_token": started.csrf_token, "month": MONTH, "region": "A",
              "person": person, "reason": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 422 and 'id="praise-error"' in refused.text
    issued = officer.post(
        "/praise/notices",
        data={"csrf_token": started.csrf_token, "month": MONTH, "region": "A",
              "person": person, "reason": "巡查认真，率先发现偷排"},
        follow_redirects=False,
    )  # fmt: skip
    assert issued.status_code == 303
    assert issued.headers["location"] == "/praise/notices/BY-2026-0001?done=issued"
    assert "巡查认真" in officer.get("/praise/notices/BY-2026-0001").text
    worker = TestClient(create_app_for(scene.box))
    log_in(worker, scene.box, scene.people.worker_g1)
    grid = worker.get("/grid")
    assert grid.status_code == 200 and 'id="my-praise"' in grid.text
    assert "BY-2026-0001" in grid.text and 'id="my-rank"' in grid.text
    assert worker.get("/praise").status_code == 403
    other = TestClient(create_app_for(scene.box))
    log_in(other, scene.box, scene.people.officer_b)
    assert other.get("/praise?region=A").status_code == 404
    assert other.get("/praise/notices/BY-2026-0001").status_code == 404


def test_the_praise_figures_per_region_and_month(scene: PraiseScene) -> None:
    _issue(scene, f"user:{scene.people.worker_g1.user_id}")
    response = scene.api.get(
        f"/api/stats/praise?from={MONTH}&to={MONTH}&level=county",
        headers=scene.people.admin.headers,
    )
    assert response.status_code == 200, response.text
    rows = {(r["month"], r["region_code"]): r for r in response.json()["rows"]}
    a = rows[(MONTH, "A")]
    assert (a["patrols_done"], a["grid_reports"], a["public_reports"]) == (1, 3, 2)
    assert (a["first_found"], a["grid_first_share"], a["median_hours_to_verify"]) == (2, 0.5, 3.0)
    assert a["notices"] == 1
    assert rows[(MONTH, "B")]["grid_reports"] == 0 and rows[(MONTH, None)]["notices"] == 1
    seen_by_b = scene.api.get(
        f"/api/stats/praise?from={MONTH}&to={MONTH}", headers=scene.people.officer_b.headers
    ).json()
    assert seen_by_b["total"]["grid_reports"] == 0
    csv_body = scene.api.get(
        f"/api/stats/praise?from={MONTH}&to={MONTH}&format=csv",
        headers=scene.people.officer_a.headers,
    ).text
    assert csv_body.splitlines()[0].startswith("month,region_code")
    page = TestClient(create_app_for(scene.box))
    log_in(page, scene.box, scene.people.officer_a)
    html = page.get(f"/stats/praise?from={MONTH}&to={MONTH}")
    assert html.status_code == 200 and 'id="praise-chart"' in html.text
    assert page.get("/stats/praise?from=2026-12&to=2026-01").status_code == 422


# --- catalogs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_praise_string_is_in_both_catalogs(locale: str) -> None:
    paths = [*(TEMPLATE_DIR / "praise").glob("*.html"), TEMPLATE_DIR / "stats" / "praise.html"]
    check_catalogs(locale, paths, at_least=41)
