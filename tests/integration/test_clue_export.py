"""``ecoradar clues export``: the contract's fields, exactly, one clue per line."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.clues.intake import ClueReceipt
from ecoradar.core.clock import FakeClock
from tests.conftest import MakeUser
from tests.integration.clue_support import clue, load_city, photo, spot, submit

runner = CliRunner()
FIELDS = ["id", "channel", "category", "lat", "long", "received_at", "problem_id", "duplicate"]


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def sent(
    container: Container,
    clock: FakeClock,
    tmp_path: Path,
    cli_env: dict[str, str],
    make_user: MakeUser,
) -> list[ClueReceipt]:
    """Three clues a day apart: a public one, a grid worker's repeat of it (attached to its
    problem by deduplication) and a drone's detection elsewhere."""
    load_city(container, tmp_path)
    worker = make_user("grid_worker", region="G1")
    where = spot()
    text = "排污口排放黄色污水，水面有泡沫"
    first = submit(
        container,
        clue(category="water", attributes={}, description=text, photos=(photo(1),), **where),
    )
    clock.advance(timedelta(days=1))
    repeat = submit(
        container,
        clue(
            channel="grid_worker",
            category="water",
            attributes={},
            description=text,
            photos=(photo(1),),
            anonymous=False,
            reporter_user_id=worker.user_id,
            **where,
        ),
        actor=f"user:{worker.user_id}:{worker.username}",
    )
    clock.advance(timedelta(days=1))
    drone = submit(
        container,
        clue(
            channel="drone",
            category="air",
            attributes={},
            photos=(photo(2),),
            data={"platform_id": "UAV-1", "detection_type": "smoke", "confidence": 0.7},
        ),
        actor="system:test",
    )
    return [first, repeat, drone]


def test_jsonl_has_exactly_the_contract_fields_with_offsets(
    sent: list[ClueReceipt], container: Container
) -> None:
    code, out, err = ecoradar("clues", "export")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [list(r) for r in records] == [FIELDS] * 3
    assert [r["id"] for r in records] == [s.clue_id for s in sent]
    assert [r["channel"] for r in records] == ["public", "grid_worker", "drone"]
    assert [r["category"] for r in records] == ["water", "water", "air"]
    assert [r["problem_id"] for r in records] == [s.problem_id for s in sent]
    assert records[0]["problem_id"] == records[1]["problem_id"]
    assert [r["duplicate"] for r in records] == [False, True, False]
    assert records[0]["received_at"] == "2026-11-02T09:00:00+08:00"
    assert isinstance(records[0]["lat"], float) and isinstance(records[0]["long"], float)


def test_since_keeps_the_clues_received_from_then_on(sent: list[ClueReceipt]) -> None:
    code, out, _ = ecoradar("clues", "export", "--since", "2026-11-03T09:00:00")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [s.clue_id for s in sent[1:]]
    code, _, err = ecoradar("clues", "export", "--since", "last week")
    assert code == 1 and "--since 'last week' is not an ISO 8601" in err


def test_csv_has_a_header_and_the_same_values(sent: list[ClueReceipt]) -> None:
    code, out, _ = ecoradar("clues", "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == FIELDS
    assert [r["duplicate"] for r in rows] == ["false", "true", "false"]
    assert [int(r["problem_id"]) for r in rows] == [s.problem_id for s in sent]
    assert rows[2]["received_at"] == "2026-11-04T09:00:00+08:00"


def test_an_empty_register_exports_nothing(cli_env: dict[str, str]) -> None:
    code, out, _ = ecoradar("clues", "export")
    assert code == 0 and out == ""
    code, out, _ = ecoradar("clues", "export", "--format", "csv")
    assert out.splitlines() == [",".join(FIELDS)]
