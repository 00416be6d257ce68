"""Big-data linkage from the database (issue 17, items 2 and 4): ``ecoradar linkage suspects``
as its contract says, with the wind from a station's readings; suspects of a problem and an
officer attaching one; hotspots recorded as findings once a day, and their map layer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.linkage import hotspots
from ecoradar.problems.models import Finding, Problem, ProblemEvent
from ecoradar.registry.models import Enterprise
from tests.factories import uscc
from tests.integration.linkage_support import (
    AT,
    CLUE_LAT,
    CLUE_LON,
    client,
    ecoradar,
    make_problem,
    officer_headers,
    seed_cluster,
    town,
)

__all__ = ["client", "officer_headers", "town"]  # fixtures


def test_suspects_prints_one_json_object_per_enterprise_best_first(town: Container) -> None:
    code, out, err = ecoradar(
        "linkage", "suspects", "--lat", str(CLUE_LAT), "--long", str(CLUE_LON),
        "--at", "2026-11-01T10:30:00+08:00", "--category", "odour",
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["enterprise_code"] for line in lines] == [uscc(1), uscc(2)]  # 10 km: too far
    culprit, innocent = lines
    assert list(culprit)[:4] == ["enterprise_code", "score", "distance_m", "reasons"]
    assert 0 <= innocent["score"] < culprit["score"] <= 1
    assert culprit["distance_m"] == pytest.approx(1500, rel=0.01)
    assert innocent["distance_m"] < culprit["distance_m"]
    assert any(r.startswith("upwind of the clue") for r in culprit["reasons"])
    assert any(r.startswith("downwind of the clue") for r in innocent["reasons"])
    assert any("a21001" in r for r in culprit["reasons"])  # permitted for ammonia
    # a day later the station has no reading: the wind is left out, the far works is in range
    code, out, _ = ecoradar(
        "linkage", "suspects", "--lat", str(CLUE_LAT), "--long", str(CLUE_LON),
        "--at", "2026-11-02T08:30", "--category", "odour", "--radius-m", "20000",
    )  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["enterprise_code"] for line in lines] == [uscc(1), uscc(2), uscc(3)]
    assert all(any("no wind readings" in r for r in line["reasons"]) for line in lines)
    assert lines[0]["parts"]["wind"] == lines[1]["parts"]["wind"] == 0.5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--category", "smell"], "category: 'smell' is not one of"),
        (["--category", "odour", "--radius-m", "0"], "radius-m: 0.0 is not between"),
        (["--category", "odour", "--lat", "91"], "lat: 91.0 is not a latitude"),
    ],
)
def test_suspects_refuses_bad_input_naming_the_option(
    town: Container, args: list[str], words: str
) -> None:
    base = {"--lat": str(CLUE_LAT), "--long": str(CLUE_LON), "--at": "2026-11-01T10:30"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    code, out, err = ecoradar("linkage", "suspects", *[x for kv in base.items() for x in kv])
    assert code == 1 and out == ""
    assert words in err
    code, _, err = ecoradar("linkage", "suspects", "--lat", "1", "--long", "1", "--at", "noon",
                            "--category", "odour")  # fmt: skip
    assert code == 1 and "at: 'noon' is not an ISO 8601 time" in err


def test_an_officer_sees_a_problems_suspects_and_attaches_one(
    town: Container, client: TestClient, officer_headers: dict[str, str]
) -> None:
    problem_id = make_problem(town, CLUE_LAT, CLUE_LON, "odour", AT)
    answer = client.get(f"/api/problems/{problem_id}/suspects", headers=officer_headers)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [s["enterprise_code"] for s in found] == [uscc(1), uscc(2)]
    assert found[0]["reason_facts"][1]["what"] == "upwind"
    refused = client.post(
        f"/api/problems/{problem_id}/suspects/attach",
        json={"enterprise_code": uscc(3)},
        headers=officer_headers,
    )
    assert refused.status_code == 422 and "not a suspect" in refused.text
    attached = client.post(
        f"/api/problems/{problem_id}/suspects/attach",
        json={"enterprise_code": uscc(1)},
        headers=officer_headers,
    )
    assert attached.status_code == 200, attached.text
    with town.reading() as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None and problem.enterprise_id is not None
        enterprise = session.get(Enterprise, problem.enterprise_id)
        assert enterprise is not None and enterprise.code == uscc(1)
        event = session.scalar(
            select(ProblemEvent).where(
                ProblemEvent.problem_id == problem_id, ProblemEvent.action == "suspect_attached"
            )
        )
        assert event is not None and event.detail["enterprise_code"] == uscc(1)


def test_hotspots_become_findings_once_a_day_and_a_map_layer(
    town: Container, client: TestClient, officer_headers: dict[str, str]
) -> None:
    now = town.clock.now()
    seed_cluster(town, now)
    code, out, err = ecoradar("linkage", "hotspots", "--dry-run")
    assert code == 0, err
    assert "would be recorded" in err
    with town.reading() as session:
        assert not session.scalars(select(Finding).where(Finding.channel == "linkage")).all()
    first = hotspots.record(town)
    again = hotspots.record(town)
    assert len(first.found) == 1 and first.recorded == 1 and again.recorded == 0
    with town.reading() as session:
        made = session.scalars(select(Finding).where(Finding.channel == "linkage")).all()
        assert len(made) == 1
        assert made[0].category == "water" and made[0].data["hotspot"]["count"] == 8
    layer = client.get("/api/linkage/hotspots.geojson", headers=officer_headers)
    assert layer.status_code == 200
    features = layer.json()["features"]
    assert len(features) >= 7 and {f["properties"]["rank"] for f in features} == {1}
    ring = features[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]


def test_the_scheduler_searches_for_hotspots_once_an_hour(town: Container) -> None:
    from ecoradar.problems.scheduler import run_once

    seed_cluster(town, town.clock.now())
    assert run_once(town).hotspots == "1 hotspot(s), 1 new hotspot finding(s)"
    assert run_once(town).hotspots == ""  # the same hour: not searched again
    town.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    assert run_once(town).hotspots == "1 hotspot(s), 0 new hotspot finding(s)"  # same day
