"""Power sub-metering on both databases: the registry import (all or nothing, errors naming
file, line and column; the CLI), the HTTP batch of readings (the ``power`` scope, hostile
payloads refused whole, a reading sent twice stored once), episodes found once and grown, each
one finding with both curves as evidence, a meter that drops out raising nothing, production
running while online monitoring is silent, and who may read the curves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app as cli
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import ImportRefused
from ecoradar.monitoring.models import Measurement
from ecoradar.power import service
from ecoradar.power.models import PowerMeter, PowerUnit
from ecoradar.registry.models import MonitoringPoint
from ecoradar.web.app import create_app
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import MakeUser
from tests.factories import GAS_MN, write_csv
from tests.integration.power_support import (
    E1,
    E2,
    METERS_HEADER,
    MIN,
    UNITS_HEADER,
    count,
    items,
    load_power,
    power_findings,
    power_token,
    readings,
    stored_episodes,
)


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_power(container, tmp_path)
    return container


@pytest.fixture
def client(box: Container) -> TestClient:
    return TestClient(create_app(box))


@pytest.fixture
def gateway(box: Container) -> dict[str, str]:
    return {"Authorization": f"Bearer {power_token(box)}"}


def send(client: TestClient, headers: dict[str, str], batch: list[dict[str, Any]]) -> Any:
    return client.post("/api/power/readings", json={"readings": batch}, headers=headers)


# --- the registry -----------------------------------------------------------------------------


def test_the_import_stores_units_and_meters_with_thresholds_resolved_to_kw(box: Container) -> None:
    with box.reading() as session:
        rows = {r.meter.code: r for r in service.meters(session=session)}
        facility = session.scalars(select(PowerUnit).where(PowerUnit.code == "TF1")).one()
    assert set(rows) == {"P1", "T1", "P2", "T2"}
    assert (rows["P1"].meter.running_kw, rows["P1"].meter.idle_kw) == (60, 20)
    assert rows["P1"].meter.points == [GAS_MN] and rows["T1"].unit.kind == "treatment"
    assert facility.treats == "gas" and facility.serves == ["L1"]


def test_a_bad_import_names_file_line_and_column_and_changes_nothing(
    box: Container, tmp_path: Path
) -> None:
    units = write_csv(
        tmp_path / "u2.csv",
        UNITS_HEADER,
        [
            [E1, "L2", "二号线", "production", "", ""],
            [E1, "TF2", "", "treatment", "", "L9"],
            ["913305020000000000", "L1", "x", "kiln", "", ""],
        ],
    )
    meters = write_csv(
        tmp_path / "m2.csv",
        METERS_HEADER,
        [
            ["P9", E1, "L2", "100", "60", "80", "60", ""],
            ["P1", E2, "L1", "100", "60", "20", "60", ""],
            ["X 1", E1, "L1", "-5", "120%", "abc", "0", "NOPE"],
        ],
    )
    with pytest.raises(ImportRefused) as refused, box.transaction() as session:
        service.import_power(session=session, units=units, meters=meters, now=box.clock.now())
    text = [str(e) for e in refused.value.errors]
    assert "u2.csv:3: name: required, at most 200 characters" in text
    assert "u2.csv:3: treats: '': a treatment facility treats gas, water or other" in text
    assert "u2.csv:3: serves: 'L9' is not a production unit of " + E1 in text
    assert any(t.startswith("u2.csv:4: enterprise_code: unknown enterprise") for t in text)
    assert "u2.csv:4: kind: 'kiln': use production or treatment" in text
    assert "m2.csv:2: idle_below: 80 kW is above running_above (60 kW)" in text
    assert f"m2.csv:3: meter_id: meter P1 belongs to enterprise {E1}" in text
    assert any(t.startswith("m2.csv:4: meter_id:") for t in text)
    assert any(t.startswith("m2.csv:4: rated_kw:") for t in text)
    assert any(t.startswith("m2.csv:4: idle_below:") for t in text)
    assert any(t.startswith("m2.csv:4: interval_s:") for t in text)
    assert f"m2.csv:4: points: 'NOPE' is not a monitoring point of {E1}" in text
    assert count(box, PowerUnit) == 4 and count(box, PowerMeter) == 4


def test_the_cli_imports_and_lists_and_refuses_with_exit_status_one(
    box: Container, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    runner = CliRunner()
    more = write_csv(
        tmp_path / "m3.csv", METERS_HEADER, [["P5", E1, "L1", "90", "50%", "5", "", ""]]
    )
    done = runner.invoke(cli, ["power", "import", "--meters", str(more)])
    assert done.exit_code == 0, done.output
    assert "imported 0 units and 1 meters" in done.output
    listed = runner.invoke(cli, ["power", "meters", "--enterprise", E1])
    lines = [line.split() for line in listed.output.splitlines()]
    assert ["P5", E1, "L1", "production", "90", ">=45", "<5", "60s"] in lines
    bad = write_csv(
        tmp_path / "m4.csv", METERS_HEADER, [["P6", E1, "NOPE", "90", "1", "1", "", ""]]
    )
    refused = runner.invoke(cli, ["power", "import", "--meters", str(bad)])
    assert refused.exit_code == 1
    assert f"m4.csv:2: unit_code: no unit 'NOPE' of enterprise '{E1}'" in refused.output
    assert count(box, PowerMeter) == 5


def test_meters_are_listed_to_staff_in_reach_and_to_the_enterprise_itself(
    client: TestClient, make_user: MakeUser
) -> None:
    own = make_user("enterprise", enterprise=E2)
    assert {m["meter"] for m in client.get("/api/power/meters", headers=own.headers).json()} == {
        "P2",
        "T2",
    }
    far = make_user("officer", region="B")
    assert client.get("/api/power/meters", headers=far.headers).json() == []
    near = make_user("officer", region="A")
    assert len(client.get("/api/power/meters", headers=near.headers).json()) == 4


# --- the HTTP batch ---------------------------------------------------------------------------


def test_readings_need_a_token_with_the_power_scope(
    client: TestClient, box: Container, admin_headers: dict[str, str]
) -> None:
    batch = items("P1", box.clock.now() - 10 * MIN, [100.0])
    assert send(client, {}, batch).status_code == 401
    assert send(client, admin_headers, batch).status_code == 403
    assert readings(box) == 0


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"meter": "NOPE"}, "readings[1]: meter: unknown meter 'NOPE'"),
        ({"meter": 7}, "readings[1]: meter: 7 is not a meter id"),
        ({"ts": "2026-11-02 09:00"}, "readings[1]: ts: '2026-11-02 09:00' has no offset"),
        (
            {"ts": "2099-01-01T00:00:00Z"},
            "readings[1]: ts: 2099-01-01T00:00:00Z lies in the future",
        ),
        ({"kw": "50"}, "readings[1]: kw: '50' is not a number"),
        ({"kw": None}, "readings[1]: kw: None is not a number"),
        ({"kw": -3}, "readings[1]: kw: -3 is not a finite number >= 0"),
        ({"kw": 5000}, "readings[1]: kw: 5000 is over 5 times the rated 200 kW of meter P1"),
        ({"kwh": [1]}, "readings[1]: kwh: [1] is not a number"),
    ],
)
def test_a_hostile_item_refuses_the_whole_batch_naming_item_and_field(
    client: TestClient,
    box: Container,
    gateway: dict[str, str],
    change: dict[str, Any],
    detail: str,
) -> None:
    batch = items("P1", box.clock.now() - 10 * MIN, [100.0, 100.0, 100.0])
    batch[1].update(change)
    response = send(client, gateway, batch)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert readings(box) == 0


def test_a_token_limited_to_a_region_sends_only_for_meters_there(
    client: TestClient, box: Container
) -> None:
    elsewhere = {"Authorization": f"Bearer {power_token(box, 'gw-b', region='B')}"}
    response = send(client, elsewhere, items("P1", box.clock.now() - MIN, [1.0]))
    assert response.status_code == 422 and "unknown meter 'P1'" in response.json()["detail"]
    here = {"Authorization": f"Bearer {power_token(box, 'gw-a', region='A')}"}
    assert send(client, here, items("P1", box.clock.now() - MIN, [1.0])).status_code == 200


def test_a_reading_sent_twice_is_stored_once_with_its_first_value(
    client: TestClient, box: Container, gateway: dict[str, str]
) -> None:
    start = box.clock.now() - 10 * MIN
    first = send(client, gateway, items("P1", start, [10.0, 11.0]))
    assert first.json() == {
        "stored": 2,
        "duplicates": 0,
        "episodes": 0,
        "findings": 0,
        "revised": 0,
        "withdrawn": 0,
    }
    again = send(client, gateway, items("P1", start, [99.0, 11.0, 12.0]) * 2)
    assert again.json()["stored"] == 1 and again.json()["duplicates"] == 5
    curves = client.get(
        f"/api/power/enterprises/{E1}/curves",
        params={"start": start.isoformat(), "end": (start + 5 * MIN).isoformat()},
        headers=gateway,
    )
    assert curves.status_code == 403  # a gateway's token reads nothing
    assert readings(box) == 3


# --- episodes and findings --------------------------------------------------------------------


def test_an_idle_facility_while_production_runs_becomes_one_finding_with_both_curves(
    client: TestClient, box: Container, gateway: dict[str, str], admin_headers: dict[str, str]
) -> None:
    start = box.clock.now() - 70 * MIN  # recent: monitoring silence is not judged yet
    production = items("P1", start, [150.0] * 60)
    fan = items("T1", start, [50.0] * 10 + [5.0] * 25)
    assert send(client, gateway, production + fan).json()["findings"] == 0  # 25 minutes so far
    later = items("T1", start + 35 * MIN, [5.0] * 10 + [50.0] * 15)
    assert send(client, gateway, later).json() == {
        "stored": 25,
        "duplicates": 0,
        "episodes": 1,
        "findings": 1,
        "revised": 0,
        "withdrawn": 0,
    }
    (finding,) = power_findings(box)
    data = finding.data
    assert (data["rule"], data["subject"], data["state"], data["minutes"]) == (
        "treatment_idle",
        "TF1",
        "idle",
        35.0,
    )
    assert data["start"] == (start + 10 * MIN).isoformat()
    curves = {c["meter"]: c for c in data["curves"]}
    assert set(curves) == {"P1", "T1"} and curves["T1"]["role"] == "treatment"
    assert curves["T1"]["idle_kw"] == 10 and curves["P1"]["running_kw"] == 60
    # the episode and 15 minutes either side, one point a minute
    assert len(curves["T1"]["points"]) == 60 and curves["T1"]["points"][10][1] == 5.0
    assert finding.severity == "medium" and finding.category == "air"
    assert finding.source_ref == f"power:{data['episode_id']}"
    problem = client.get(f"/api/problems/{finding.problem_id}", headers=admin_headers).json()
    assert problem["channel"] == "power" and "TF1" in problem["title"]
    # the same readings again: nothing new
    repeat = send(client, gateway, production + fan + later).json()
    assert repeat["stored"] == 0 and repeat["findings"] == 0
    assert len(power_findings(box)) == 1 and len(stored_episodes(box)) == 1


def test_an_episode_that_goes_on_grows_and_keeps_its_one_finding(
    client: TestClient, box: Container, gateway: dict[str, str]
) -> None:
    start = box.clock.now() - 70 * MIN
    send(client, gateway, items("P1", start, [150.0] * 70) + items("T1", start, [0.0] * 40))
    (first,) = power_findings(box)
    assert first.data["state"] == "off" and first.severity == "high"
    send(client, gateway, items("T1", start + 40 * MIN, [0.0] * 20 + [60.0] * 10))
    (episode,) = stored_episodes(box)
    assert episode.minutes == 60 and episode.finding_id == first.id
    (grown,) = power_findings(box)
    assert grown.data["minutes"] == 60 and grown.data["end"] == (start + 60 * MIN).isoformat()


def test_a_treatment_meter_that_drops_out_raises_nothing_and_its_gap_shows(
    client: TestClient, box: Container, gateway: dict[str, str], make_user: MakeUser
) -> None:
    start = box.clock.now() - 70 * MIN
    fan = items("T1", start, [50.0] * 5 + [None] * 50 + [50.0] * 5)
    send(client, gateway, items("P1", start, [150.0] * 60) + fan)
    assert power_findings(box) == [] and stored_episodes(box) == []
    officer = make_user("officer", region="A")
    drawn = client.get(
        f"/api/power/enterprises/{E1}/curves",
        params={"start": start.isoformat(), "end": (start + 60 * MIN).isoformat()},
        headers=officer.headers,
    ).json()
    gaps = {m["meter"]: m["gaps"] for m in drawn["meters"]}
    assert gaps["P1"] == []
    assert gaps["T1"] == [[int((start + 5 * MIN).timestamp()), int((start + 55 * MIN).timestamp())]]


def test_exactly_twenty_nine_minutes_raises_nothing_and_thirty_raises_one(
    client: TestClient, box: Container, gateway: dict[str, str]
) -> None:
    start = box.clock.now() - 75 * MIN
    send(client, gateway, items("P2", start, [100.0] * 75))
    send(client, gateway, items("T2", start, [30.0] * 5 + [7.0] * 29 + [30.0] * 2))
    assert power_findings(box) == []
    send(client, gateway, items("T2", start + 36 * MIN, [30.0] * 2 + [7.0] * 30 + [30.0]))
    (finding,) = power_findings(box)
    assert finding.data["minutes"] == 30 and finding.category == "water"


def test_production_running_while_monitoring_is_silent_is_judged_once_settled(
    client: TestClient, box: Container, gateway: dict[str, str], clock: FakeClock
) -> None:
    start = box.clock.now() - 70 * MIN
    with box.transaction() as session:
        point_id = session.scalar(select(MonitoringPoint.id).where(MonitoringPoint.mn == GAS_MN))
        for i in range(20):  # real-time values for 20 minutes, then nothing
            session.add(
                Measurement(
                    point_id=point_id,
                    factor="a21026",
                    kind="rtd",
                    data_time=start + i * MIN,
                    rtd=10.0,
                    received_at=start + i * MIN,
                )
            )
    send(client, gateway, items("P1", start, [150.0] * 70) + items("T1", start, [50.0] * 70))
    assert power_findings(box) == []  # not settled: an hour's values may yet come
    clock.advance(timedelta(minutes=80))
    send(client, gateway, items("P1", start + 70 * MIN, [150.0] * 5))
    (finding,) = power_findings(box, "monitoring_offline")
    data = finding.data
    assert data["subject"] == GAS_MN and data["start"] == (start + 29 * MIN).isoformat()
    assert data["monitoring"]["last_data_before"] == (start + 19 * MIN).isoformat()
    assert [c["meter"] for c in data["curves"]] == ["P1"]
    assert power_findings(box, "treatment_idle") == []


def test_the_scheduler_judges_silent_monitoring_when_no_reading_arrives(
    client: TestClient, box: Container, gateway: dict[str, str], clock: FakeClock
) -> None:
    from ecoradar.problems.scheduler import run_once

    start = box.clock.now() - 70 * MIN
    send(client, gateway, items("P1", start, [150.0] * 70) + items("T1", start, [50.0] * 70))
    assert power_findings(box) == []  # not settled yet
    clock.advance(timedelta(minutes=80))  # the meters say nothing more
    report = run_once(box)
    assert "power: " in report.power and "1 finding(s)" in report.power
    (finding,) = power_findings(box, "monitoring_offline")
    assert finding.data["subject"] == GAS_MN
    assert run_once(box).power == ""  # once an hour


def test_the_batch_command_finds_the_same_episodes_once(
    client: TestClient, box: Container, gateway: dict[str, str], cli_env: dict[str, str]
) -> None:
    start = box.clock.now() - 70 * MIN
    send(client, gateway, items("P2", start, [100.0] * 60) + items("T2", start, [0.0] * 60))
    assert len(power_findings(box)) == 1
    runner = CliRunner()
    since = (start - timedelta(days=1)).isoformat()
    command = ["power", "detect", "--since", since, "--enterprise", E2]
    first = runner.invoke(cli, command)
    assert first.exit_code == 0, first.output
    # the command's clock is the real one: the water point's silence is settled by now
    assert len(power_findings(box, "monitoring_offline")) == 1
    again = runner.invoke(cli, command)
    assert "0 new episodes, 0 grown, 0 findings" in again.output
    assert len(power_findings(box, "treatment_idle")) == 1 and len(stored_episodes(box)) == 2


def test_curves_are_read_by_staff_in_reach_and_the_enterprise_itself_only(
    client: TestClient, box: Container, gateway: dict[str, str], make_user: MakeUser
) -> None:
    start = box.clock.now() - 30 * MIN
    send(client, gateway, items("P1", start, [100.0] * 10))
    url = f"/api/power/enterprises/{E1}/curves"
    own = make_user("enterprise", enterprise=E1)
    drawn = client.get(url, headers=own.headers).json()
    assert [m["meter"] for m in drawn["meters"]] == ["P1", "T1"]
    assert len(drawn["meters"][0]["points"]) == 10
    other = make_user("enterprise", enterprise=E2)
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.get(url, headers=make_user("officer", region="B").headers).status_code == 404
    too_long = {"start": (start - timedelta(days=8)).isoformat(), "end": start.isoformat()}
    assert client.get(url, params=too_long, headers=own.headers).status_code == 422


# --- pages -----------------------------------------------------------------------------------


def test_the_pages_show_staff_their_enterprises_and_an_enterprise_its_own(
    client: TestClient, box: Container, gateway: dict[str, str], make_user: MakeUser, logged_in: Any
) -> None:
    start = box.clock.now() - 70 * MIN
    send(client, gateway, items("P1", start, [150.0] * 60) + items("T1", start, [0.0] * 45))
    officer = make_user("officer", region="A")
    logged_in(client, officer)
    listing = client.get("/power")
    assert listing.status_code == 200 and f'data-enterprise="{E1}"' in listing.text
    page = client.get(f"/power/{E1}")
    assert page.status_code == 200
    assert 'id="power-chart"' in page.text and 'data-rule="treatment_idle"' in page.text
    assert "生产设施运行时治污设施停运或怠速" in page.text and 'data-meter="T1"' in page.text
    client.cookies.clear()
    own = make_user("enterprise", enterprise=E2)
    logged_in(client, own)
    mine = client.get("/power", follow_redirects=False)
    assert mine.status_code == 303 and mine.headers["location"] == f"/power/{E2}"
    assert client.get(f"/power/{E1}").status_code == 404
    client.cookies.clear()
    anonymous = client.get(f"/power/{E1}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_power_page_string_is_in_both_catalogs(locale: str) -> None:
    also = {("power", "Power metering"), ("channel", "Power sub-metering")}
    check_catalogs(locale, (TEMPLATE_DIR / "power").glob("*.html"), at_least=41, also=also)
