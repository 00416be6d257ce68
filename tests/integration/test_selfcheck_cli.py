"""The ``ecoradar selfcheck`` contracts: import-points, generate, stats, templates import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.selfcheck.importer import COLUMNS
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask, TemplateVersion
from tests.factories import load_small_registry, uscc
from tests.integration.selfcheck_support import point_row, write_points

runner = CliRunner()


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def registry(container: Container, cli_env: dict[str, str], tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def count(box: Container, model: type) -> int:
    with box.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_import_points_creates_then_updates_by_enterprise_and_point_code(
    registry: Container, tmp_path: Path
) -> None:
    path = write_points(
        tmp_path / "p.csv",
        [point_row(1, "CP01"), point_row(1, "CP02", "outfall", "0 9 * * 1-5"), point_row(2, "A")],
    )
    code, out, err = ecoradar("selfcheck", "import-points", str(path))
    assert code == 0, err
    assert "3 control points (3 created, 0 updated)" in out
    path = write_points(tmp_path / "p.csv", [point_row(1, "CP01", "tank_area", "weekly")])
    code, out, _ = ecoradar("selfcheck", "import-points", str(path))
    assert "(0 created, 1 updated)" in out
    with registry.transaction() as session:
        point = session.scalar(select(ControlPoint).where(ControlPoint.code == "CP01"))
        assert point is not None and point.schedule_kind == "weekly"
        assert point.point_type.code == "tank_area"
    assert count(registry, ControlPoint) == 3


def test_import_points_reads_xlsx(registry: Container, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    sheet.append(point_row(1, "X1", "monitoring_room", "monthly"))
    book.save(tmp_path / "p.xlsx")
    code, out, err = ecoradar("selfcheck", "import-points", str(tmp_path / "p.xlsx"))
    assert code == 0, err
    assert count(registry, ControlPoint) == 1


def test_a_bad_file_is_refused_whole_with_one_line_per_problem(
    registry: Container, tmp_path: Path
) -> None:
    rows = [
        point_row(1, "OK"),
        [uscc(9), "P1", "outfall", "名称", 120.25, 30.5, "daily"],
        point_row(1, "P2", "boiler"),
        point_row(1, "P3", schedule="every day"),
        point_row(1, "P4", lon=200),
        point_row(1, "OK"),
        [uscc(1), "P5", "outfall", "", 120.25, 30.5, "61 * * * *"],
    ]
    path = write_points(tmp_path / "bad.csv", rows)
    code, _, err = ecoradar("selfcheck", "import-points", str(path))
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert lines[0] == f"error: bad.csv:3: enterprise_code: unknown enterprise '{uscc(9)}'"
    assert any(line.startswith("error: bad.csv:4: type: unknown type 'boiler'") for line in lines)
    assert any(line.startswith("error: bad.csv:5: schedule:") for line in lines)
    assert any(line.startswith("error: bad.csv:6: longitude:") for line in lines)
    assert any(line.startswith("error: bad.csv:7: point_code: point OK") for line in lines)
    assert any(line.startswith("error: bad.csv:8: name:") for line in lines)
    assert any(line.startswith("error: bad.csv:8: schedule:") for line in lines)
    assert "nothing was changed" in err
    assert count(registry, ControlPoint) == 0


def test_a_missing_column_is_named(registry: Container, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("enterprise_code,point_code,type,name,longitude,latitude\n", encoding="utf-8")
    code, _, err = ecoradar("selfcheck", "import-points", str(path))
    assert code == 1 and "p.csv:1: schedule: required column missing" in err


def test_generate_until_a_date_is_idempotent(registry: Container, tmp_path: Path) -> None:
    path = write_points(tmp_path / "p.csv", [point_row(1, "CP01"), point_row(2, "CP01")])
    ecoradar("selfcheck", "import-points", str(path))
    # the command keeps the real clock: points created "now", tasks up to 3 days later
    from datetime import UTC, datetime, timedelta

    from ecoradar.core.clock import CHINA_TZ

    until = (datetime.now(UTC).astimezone(CHINA_TZ) + timedelta(days=2)).date().isoformat()
    code, out, err = ecoradar("selfcheck", "generate", "--until", until)
    assert code == 0, err
    assert out.startswith("6 task(s) created")
    code, out, _ = ecoradar("selfcheck", "generate", "--until", until)
    assert out.startswith("0 task(s) created")
    assert count(registry, SelfcheckTask) == 6
    code, _, err = ecoradar("selfcheck", "generate", "--until", "tomorrow")
    assert code == 1 and "--until" in err


def test_stats_prints_one_json_object_with_the_contract_figures(
    registry: Container, tmp_path: Path
) -> None:
    path = write_points(tmp_path / "p.csv", [point_row(1, "CP01"), point_row(2, "CP01")])
    ecoradar("selfcheck", "import-points", str(path))
    ecoradar("selfcheck", "generate")
    code, out, err = ecoradar("selfcheck", "stats", "--format", "json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["enterprises"] == 2 and figures["control_points"] == 2
    assert figures["tasks_sent"] == 2
    for key in ("tasks_completed", "tasks_overdue", "tasks_failed"):
        assert figures[key] == 0
    code, out, _ = ecoradar(
        "selfcheck", "stats", "--from", "2000-01-01", "--to", "2000-01-31", "--format", "json"
    )
    assert json.loads(out)["tasks_sent"] == 0
    code, out, _ = ecoradar("selfcheck", "stats", "--format", "json", "--by", "enterprise")
    groups = json.loads(out)["groups"]
    assert [g["key"] for g in groups] == sorted([uscc(1), uscc(2)])


def test_templates_import_issues_a_new_version_once(registry: Container, tmp_path: Path) -> None:
    document = [
        {
            "point_type": "outfall",
            "items": [
                {
                    "code": "sign_intact",
                    "kind": "yes_no",
                    "label": "标志牌完好",
                    "must_be_yes": True,
                },
                {
                    "code": "cod",
                    "kind": "number",
                    "label": "COD",
                    "min": 0,
                    "max": 50,
                    "unit": "mg/L",
                },
            ],
        },
        {
            "point_type": "sludge_press",
            "type_name": "污泥压滤机",
            "category": "solid_waste",
            "items": [{"code": "running", "kind": "yes_no", "label": "运行正常"}],
        },
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, err = ecoradar("selfcheck", "templates", "import", str(path))
    assert code == 0, err
    assert "outfall: version 2 (new)" in out and "sludge_press: version 1 (new)" in out
    code, out, _ = ecoradar("selfcheck", "templates", "import", str(path))
    assert "outfall: version 2 (unchanged)" in out
    before = count(registry, TemplateVersion)
    path.write_text('[{"point_type": "outfall", "items": [{"code": "x"}]}]', encoding="utf-8")
    code, _, err = ecoradar("selfcheck", "templates", "import", str(path))
    assert code == 1 and "templates[0]: items[0].kind" in err
    assert count(registry, TemplateVersion) == before
