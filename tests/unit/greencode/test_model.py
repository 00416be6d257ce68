"""The model file: the built-in one loads; a bad one is refused naming the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecoradar.core.errors import ConfigurationError
from ecoradar.greencode.model import DEFAULT_PATH, INDICATORS, load_model

BUILT_IN = DEFAULT_PATH.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_built_in_model_loads_with_every_indicator_and_the_draw_rates() -> None:
    model = load_model()
    assert model.version and model.scheme.name == "three"
    assert set(model.weights) == set(INDICATORS)
    assert model.scheme.colours == ("green", "yellow", "red")
    assert model.inspection_rates["red"] == 1.0
    assert model.compliance_bands == ((0.9, 80.0, 100.0), (0.75, 50.0, 79.0), (0.0, 0.0, 49.0))


def test_another_file_puts_the_five_colour_scheme_in_force(tmp_path: Path) -> None:
    text = BUILT_IN.replace('scheme = "three"', 'scheme = "five"').replace(
        'version = "2026.2"', 'version = "local-5"'
    )
    model = load_model(write(tmp_path, text))
    assert model.version == "local-5"
    assert model.scheme.colours == ("green", "blue", "yellow", "red", "black")
    assert model.scheme.veto_colour == "black"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('version = "2026.2"\n', "", "version: missing"),
        ("problems = 15\n", 'problems = "many"\n', "weights.problems: 'many' is not a number"),
        ('scheme = "three"', 'scheme = "four"', "scheme: 'four' is not one of three, five"),
        ('["yellow", 60]', '["purple", 60]', "schemes.three.cutoffs[1]"),
        ('"flatline",', '"flatlined",', "data_quality.falsification_kinds: flatlined"),
        ("[0.75, 50, 79]", "[0.95, 50, 79]", "monitoring_compliance.bands[1]"),
        ("waiting_days = 30", "waiting_days = -1", "repair.waiting_days"),
        ("red = 1.0", "red = 2.0", "inspection_rates.red"),
        ('aggregate = "worst"', 'aggregate = "mean"', "monitoring_compliance.aggregate"),
    ],
)
def test_a_bad_model_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    assert old in BUILT_IN
    path = write(tmp_path, BUILT_IN.replace(old, new, 1))
    with pytest.raises(ConfigurationError, match=re.escape(str(path))) as refused:
        load_model(path)
    assert key in str(refused.value)


def test_text_that_is_not_toml_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "version = \n")
    with pytest.raises(ConfigurationError, match=f"{re.escape(str(path))}: not TOML"):
        load_model(path)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="nowhere.toml: cannot be read"):
        load_model(tmp_path / "nowhere.toml")
