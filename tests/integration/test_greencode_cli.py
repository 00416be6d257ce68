"""The ``ecoradar greencode`` contracts: recompute (a summary by colour) and export (jsonl and
csv, parsed back), with another model file in force through ECORADAR_GREENCODE_MODEL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.greencode.model import DEFAULT_PATH, INDICATORS
from ecoradar.registry.models import Enterprise
from tests.factories import load_small_registry, uscc

runner = CliRunner()
FIELDS = ["enterprise_code", "colour", "score", "computed_at", "indicators", "reasons"]


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def registry(
    container: Container, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Container:
    """The small registry; enterprise 2's permit expired, and a model that weighs the permit
    so heavily that an expired one makes the code red."""
    load_small_registry(container, tmp_path)
    with container.transaction() as session:
        company = session.scalars(select(Enterprise).where(Enterprise.code == uscc(2))).one()
        company.permit_no = "91330500MA2B000002001P"
        company.permit_valid_until = date(2026, 1, 31)
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    text = text.replace("permit = 5\n", "permit = 500\n").replace(
        'version = "2026.2"', 'version = "test-permit"'
    )
    model = tmp_path / "model.toml"
    model.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ECORADAR_GREENCODE_MODEL", str(model))
    return container


def test_recompute_prints_a_summary_by_colour(registry: Container) -> None:
    code, out, err = ecoradar("greencode", "recompute")
    assert code == 0, err
    assert "3 code(s) computed, 3 changed colour: green 2, yellow 0, red 1" in out
    assert "model test-permit (three colours)" in out


def test_export_jsonl_is_one_enterprise_per_line_with_the_contract_fields(
    registry: Container,
) -> None:
    assert ecoradar("greencode", "recompute")[0] == 0
    code, out, err = ecoradar("greencode", "export")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["enterprise_code"] for r in records] == [uscc(1), uscc(2), uscc(3)]
    for record in records:
        assert list(record) == FIELDS
        assert set(record["indicators"]) == set(INDICATORS)
        assert 0 <= record["score"] <= 100
        assert datetime.fromisoformat(record["computed_at"]).utcoffset() is not None
        assert record["computed_at"].endswith("+08:00")
    green, red = records[0], records[1]
    assert green["colour"] == "green" and green["reasons"] == []
    assert green["indicators"]["permit"] is None and green["indicators"]["problems"] == 100.0
    assert red["colour"] == "red" and red["indicators"]["permit"] == 0.0
    assert red["reasons"] == ["discharge permit 91330500MA2B000002001P expired 2026-01-31"]


def test_export_csv_parses_back_with_json_in_the_cells(registry: Container, tmp_path: Path) -> None:
    assert ecoradar("greencode", "recompute")[0] == 0
    code, out, err = ecoradar("greencode", "export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == FIELDS and len(rows) == 3
    red = rows[1]
    assert red["colour"] == "red" and float(red["score"]) < 60
    assert json.loads(red["indicators"])["permit"] == 0.0
    assert json.loads(red["reasons"])[0].startswith("discharge permit")
    assert json.loads(rows[0]["reasons"]) == []
    target = tmp_path / "codes.csv"
    assert ecoradar("greencode", "export", "--format", "csv", "--output", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == out


def test_a_bad_model_file_stops_the_command_naming_the_file_and_the_key(
    registry: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_PATH.read_text(encoding="utf-8").replace("red = 1.0", "red = 7"))
    monkeypatch.setenv("ECORADAR_GREENCODE_MODEL", str(bad))
    code, _, err = ecoradar("greencode", "recompute")
    assert code == 1
    assert str(bad) in err.replace("\n", "") and "inspection_rates.red" in err
