"""Clue statistics on known fixtures, exact figures: per channel, per region rolled up to a
level, both; the scope of the asker; the period; the API (JSON and CSV), the command and the
page.

The fixture (clock at 2026-11-02 09:00 China time, T0):
- A: public, G1, opens P1 (accepted T0+2h, confirmed, closed T0+10h; reward of 500.00 paid);
- B: public, attached to P1 by deduplication (a duplicate);
- C: open311, G2, opens P2 (accepted T0+4h, found unfounded);
- D: hotline, county B, opens P3 (accepted T0+6h);
- E: grid worker, G2, opens P4 the next day (never accepted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app as cli_app
from ecoradar.clues import dedupe_service
from ecoradar.clues.dedupe import DedupeDecision
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import InputError
from ecoradar.stats.service import clue_stats, day_bounds
from tests.integration.clue_support import IN_B, IN_G2, clue, load_city, photo, spot, submit
from tests.integration.problem_support import Driver, People, create_app_for, jpeg, make_people

runner = CliRunner()
LONG = "化工厂排污口夜间向河道排放黑色污水，气味刺鼻，已经持续三天"
FIELDS = (
    "clues",
    "problems_opened",
    "verified",
    "verification_finished",
    "verified_share",
    "duplicates_merged",
    "median_hours_to_acceptance",
    "median_hours_to_closure",
    "rewards_paid",
    "rewards_paid_amount",
)
BY_CHANNEL = {
    "public": (2, 1, 1, 1, 1.0, 1, 2.0, 10.0, 1, "500.00"),
    "open311": (1, 1, 0, 1, 0.0, 0, 4.0, None, 0, "0.00"),
    "grid_worker": (1, 1, 0, 0, None, 0, None, None, 0, "0.00"),
    "hotline": (1, 1, 0, 0, None, 0, 6.0, None, 0, "0.00"),
}
TOTAL = (5, 4, 1, 2, 0.5, 1, 4.0, 10.0, 1, "500.00")
BY_COUNTY = {
    "A": (4, 3, 1, 2, 0.5, 1, 3.0, 10.0, 1, "500.00"),
    "B": (1, 1, 0, 0, None, 0, 6.0, None, 0, "0.00"),
}


@dataclass
class World:
    box: Container
    client: TestClient
    people: People


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(str(row[f]) if f == "rewards_paid_amount" else row[f] for f in FIELDS)


def keyed(body: dict[str, Any], key: str) -> dict[str, tuple[Any, ...]]:
    return {row[key]: figures(row) for row in body["rows"]}


@pytest.fixture
def w(
    container: Container, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    load_city(container, tmp_path)
    people = make_people(container)
    client = TestClient(create_app_for(container))
    officer = people.officer_a.headers
    drive = Driver(client, container, officer)
    t0 = clock.now()

    a = submit(container, clue(description=LONG, photos=(photo(1),)))
    real = dedupe_service.find_duplicates
    monkeypatch.setattr(
        dedupe_service,
        "find_duplicates",
        lambda **_: DedupeDecision(attach_to=a.problem_id, score=0.95, suggestions=()),
    )
    b = submit(container, clue(description=LONG, photos=(photo(2),)))
    assert b.duplicate and b.problem_id == a.problem_id
    monkeypatch.setattr(dedupe_service, "find_duplicates", real)
    c = submit(container, clue(channel="open311", client="token:1", **spot(IN_G2)))
    d = submit(container, clue(channel="hotline", **spot(IN_B)))

    clock.set(t0 + timedelta(hours=2))
    drive.act(a.problem_id, "accept")
    clock.set(t0 + timedelta(hours=4))
    drive.act(c.problem_id, "accept")
    clock.set(t0 + timedelta(hours=6))
    drive.act(d.problem_id, "accept", people.officer_b.headers)
    drive.act(a.problem_id, "assign", assignee_id=people.worker_g1.user_id)
    drive.act(a.problem_id, "start_verification")
    onsite = drive.upload(a.problem_id, jpeg(11), purpose="onsite")
    drive.act(a.problem_id, "confirm", onsite=drive.onsite(onsite))
    drive.order(a.problem_id)
    drive.act(
        a.problem_id, "report_rectified", evidence={"text": "已整改", "attachment_ids": [onsite]}
    )
    drive.act(c.problem_id, "assign", assignee_id=people.worker_g2_assigned.user_id)
    drive.act(c.problem_id, "start_verification")
    photo_c = drive.upload(c.problem_id, jpeg(12), purpose="onsite")
    drive.act(c.problem_id, "mark_unfounded", onsite=drive.onsite(photo_c))
    clock.set(t0 + timedelta(hours=10))
    drive.act(a.problem_id, "close")

    outcome = {"kind": "order_to_correct"}
    assert client.post(
        f"/api/problems/{a.problem_id}/outcome", json=outcome, headers=officer
    ).is_success
    reward = client.post("/api/rewards/propose", json={"problem_id": a.problem_id}, headers=officer)
    assert reward.status_code == 201, reward.text
    rid, reference = reward.json()["id"], reward.json()["claim_reference"]
    colleague = people.officer_c.headers
    assert client.post(f"/api/rewards/{rid}/approve", headers=colleague).is_success
    pay = {"payout_reference": "收据 1", "claim_reference": reference}
    assert client.post(f"/api/rewards/{rid}/pay", json=pay, headers=colleague).is_success

    clock.set(t0 + timedelta(days=1))
    submit(
        container,
        clue(
            channel="grid_worker",
            anonymous=False,
            reporter_user_id=people.worker_g2.user_id,
            photos=(photo(3),),
            client="user:1",
            **spot(IN_G2),
        ),
    )
    return World(container, client, people)


def test_the_figures_per_channel_are_exact(w: World) -> None:
    with w.box.transaction() as session:
        stats = clue_stats(session=session)
    assert [r.channel for r in stats.rows] == ["public", "open311", "grid_worker", "hotline"]
    rows = {r.channel: figures(r.as_dict()) for r in stats.rows}
    assert rows == BY_CHANNEL
    assert figures(stats.total.as_dict()) == TOTAL
    assert stats.total.channel == "total" and stats.level is None


def test_region_rows_roll_up_to_the_level_asked_for(w: World) -> None:
    with w.box.transaction() as session:
        county = clue_stats(session=session, group_by="region")
        grids = clue_stats(session=session, group_by="region", level="grid")
        township = clue_stats(session=session, group_by="region", level="township")
        both = clue_stats(session=session, group_by="channel_region")
    assert county.level == "county"
    assert {r.region_code: figures(r.as_dict()) for r in county.rows} == BY_COUNTY
    assert [(r.region_code, r.region_name) for r in county.rows] == [("A", "区域A"), ("B", "区域B")]
    assert figures(county.total.as_dict()) == TOTAL
    assert [(r.region_code, r.clues) for r in grids.rows] == [("B", 1), ("G1", 2), ("G2", 2)]
    assert [(r.region_code, r.clues) for r in township.rows] == [("A1", 4), ("B", 1)]
    assert [(r.channel, r.region_code, r.clues) for r in both.rows] == [
        ("public", "A", 2),
        ("open311", "A", 1),
        ("grid_worker", "A", 1),
        ("hotline", "B", 1),
    ]


def test_the_period_is_whole_china_days(w: World) -> None:
    first_day = day_bounds(*(2 * [date(2026, 11, 2)]))
    with w.box.transaction() as session:
        stats = clue_stats(session=session, since=first_day[0], until=first_day[1])
    assert [r.channel for r in stats.rows] == ["public", "open311", "hotline"]
    assert stats.total.clues == 4
    with pytest.raises(InputError, match="after to"):
        day_bounds(date(2026, 11, 3), date(2026, 11, 2))


def test_each_asker_sees_their_scope_rolled_up_to_their_level(w: World) -> None:
    get = w.client.get
    county_b = get(
        "/api/stats/clues", params={"group_by": "region"}, headers=w.people.officer_b.headers
    ).json()
    assert county_b["level"] == "county"
    assert keyed(county_b, "region_code") == {"B": BY_COUNTY["B"]}
    city = get(
        "/api/stats/clues", params={"group_by": "region"}, headers=w.people.officer_c.headers
    )
    assert [(r["region_code"], r["clues"]) for r in city.json()["rows"]] == [("C", 5)]
    grid = get(
        "/api/stats/clues", params={"group_by": "region"}, headers=w.people.worker_g1.headers
    )
    assert [(r["region_code"], r["clues"]) for r in grid.json()["rows"]] == [("G1", 2)]
    admin = get("/api/stats/clues", headers=w.people.admin.headers).json()
    assert keyed(admin, "channel") == BY_CHANNEL
    assert figures(admin["total"]) == TOTAL
    narrowed = get(
        "/api/stats/clues", params={"region": "B"}, headers=w.people.admin.headers
    ).json()
    assert list(keyed(narrowed, "channel")) == ["hotline"]
    outside = get("/api/stats/clues", params={"region": "B"}, headers=w.people.officer_a.headers)
    assert outside.status_code == 404
    assert get("/api/stats/clues", headers=w.people.enterprise.headers).status_code == 403
    assert get("/api/stats/clues").status_code == 401


def test_the_api_answers_csv_with_the_total_last_and_refuses_bad_input(w: World) -> None:
    answer = w.client.get(
        "/api/stats/clues",
        params={"group_by": "region", "level": "county", "format": "csv", "to": "2026-11-02"},
        headers=w.people.admin.headers,
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines() == [
        "channel,region_code,region_name,clues,problems_opened,verified,verification_finished,"
        "verified_share,duplicates_merged,median_hours_to_acceptance,median_hours_to_closure,"
        "rewards_paid,rewards_paid_amount",
        ",A,区域A,3,2,1,2,0.5,1,3.0,10.0,1,500.00",
        ",B,区域B,1,1,0,0,,0,6.0,,0,0.00",
        "total,total,,4,3,1,2,0.5,1,4.0,10.0,1,500.00",
    ]
    admin = w.people.admin.headers
    bad = w.client.get(
        "/api/stats/clues", params={"from": "2026-11-03", "to": "2026-11-02"}, headers=admin
    )
    assert bad.status_code == 422 and "after to" in bad.text
    assert (
        w.client.get(
            "/api/stats/clues", params={"group_by": "enterprise"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        w.client.get("/api/stats/clues", params={"to": "9999-12-31"}, headers=admin).status_code
        == 422
    )


def test_the_command_prints_the_same_figures(w: World, cli_env: dict[str, str]) -> None:
    result = runner.invoke(
        cli_app, ["stats", "clues", "--to", "2026-11-02"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["from"] is None and body["to"] == "2026-11-03T00:00:00+08:00"
    assert list(keyed(body, "channel")) == ["public", "open311", "hotline"]
    assert figures(body["total"]) == (4, 3, 1, 2, 0.5, 1, 4.0, 10.0, 1, "500.00")
    csv_out = runner.invoke(
        cli_app, ["stats", "clues", "--format", "csv", "--by", "region"], catch_exceptions=False
    )
    assert csv_out.stdout.splitlines()[1:] == [
        ",A,区域A,4,3,1,2,0.5,1,3.0,10.0,1,500.00",
        ",B,区域B,1,1,0,0,,0,6.0,,0,0.00",
        "total,total,,5,4,1,2,0.5,1,4.0,10.0,1,500.00",
    ]
    bad = runner.invoke(cli_app, ["stats", "clues", "--from", "2026-13-01"])
    assert bad.exit_code == 1 and "--from: '2026-13-01' is not a date" in bad.stderr


def test_the_page_shows_the_table_and_the_chart_data_for_staff_only(w: World) -> None:
    page = w.client.get("/stats", headers=w.people.officer_a.headers)
    assert page.status_code == 200
    html = page.text
    assert 'id="stats-table"' in html and 'id="stats-chart"' in html
    assert '<li data-channel="public" data-clues="2" data-opened="1" data-verified="1"' in html
    assert 'data-channel="hotline"' not in html  # county B is not officer A's
    assert '<span class="stat-value" id="stat-clues">4</span>' in html
    assert "¥500.00" in html
    by_region = w.client.get(
        "/stats", params={"by": "region", "level": "grid"}, headers=w.people.officer_a.headers
    )
    assert 'data-region="G1"' in by_region.text and 'data-region="G2"' in by_region.text
    bad = w.client.get("/stats", params={"from": "yesterday"}, headers=w.people.officer_a.headers)
    assert bad.status_code == 422 and 'id="stats-error"' in bad.text
    assert w.client.get("/stats", headers=w.people.enterprise.headers).status_code == 403
    anonymous = w.client.get("/stats", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=%2Fstats"
