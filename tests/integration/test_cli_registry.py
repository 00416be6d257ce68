"""The ``ecoradar`` commands of the foundation, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from ecoradar.cli import app
from ecoradar.core.migrate import MIGRATIONS
from tests.factories import (
    ENTERPRISE_HEADER,
    POINT_HEADER,
    china_city,
    enterprise_row,
    gas_rows,
    uscc,
    write_csv,
    write_json,
)

runner = CliRunner()


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    for args in (
        [],
        ["db"],
        ["regions"],
        ["registry"],
        ["db", "upgrade"],
        ["regions", "import"],
        ["registry", "import"],
        ["registry", "export"],
        ["sample-city"],
        ["serve"],
    ):
        code, out, _ = ecoradar(*args, "--help")
        assert code == 0, args
        assert "Usage" in out


def test_db_upgrade_reports_the_head_revision(cli_env: dict[str, str]) -> None:
    code, out, _ = ecoradar("db", "upgrade")
    assert code == 0
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert f"database at revision {head}" in out


def test_commands_refuse_a_database_that_is_not_migrated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ECORADAR_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("ECORADAR_DATABASE_URL", raising=False)
    code, _, err = ecoradar("regions", "list")
    assert code == 1
    assert "run `ecoradar db upgrade`" in err


def test_a_refused_registry_import_prints_one_line_per_bad_row_and_exits_non_zero(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert (
        ecoradar("regions", "import", str(write_json(tmp_path / "c.geojson", china_city())))[0] == 0
    )
    code = uscc(1)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    e = write_csv(
        tmp_path / "e.csv",
        ENTERPRISE_HEADER,
        [enterprise_row(1, 120.25, 30.5, code=bad), enterprise_row(2, 150, 30.5)],
    )
    status, out, err = ecoradar("registry", "import", "--enterprises", str(e))
    assert status == 1
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert lines[0].startswith("error: e.csv:2: code: unified social credit code")
    assert "bad check character, expected" in lines[0]
    assert lines[1].startswith(
        "error: e.csv:3: longitude: coordinates (150.0, 30.5, wgs84) lie outside every region"
    )
    assert "nothing was changed" in err
    status, out, _ = ecoradar("registry", "export", "--format", "json")
    assert json.loads(out) == {"enterprises": [], "points": []}


def test_export_writes_back_what_was_imported(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert (
        ecoradar("regions", "import", str(write_json(tmp_path / "c.geojson", china_city())))[0] == 0
    )
    e = write_csv(
        tmp_path / "e.csv",
        [*ENTERPRISE_HEADER, "crs"],
        [[*enterprise_row(1, 120.25, 30.5), "gcj02"]],
    )
    p = write_csv(tmp_path / "p.csv", POINT_HEADER, gas_rows(1, "MN0001"))
    status, out, err = ecoradar("registry", "import", "--enterprises", str(e), "--points", str(p))
    assert status == 0, err
    assert "1 enterprises (1 created, 0 updated)" in out
    status, _, _ = ecoradar(
        "registry", "export", "--format", "csv", "--output", str(tmp_path / "out")
    )
    assert status == 0
    exported_e = (tmp_path / "out" / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    assert exported_e[0] == (
        "code,name,industry,longitude,latitude,address,crs,permit_no,permit_valid_until"
    )
    assert exported_e[1].split(",")[3:5] == ["120.25", "30.5"]  # back in the system it came in
    status, out, err = ecoradar(
        "registry",
        "import",
        "--enterprises",
        str(tmp_path / "out" / "enterprises.csv"),
        "--points",
        str(tmp_path / "out" / "points.csv"),
    )
    assert status == 0, err
    assert "(0 created, 1 updated)" in out
    _, first, _ = ecoradar("registry", "export", "--format", "json")
    document = json.loads(first)
    assert [p["factor"] for p in document["points"]] == ["a21002", "a21026"]
    assert document["enterprises"][0]["crs"] == "gcj02"


def test_the_sample_city_loads_through_the_importers(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    status, out, _ = ecoradar("sample-city", str(tmp_path / "city"))
    assert status == 0
    status, out, err = ecoradar("regions", "import", str(tmp_path / "city" / "regions.geojson"))
    assert status == 0, err
    status, out, err = ecoradar(
        "registry",
        "import",
        "--enterprises",
        str(tmp_path / "city" / "enterprises.csv"),
        "--points",
        str(tmp_path / "city" / "points.csv"),
    )
    assert status == 0, err
    assert "500 enterprises (500 created, 0 updated)" in out
