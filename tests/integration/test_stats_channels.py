"""Discovery statistics across every channel (issue 18 item 4), on a hand-made mix of channels
with exact, hand-counted figures: the service, the API (JSON, CSV, XLSX), the scope and the
/stats page.

The fixture (clock at 2026-11-02 09:00 China time, T0; every problem recorded through the
intake service):
- P1: online monitoring, G1 (enterprise 1): two alert findings (the second attaches by its
  match key) — a monitoring-only problem, which must count as a new problem;
- P2: public report, G2; a drone finding attached to it;
- P3: power sub-metering, county B (enterprise 3);
- P4: grid worker, G1; closed at T0+1h;
- P5: ambient station, G2, reported 40 days before T0 (outside a period of T0's day);
- self-inspection: the tasks of T0's day for the three control points (enterprise 1's daily
  CP01 and weekly CP02 in G1, enterprise 2's daily CP01 in G2): 3 sent, one (enterprise 1's
  CP01) submitted;
- service reminders: one issued to enterprise 1 (G1) at T0 with two issues, one of them
  solved (answer accepted); one issued to enterprise 3 (county B) with one open issue; a draft
  for enterprise 2 (not issued: not counted).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import CHANNELS, Problem
from ecoradar.registry.models import Enterprise
from ecoradar.reminders.models import Reminder, ReminderIssue
from ecoradar.selfcheck.models import SelfcheckTask
from ecoradar.stats.channels import HUMAN, TECHNICAL, discovery_stats
from ecoradar.stats.service import day_bounds
from tests.integration.clue_support import IN_B, IN_G1, IN_G2
from tests.integration.problem_support import (
    People,
    create_app_for,
    enterprise_id,
    make_people,
    public_report,
)
from tests.integration.selfcheck_support import generate, point_id
from tests.integration.selfcheck_support import world as selfcheck_world

DAY = date(2026, 11, 2)


@dataclass
class World:
    box: Container
    client: TestClient
    people: People
    problems: dict[str, int]


def report(box: Container, channel: str, place: dict[str, float], **extra: object) -> int:
    return public_report(box, reporter_user_id=None, name=None, contact=None, channel=channel,
                         place=place, **extra)  # fmt: skip


def reminder(
    box: Container, serial: int, number: str, *, issued: datetime | None, solved: int, open_: int
) -> None:
    with box.transaction() as session:
        company = session.get(Enterprise, enterprise_id(box, serial))
        assert company is not None
        now = box.clock.now()
        row = Reminder(
            number=number, enterprise_id=company.id, region_id=company.region_id,
            period_key=number, state="issued" if issued else "draft", as_of=now,
            bureau_name="测试生态环境局", created_at=now, created_by="cli:test",
            issued_at=issued, issued_by="cli:test" if issued else None, updated_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        for position in range(solved + open_):
            done = position < solved
            session.add(
                ReminderIssue(
                    reminder_id=row.id,
                    enterprise_id=company.id,
                    position=position,
                    trigger="exceedance_trend",
                    factor=None,
                    subject=f"s:{number}:{position}",
                    evidence={},
                    suggestion="请检查",
                    basis="规定",
                    state="accepted" if done else "open",
                    decided_at=now + timedelta(hours=2) if done else None,
                    created_at=now,
                )  # fmt: skip
            )


@pytest.fixture
def w(container: Container, clock: FakeClock, tmp_path: Path) -> World:
    selfcheck_world(container, tmp_path)
    people = make_people(container)
    t0 = clock.now()
    clock.set(t0 - timedelta(days=40))
    p5 = report(container, "station", IN_G2)
    clock.set(t0)
    e1 = enterprise_id(container, 1)
    p1 = report(container, "monitoring", IN_G1, enterprise=e1, match_key="alert:gas:so2")
    assert report(container, "monitoring", IN_G1, enterprise=e1, match_key="alert:gas:so2") == p1
    p2 = report(container, "public", IN_G2)
    assert report(container, "drone", IN_G2, attach_to=p2) == p2
    p3 = report(container, "power", IN_B, enterprise=enterprise_id(container, 3))
    p4 = report(container, "grid_worker", IN_G1)
    with container.transaction() as session:
        session.execute(
            update(Problem)
            .where(Problem.id == p4)
            .values(state="closed", closed_at=t0 + timedelta(hours=1))
        )
    generate(container, DAY)
    with container.transaction() as session:
        task = session.scalar(
            select(SelfcheckTask).where(SelfcheckTask.point_id == point_id(container, 1, "CP01"))
        )
        assert task is not None
        task.state, task.submitted_at = "submitted", t0 + timedelta(hours=1)
    reminder(container, 1, "ZS-2026-0001", issued=t0, solved=1, open_=1)
    reminder(container, 3, "ZS-2026-0002", issued=t0, solved=0, open_=1)
    reminder(container, 2, "ZS-2026-0003", issued=None, solved=0, open_=2)
    client = TestClient(create_app_for(container))
    problems = {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5}
    return World(container, client, people, problems)


def channel_figures(stats: object) -> dict[str, tuple[int, int, int]]:
    return {
        r.channel: (r.clues_received, r.problems_found, r.problems_closed)
        for r in stats.channels  # type: ignore[attr-defined]
    }


def test_every_finding_channel_is_human_or_technical() -> None:
    assert set(HUMAN) | set(TECHNICAL) == set(CHANNELS)
    assert not set(HUMAN) & set(TECHNICAL)


def test_the_figures_of_one_day_are_exact_per_channel(w: World) -> None:
    since, until = day_bounds(DAY, DAY)
    with w.box.reading() as session:
        stats = discovery_stats(session=session, since=since, until=until)
    assert channel_figures(stats) == {
        "public": (1, 1, 0),
        "grid_worker": (1, 1, 1),
        "monitoring": (2, 1, 0),
        "power": (1, 1, 0),
        "drone": (1, 0, 0),
    }
    assert [r.channel for r in stats.channels] == [
        "public", "grid_worker", "monitoring", "power", "drone",
    ]  # fmt: skip
    human, technical, total = stats.subtotals
    assert (human.clues_received, human.problems_found, human.problems_closed) == (2, 2, 1)
    assert (technical.clues_received, technical.problems_found) == (4, 2)
    assert (total.clues_received, total.problems_found, total.problems_closed) == (6, 4, 1)
    t = stats.total
    assert (t.clues_received, t.problems_found, t.problems_closed) == (6, 4, 1)
    assert (t.tasks_sent, t.tasks_completed) == (3, 1)
    assert (t.reminders_issued, t.reminder_issues, t.issues_solved) == (2, 3, 1)


def test_a_monitoring_only_problem_counts_as_a_new_problem(w: World) -> None:
    since, until = day_bounds(DAY, DAY)
    with w.box.reading() as session:
        stats = discovery_stats(session=session, since=since, until=until)
    assert stats.channel("monitoring").problems_found == 1
    assert stats.channel("station").problems_found == 0  # P5 was 40 days earlier
    with w.box.reading() as session:
        whole = discovery_stats(session=session)
    assert whole.channel("station").problems_found == 1
    assert whole.total.problems_found == 5 and whole.total.clues_received == 7


def test_area_rows_roll_up_and_the_region_filter_narrows(w: World) -> None:
    since, until = day_bounds(DAY, DAY)
    with w.box.reading() as session:
        county = discovery_stats(session=session, since=since, until=until)
        grids = discovery_stats(session=session, since=since, until=until, level="grid")
    rows = {
        a.region_code: (a.clues_received, a.problems_found, a.problems_closed, a.tasks_sent,
                        a.tasks_completed, a.reminders_issued, a.reminder_issues, a.issues_solved)
        for a in county.areas
    }  # fmt: skip
    assert rows == {"A": (5, 3, 1, 3, 1, 1, 2, 1), "B": (1, 1, 0, 0, 0, 1, 1, 0)}
    assert {a.region_code: a.clues_received for a in grids.areas} == {"B": 1, "G1": 3, "G2": 2}
    b = w.client.get(
        "/api/stats/discovery",
        params={"from": "2026-11-02", "to": "2026-11-02", "region": "B"},
        headers=w.people.admin.headers,
    )
    assert b.status_code == 200, b.text
    body = b.json()
    assert [r["channel"] for r in body["channels"]] == ["power"]
    assert body["total"]["reminders_issued"] == 1 and body["total"]["tasks_sent"] == 0


def test_an_officer_sees_only_their_region(w: World) -> None:
    get = w.client.get
    a = get("/api/stats/discovery", headers=w.people.officer_a.headers).json()
    assert a["total"]["problems_found"] == 4  # P1, P2, P4 and P5; not P3 in county B
    assert "power" not in {r["channel"] for r in a["channels"]}
    assert a["total"]["reminders_issued"] == 1
    outside = get(
        "/api/stats/discovery", params={"region": "B"}, headers=w.people.officer_a.headers
    )
    assert outside.status_code == 404
    admin = w.people.admin.headers
    assert get("/api/stats/discovery", params={"region": "B\x00"}, headers=admin).status_code == 422
    assert get("/api/stats/discovery", params={"level": "street"}, headers=admin).status_code == 422
    assert get("/api/stats/discovery", params={"format": "pdf"}, headers=admin).status_code == 422
    assert get("/api/stats/discovery", headers=w.people.enterprise.headers).status_code == 403
    assert get("/api/stats/discovery").status_code == 401


def test_csv_and_xlsx_carry_the_same_figures(w: World) -> None:
    params = {"from": "2026-11-02", "to": "2026-11-02"}
    admin = w.people.admin.headers
    text = w.client.get("/api/stats/discovery", params={**params, "format": "csv"}, headers=admin)
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    monitoring = next(r for r in rows if r["channel"] == "monitoring")
    assert (monitoring["kind"], monitoring["clues_received"], monitoring["problems_found"]) == (
        "technical", "2", "1",
    )  # fmt: skip
    total = next(r for r in rows if r["section"] == "area_total")
    assert (total["tasks_sent"], total["tasks_completed"], total["issues_solved"]) == (
        "3",
        "1",
        "1",
    )
    book = w.client.get("/api/stats/discovery", params={**params, "format": "xlsx"}, headers=admin)
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(book.content))
    assert workbook.sheetnames == ["channels", "areas"]
    channels = list(workbook["channels"].iter_rows(values_only=True))
    assert channels[0] == ("channel", "kind", "clues_received", "problems_found", "problems_closed")
    assert ("monitoring", "technical", 2, 1, 0) in channels
    assert ("total", "total", 6, 4, 1) in channels
    areas = list(workbook["areas"].iter_rows(values_only=True))
    assert areas[-1] == ("total", None, 6, 4, 1, 3, 1, 2, 3, 1)
    bad = w.client.get("/api/stats/discovery", params={"to": "2026-13-01"}, headers=admin)
    assert bad.status_code == 422


def test_the_page_shows_every_channel_in_both_languages(w: World) -> None:
    page = w.client.get(
        "/stats", params={"from": "2026-11-02", "to": "2026-11-02"}, headers=w.people.admin.headers
    )
    assert page.status_code == 200
    html = page.text
    assert '<span class="stat-value" id="dc-found">4</span>' in html
    assert '<span class="stat-value" id="dc-clues">6</span>' in html
    assert '<span class="stat-value" id="dc-tasks">1 / 3</span>' in html
    assert '<tr data-channel="monitoring"><td>在线监测</td><td class="num">2</td>' in html
    assert "技防渠道" in html and "人防渠道" in html
    assert "/api/stats/discovery?from=2026-11-02&amp;to=2026-11-02&amp;format=xlsx" in html
    english = w.client.get(
        "/stats", headers={**w.people.admin.headers, "Accept-Language": "en"}
    ).text
    assert "Technical channels" in english and "Online monitoring" in english
    narrowed = w.client.get("/stats", params={"region": "B"}, headers=w.people.admin.headers)
    assert '<tr data-channel="power">' in narrowed.text
    assert '<tr data-channel="monitoring">' not in narrowed.text
    unknown = w.client.get("/stats", params={"region": "NOPE"}, headers=w.people.admin.headers)
    assert unknown.status_code == 422 and 'id="stats-region-error"' in unknown.text


def test_per_month_each_period_has_its_total(w: World) -> None:
    admin = w.people.admin.headers
    params = {"from": "2026-09-20", "to": "2026-11-02", "period": "month"}
    body = w.client.get("/api/stats/discovery", params=params, headers=admin).json()
    got = {
        p["period"]: (p["clues_received"], p["problems_found"], p["tasks_sent"], p["issues_solved"])
        for p in body["periods"]
    }
    assert got == {"2026-09": (1, 1, 0, 0), "2026-10": (0, 0, 0, 0), "2026-11": (6, 4, 3, 1)}
    assert body["total"]["problems_found"] == 5
    no_dates = w.client.get("/api/stats/discovery", params={"period": "month"}, headers=admin)
    assert no_dates.status_code == 422 and "needs both from and to" in no_dates.text
    page = w.client.get("/stats", params=params, headers=admin)
    assert page.status_code == 200
    assert '<tr data-period="2026-09"><td>2026-09</td><td class="num">1</td>' in page.text
    assert "period=month&amp;format=xlsx" in page.text
    bad = w.client.get("/stats", params={"period": "month"}, headers=admin)
    assert bad.status_code == 422 and 'id="stats-period-error"' in bad.text
