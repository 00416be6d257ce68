"""The standards library of named limit sets."""

from __future__ import annotations

import dataclasses

import pytest

from ecoradar.core.errors import NotFoundError
from ecoradar.registry.standards import (
    COD,
    DUST,
    NH3_N,
    NOX,
    SO2,
    STANDARDS,
    TN,
    TP,
    LimitSet,
    LimitSpec,
    UnknownStandardError,
    get_limit_set,
    limit_for,
)

EXPECTED_KEYS = {
    "GB13223-2011/coal-new",
    "GB13223-2011/coal-existing",
    "GB13223-2011/gas-boiler",
    "GB13223-2011/gas-turbine",
    "GB13223-2011/ultra-low",
    "GB18918-2002/1A",
    "GB18918-2002/1B",
    "GB8978-1996/1",
    "GB8978-1996/2",
    "GB8978-1996/3",
}


def test_the_library_holds_the_expected_sets_under_their_keys() -> None:
    assert set(STANDARDS) == EXPECTED_KEYS
    assert all(limit_set.key == key for key, limit_set in STANDARDS.items())


def test_factor_codes_are_those_of_hj212_2017() -> None:
    assert (SO2, NOX, DUST) == ("a21026", "a21002", "a34013")
    assert (COD, NH3_N, TP, TN) == ("w01018", "w21003", "w21011", "w21001")


@pytest.mark.parametrize(
    ("key", "so2", "nox", "dust", "o2"),
    [
        ("GB13223-2011/coal-new", 100, 100, 30, 6),
        ("GB13223-2011/coal-existing", 200, 100, 30, 6),
        ("GB13223-2011/gas-boiler", 35, 100, 5, 3),
        ("GB13223-2011/gas-turbine", 35, 50, 5, 15),
        ("GB13223-2011/ultra-low", 35, 50, 10, 6),
    ],
)
def test_gas_sets_hold_hourly_limits_at_their_reference_oxygen(
    key: str, so2: float, nox: float, dust: float, o2: float
) -> None:
    limit_set = get_limit_set(key)
    assert limit_set.medium == "gas"
    assert limit_set.standard == "GB 13223-2011"
    assert {f: s.limit for f, s in limit_set.limits.items()} == {SO2: so2, NOX: nox, DUST: dust}
    for spec in limit_set.limits.values():
        assert (spec.unit, spec.averaging, spec.o2_reference) == ("mg/m3", "hour", o2)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("GB18918-2002/1A", {COD: 50, NH3_N: 5, TN: 15, TP: 0.5}),
        ("GB18918-2002/1B", {COD: 60, NH3_N: 8, TN: 20, TP: 1}),
        ("GB8978-1996/1", {COD: 100, NH3_N: 15}),
        ("GB8978-1996/2", {COD: 150, NH3_N: 25}),
        ("GB8978-1996/3", {COD: 500}),
    ],
)
def test_water_sets_hold_daily_limits_without_oxygen_reference(
    key: str, expected: dict[str, float]
) -> None:
    limit_set = get_limit_set(key)
    assert limit_set.medium == "water"
    assert {f: s.limit for f, s in limit_set.limits.items()} == expected
    for spec in limit_set.limits.values():
        assert (spec.unit, spec.averaging, spec.o2_reference) == ("mg/L", "day", None)


def test_every_set_has_chinese_and_english_titles_and_a_standard_number() -> None:
    for limit_set in STANDARDS.values():
        assert limit_set.title_zh and limit_set.title_en
        assert limit_set.standard.startswith("GB ")
        assert limit_set.key.replace(" ", "").startswith(limit_set.standard.replace(" ", ""))
        assert all(factor == spec.factor for factor, spec in limit_set.limits.items())


def test_limit_for_returns_the_spec_of_a_factor() -> None:
    assert limit_for("GB18918-2002/1A", COD) == LimitSpec(COD, 50.0, "mg/L", "day", None)


def test_limit_for_returns_none_when_the_set_does_not_limit_the_factor() -> None:
    assert limit_for("GB8978-1996/3", NH3_N) is None
    assert limit_for("GB13223-2011/coal-new", COD) is None


def test_an_unknown_key_is_named_and_the_known_keys_listed() -> None:
    with pytest.raises(UnknownStandardError, match="'GB9999-2000/1'") as info:
        get_limit_set("GB9999-2000/1")
    assert "GB18918-2002/1A" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, NotFoundError)


def test_limit_for_with_an_unknown_key_raises_too() -> None:
    with pytest.raises(UnknownStandardError):
        limit_for("nope", COD)


def test_keys_are_matched_after_trimming_whitespace() -> None:
    assert get_limit_set(" GB8978-1996/2 ").key == "GB8978-1996/2"


def test_limit_sets_and_specs_are_frozen() -> None:
    limit_set: LimitSet = get_limit_set("GB8978-1996/1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        limit_set.key = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        limit_set.limits[COD].limit = 1.0  # type: ignore[misc]
