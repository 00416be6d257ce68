"""``ecoradar inspections draw`` and ``list``: printed, stored unless --dry-run, reproducible
from the seed, refusals with exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.greencode.model import DEFAULT_PATH
from tests.factories import uscc
from tests.integration.inspections_support import city

runner = CliRunner()


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def world(
    container: Container, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Container:
    """The small city with its officers, and a model that draws every uncoded enterprise."""
    city(container, tmp_path)
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("yellow = 0.30", "yellow = 1.0")
    assert "yellow = 1.0" in text
    model = tmp_path / "model.toml"
    model.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ECORADAR_GREENCODE_MODEL", str(model))
    return container


def test_a_dry_run_prints_the_draw_and_stores_nothing(world: Container) -> None:
    code, out, err = ecoradar(
        "inspections", "draw", "--period", "2026-12", "--seed", "abc", "--dry-run", "--json"
    )
    assert code == 0, err
    got = json.loads(out)
    assert got["stored"] is False and got["draw"] is None
    assert got["seed"] == "abc" and got["algorithm"] == "draw-v1" and got["region"] == "C"
    assert [d["enterprise_code"] for d in got["drawn"]] == [uscc(1), uscc(2), uscc(3)]
    assert got["candidates_by_colour"] == {"yellow": 3}
    assert ecoradar("inspections", "list", "--json")[1] == ""


def test_the_stored_draw_is_the_dry_run_of_the_same_seed_and_is_listed(world: Container) -> None:
    args = ("inspections", "draw", "--period", "2026-12", "--seed", "abc", "--json")
    dry = json.loads(ecoradar(*args, "--dry-run")[1])
    code, out, err = ecoradar(*args)
    assert code == 0, err
    stored = json.loads(out)
    assert stored["stored"] is True and isinstance(stored["draw"], int)
    assert stored["drawn"] == dry["drawn"]
    code, out, _ = ecoradar("inspections", "list", "--json")
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert listed["draw"] == stored["draw"] and listed["seed"] == "abc"
    assert (listed["drawn"], listed["assigned"], listed["done"]) == (3, 3, 0)
    assert listed["created_at"].endswith("+08:00")


def test_a_second_draw_over_the_same_period_and_region_is_refused(world: Container) -> None:
    assert ecoradar("inspections", "draw", "--period", "2026-Q4")[0] == 0
    code, _, err = ecoradar("inspections", "draw", "--period", "2026-12", "--region", "A")
    assert code == 1 and "overlapping" in err


def test_the_text_output_lists_an_unstaffed_inspection(world: Container) -> None:
    code, out, err = ecoradar(
        "inspections", "draw", "--period", "2026-12", "--region", "B",
        "--inspectors-per-inspection", "3", "--seed", "s1",
    )  # fmt: skip
    assert code == 0, err
    assert "seed s1" in out and "UNSTAFFED" in out and "drawn 1, unstaffed 1" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "next month"), "period"),
        (("--period", "2026-12", "--region", "NOPE"), "no region"),
        (("--period", "2026-12", "--seed", "has space"), "seed"),
        (("--period", "2026-12", "--inspectors-per-inspection", "0"), "inspectors"),
    ],
)
def test_bad_options_are_refused_naming_them(
    world: Container, args: tuple[str, ...], message: str
) -> None:
    code, _, err = ecoradar("inspections", "draw", *args)
    assert code == 1 and message in err
