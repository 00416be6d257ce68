"""The ``ecoradar reminders`` contracts: generate (again for the same time: nothing new),
export (jsonl and csv, parsed back), pdf (its text layer holds the Chinese text and the
enterprise's name)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from tests.factories import uscc
from tests.integration import reminders_support as rs

runner = CliRunner()
AT = "2026-11-21T00:00:00+08:00"


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def registry(container: Container, cli_env: dict[str, str], tmp_path: Path) -> Container:
    rs.world(container, tmp_path)
    rs.set_permit(container, 1, date(2026, 12, 15), "91330502MA2B000001001P")
    rs.set_permit(container, 2, date(2027, 1, 10), "91330502MA2B000002001P")
    return container


def test_generate_creates_the_reminders_due_once_for_the_same_time(registry: Container) -> None:
    code, out, err = ecoradar("reminders", "generate", "--at", AT)
    assert code == 0, err
    assert "2 created (2 issued automatically)" in out
    assert "ZS-2026-0001 issued" in out and "ZS-2026-0002 issued" in out
    code, out, _ = ecoradar("reminders", "generate", "--at", AT)
    assert code == 0 and "0 created" in out and "0 issue(s)" in out


def test_export_jsonl_and_csv_parse_back_with_the_contract_fields(registry: Container) -> None:
    ecoradar("reminders", "generate", "--at", AT)
    code, out, _ = ecoradar("reminders", "export")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["number"] for line in lines] == ["ZS-2026-0001", "ZS-2026-0002"]
    first = lines[0]
    assert set(first) == {"number", "enterprise_code", "status", "created_at", "issues"}
    assert first["enterprise_code"] == uscc(1) and first["status"] == "issued"
    assert first["created_at"].endswith("+08:00")
    assert first["issues"] == [
        {
            "trigger": "permit_expiry",
            "factor": None,
            "evidence": {
                "permit_no": "91330502MA2B000001001P",
                "valid_until": "2026-12-15",
                "days_left": 24,
                "stage_days": 30,
            },
        }
    ]
    code, out, _ = ecoradar("reminders", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["number"] for r in rows] == ["ZS-2026-0001", "ZS-2026-0002"]
    assert json.loads(rows[1]["issues"])[0]["evidence"]["days_left"] == 50


def test_the_pdfs_text_layer_holds_the_chinese_text_and_the_enterprises_name(
    registry: Container, tmp_path: Path
) -> None:
    ecoradar("reminders", "generate", "--at", AT)
    target = tmp_path / "r.pdf"
    code, out, err = ecoradar("reminders", "pdf", "ZS-2026-0001", "--output", str(target))
    assert code == 0, err
    assert target.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "企业环境服务提醒函" in text
    assert "测试企业1有限公司" in text
    assert "舟山市生态环境局" in text and "ZS-2026-0001" in text
    assert "排污许可证即将到期" in text
    for page in text.split("\f")[:-1]:  # every page's margin: the bureau and the number
        assert "舟山市生态环境局" in page and "ZS-2026-0001" in page
    first = text.split("\f")[0]
    assert first.count("ZS-2026-0001") >= 2  # the margin's and the document's own
    code, _, _ = ecoradar(
        "reminders", "pdf", "ZS-2026-0001", "--output", str(target), "--lang", "en"
    )
    english = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Enterprise environment service reminder" in " ".join(english.split())
    assert "测试企业1有限公司" in english


def test_pdf_of_an_unknown_number_is_refused(registry: Container, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["reminders", "pdf", "ZS-2026-9999", "--output", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0
    assert not (tmp_path / "x.pdf").exists()
