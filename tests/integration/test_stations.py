"""Ambient stations: ``ecoradar stations import`` (CSV and XLSX, all or nothing, errors naming
file, line and column), a station's packets through the real gateway socket into the same
store, the JSON API, and stations kept out of the enterprises' views."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.gateway import Gateway
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.monitoring.store import load_directory
from ecoradar.registry import service as registry
from ecoradar.stations.models import Station
from tests.conftest import MakeUser
from tests.factories import POINT_HEADER, gas_rows, load_small_registry, write_csv
from tests.integration.problem_support import create_app_for
from tests.integration.station_support import (
    PASSWORD,
    STATIONS,
    hours,
    import_stations,
    load_regions,
    packet,
    station_rows,
)
from tests.integration.test_gateway import Device, run_gateway

runner = CliRunner()
HEADER = ["code", "name", "kind", "mn", "longitude", "latitude", "password"]
GOOD = [
    ["1001A", "东四", "air", "MN1001A", "116.417", "39.929", "pw1"],
    ["W01", "通惠河断面", "water", "MNW01", "116.5", "39.9", ""],
]


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def stored(box: Container) -> dict[str, tuple[str, str, str | None, str, int | None]]:
    with box.reading() as session:
        return {
            s.code: (s.name, s.point.mn, s.point.password, s.point.medium, s.water_class)
            for s in session.scalars(select(Station))
        }


@pytest.fixture
def beijing(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_regions(container, tmp_path)
    return container


def test_stations_import_from_csv_creates_each_station_with_its_device(
    beijing: Container, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "stations.csv", HEADER, GOOD)
    code, out, err = ecoradar("stations", "import", str(path))
    assert (code, err.strip()) == (0, "")
    assert "imported 2 stations (2 created, 0 updated)" in out
    assert stored(beijing) == {
        "1001A": ("东四", "MN1001A", "pw1", "gas", None),
        "W01": ("通惠河断面", "MNW01", None, "water", 3),
    }
    with beijing.reading() as session:
        directory = load_directory(session)
    assert directory["MN1001A"].password == "pw1"
    assert directory["MN1001A"].enterprise_code == ""
    renamed = [["1001A", "东四站", "air", "MN1001B", "116.417", "39.929", "pw2"]]
    code, out, _ = ecoradar(
        "stations", "import", str(write_csv(tmp_path / "b.csv", HEADER, renamed))
    )
    assert code == 0 and "(0 created, 1 updated)" in out
    assert stored(beijing)["1001A"] == ("东四站", "MN1001B", "pw2", "gas", None)


def test_stations_import_reads_xlsx_with_the_optional_columns(
    beijing: Container, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name", "kind", "mn", "longitude", "latitude", "water_class"])
    sheet.append(["W02", "温榆河断面", "water", "MNW02", 116.6, 40.05, "II"])
    sheet.append(["1011A", "奥体中心", "AIR", "MN1011A", 116.397, 39.982, None])
    path = tmp_path / "stations.xlsx"
    book.save(path)
    code, out, err = ecoradar("stations", "import", str(path))
    assert (code, err.strip()) == (0, ""), err
    assert stored(beijing) == {
        "W02": ("温榆河断面", "MNW02", None, "water", 2),
        "1011A": ("奥体中心", "MN1011A", None, "gas", None),
    }


def test_a_bad_line_refuses_the_whole_file_naming_file_line_and_column(
    beijing: Container, tmp_path: Path
) -> None:
    rows = [
        *GOOD,
        ["1001A", "重复", "air", "MN9", "116.4", "39.9", ""],
        ["X1", "", "noise", "bad mn", "200", "39.9", ""],
        ["X2", "远方", "air", "MNX2", "121.0", "31.0", ""],
        ["X3", "空气站", "air", "MNX3", "116.4", "39.9", "", "III"],
    ]
    path = write_csv(tmp_path / "bad.csv", [*HEADER, "water_class"], rows)
    code, out, err = ecoradar("stations", "import", str(path))
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: bad.csv:4: code: station 1001A already on line 2",
        "error: bad.csv:5: name: required",
        "error: bad.csv:5: kind: unknown kind 'noise'; use air or water",
        "error: bad.csv:5: mn: 'bad mn' is not an MN (1-64 letters, digits, - or _)",
        "error: bad.csv:5: longitude: '200' is not a longitude",
        "error: bad.csv:6: longitude: coordinates (121.0, 31.0, wgs84) lie outside every region",
        "error: bad.csv:7: water_class: must be empty for an air station",
    ]
    assert "refused: 7 error(s); nothing was changed" in err
    assert stored(beijing) == {}


def test_missing_columns_and_unknown_files_are_refused(beijing: Container, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "short.csv", ["code", "name", "kind"], [["A", "B", "air"]])
    code, _, err = ecoradar("stations", "import", str(path))
    assert code == 1 and "short.csv" in err and "mn" in err
    code, _, err = ecoradar("stations", "import", str(tmp_path / "none.csv"))
    assert code == 1 and "none.csv" in err


def test_an_mn_is_either_an_enterprises_or_a_stations(
    container: Container, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    load_small_registry(container, tmp_path)  # regions around (120, 30), an enterprise MN
    enterprise_mn = "A1B2C3D4E5F60718293A4B5C"
    rows = [["S1", "城东站", "air", enterprise_mn, "120.25", "30.5", ""]]
    code, _, err = ecoradar("stations", "import", str(write_csv(tmp_path / "s.csv", HEADER, rows)))
    assert code == 1
    assert "s.csv:2: mn: MN A1B2C3D4E5F60718293A4B5C is a point of enterprise" in err
    rows = [["S1", "城东站", "air", "STATIONMN1", "120.25", "30.5", ""]]
    assert ecoradar("stations", "import", str(write_csv(tmp_path / "t.csv", HEADER, rows)))[0] == 0
    points = write_csv(
        tmp_path / "p.csv", POINT_HEADER, [[*r[:3], "STATIONMN1", *r[4:]] for r in gas_rows(1, "x")]
    )
    with pytest.raises(Exception, match="p.csv:2: mn: MN STATIONMN1 is the device of ambient"):
        with container.transaction() as session:
            registry.import_registry(
                session=session,
                enterprises=None,
                points=points,
                regions=container.regions,
                now=container.clock.now(),
            )


def test_a_stations_packets_go_through_the_gateway_into_the_same_store(
    container: Container, tmp_path: Path
) -> None:
    load_regions(container, tmp_path)
    import_stations(container, tmp_path, ["Dongsi"])
    at = datetime(2015, 8, 3, 10, tzinfo=CHINA_TZ)
    sample = list(hours("Dongsi", at, at + timedelta(hours=3)))
    good = [packet(h, answer=True) for h in sample]
    wrong = packet(sample[0], password="000000", answer=True)

    async def scenario(gateway: Gateway) -> list:
        device = await Device.connect(gateway)
        await device.send(b"".join(good))
        answers = await device.frames(len(good))
        await device.send(wrong)
        answers.append(await device.frame())
        await device.close()
        return answers

    answers = run_gateway(container, scenario)
    assert [a.cn for a in answers[:3]] == ["9014"] * 3
    assert answers[3].cn == "9011" and answers[3].cp.get("QnRtn") == "3"
    with container.reading() as session:
        station = session.scalar(select(Station))
        assert station is not None
        rows = session.scalar(
            select(func.count()).where(
                Measurement.point_id == station.point.id, Measurement.kind == "hour"
            )
        )
        assert rows == sum(len([c for c in ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP",
                                              "PRES", "WSPM") if h.value(c) is not None])
                           + 2 for h in sample)  # fmt: skip
        outcomes = dict(
            session.execute(
                select(RawPacket.outcome, func.count()).group_by(RawPacket.outcome)
            ).all()
        )
        assert outcomes == {"stored": 3, "auth_failed": 1}


def test_the_api_lists_stations_and_their_readings_to_staff_only(
    container: Container, tmp_path: Path, make_user: MakeUser
) -> None:
    load_small_registry(container, tmp_path)  # an enterprise and its user, around (120, 30)
    load_regions(container, tmp_path)
    import_stations(container, tmp_path, ["Dongsi", "Aotizhongxin"])
    from ecoradar.monitoring.pipeline import Intake
    from tests.integration.station_support import frames

    at = datetime(2015, 8, 3, 10, tzinfo=CHINA_TZ)
    Intake(container).run(frames(["Dongsi", "Aotizhongxin"], at, at + timedelta(hours=4)))
    client = TestClient(create_app_for(container))
    officer = make_user("officer", region="A")  # an officer of another region sees them too
    listed = client.get("/api/stations", headers=officer.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [s["code"] for s in body] == ["1001A", "1011A"]
    assert body[0]["kind"] == "air" and body[0]["region"] == "BJS"
    assert body[0]["last_hour"] == "2015-08-03T13:00:00+08:00"
    readings = client.get(
        "/api/stations/1001A/readings",
        params={"since": "2015-08-03T12:00", "factor": "a01008"},
        headers=officer.headers,
    )
    assert readings.status_code == 200
    got = readings.json()["readings"]
    want = list(hours("Dongsi", at + timedelta(hours=2), at + timedelta(hours=4)))
    assert [r["data_time"] for r in got] == [h.when.isoformat() for h in want]
    assert [r["value"] for r in got] == [float(STATIONS_DIRECTIONS[h.row["wd"]]) for h in want]
    assert got[0]["unit"] == "°" and got[0]["valid"] is True
    wind = client.get(
        "/api/stations/wind",
        params={"lat": 39.95, "lon": 116.41, "at": "2015-08-03T12:30"},
        headers=officer.headers,
    )
    assert wind.status_code == 200 and wind.json()["compass"]
    assert client.get("/api/stations/NOPE", headers=officer.headers).status_code == 404
    assert client.get("/api/stations?kind=noise", headers=officer.headers).status_code == 422
    company = make_user("enterprise", enterprise=_first_enterprise(container))
    assert client.get("/api/stations", headers=company.headers).status_code == 403
    # the enterprise's user does not see a station's series either
    mn = STATIONS["Dongsi"].mn
    series = client.get(
        f"/api/monitoring/points/{mn}/series", params={"factor": "a34004"}, headers=company.headers
    )
    assert series.status_code == 404


STATIONS_DIRECTIONS = {
    p: n * 22.5
    for n, p in enumerate(
        ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
         "NW", "NNW")
    )
}  # fmt: skip


def _first_enterprise(box: Container) -> str:
    from ecoradar.registry.models import Enterprise

    with box.reading() as session:
        code = session.scalar(select(Enterprise.code).order_by(Enterprise.code))
        assert code is not None
        return code


def test_stations_stay_out_of_the_enterprises_views(
    container: Container, tmp_path: Path, make_user: MakeUser
) -> None:
    load_small_registry(container, tmp_path)
    load_regions(container, tmp_path)
    import_stations(container, tmp_path, ["Dongsi"])
    from ecoradar.monitoring.pipeline import Intake
    from tests.integration.station_support import frames

    at = datetime(2015, 8, 3, 10, tzinfo=CHINA_TZ)
    Intake(container).run(frames(["Dongsi"], at, at + timedelta(hours=2)))
    client = TestClient(create_app_for(container))
    admin = make_user("admin")
    headers = admin.headers
    devices = client.get("/api/monitoring/devices", headers=headers)
    assert devices.status_code == 200
    assert STATIONS["Dongsi"].mn not in devices.text
    exported = client.get("/api/enterprises.geojson", headers=headers).json()
    assert len(exported["features"]) == 3
    code, out, _ = ecoradar_env(container, "registry", "export", "--format", "json")
    assert code == 0 and STATIONS["Dongsi"].mn not in out


def ecoradar_env(box: Container, *args: str) -> tuple[int, str, str]:
    env = {
        "ECORADAR_DATABASE_URL": box.settings.database_url,
        "ECORADAR_HOME": str(box.settings.home),
        "ECORADAR_ENVIRONMENT": "test",
        "ECORADAR_SECRET_KEY": box.settings.secret_key,
    }
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_station_rows_match_the_import_contract() -> None:
    assert HEADER[:6] == ["code", "name", "kind", "mn", "longitude", "latitude"]
    assert station_rows(["Dongsi"])[0][6] == PASSWORD
