"""Unified social credit codes (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoradar.core.errors import InputError
from ecoradar.registry.uscc import (
    ALPHABET,
    UsccError,
    check_character,
    is_valid_uscc,
    make_uscc,
    validate_uscc,
)

# Codes published on the companies' business licences / annual reports.
PUBLISHED = {
    "华为技术有限公司": "914403001922038216",
    "腾讯科技（深圳）有限公司": "9144030071526726XG",
    "中国石油化工股份有限公司": "91110000710926094P",
    "贵州茅台酒股份有限公司": "91520000214434146R",
    "阿里巴巴（中国）有限公司": "91330100799655058B",
    "比亚迪股份有限公司": "91440300192317458F",
}


@pytest.mark.parametrize("code", PUBLISHED.values(), ids=PUBLISHED.keys())
def test_published_codes_of_well_known_companies_are_valid(code: str) -> None:
    assert validate_uscc(code) == code
    assert is_valid_uscc(code)
    assert check_character(code[:17]) == code[17]


def test_a_letter_check_character_is_computed() -> None:
    assert check_character("9144030071526726X") == "G"


def test_validation_normalises_case_and_whitespace() -> None:
    assert validate_uscc(" 9144030071526726xg\n") == "9144030071526726XG"


def test_the_alphabet_has_31_characters_without_i_o_z_s_v() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOZSV") & set(ALPHABET)


def test_a_check_value_of_31_is_written_as_zero() -> None:
    # A body whose weighted sum is a multiple of 31 has check character 0.
    assert check_character("00000000000000000") == "0"


@pytest.mark.parametrize("code", ["91440300192203821", "9144030019220382166", ""])
def test_a_wrong_length_is_reported(code: str) -> None:
    with pytest.raises(UsccError, match=f"expected 18 characters, got {len(code)}"):
        validate_uscc(code)


@pytest.mark.parametrize(
    ("code", "char", "position"),
    [
        ("9144030019220382I6", "I", 17),
        ("O14403001922038216", "O", 1),
        ("914403001922038S16", "S", 16),
        ("91440300192203821-", "-", 18),
    ],
)
def test_an_illegal_character_is_reported_with_its_position(
    code: str, char: str, position: int
) -> None:
    with pytest.raises(UsccError, match=f"illegal character '{char}' at position {position}"):
        validate_uscc(code)


def test_a_division_code_with_letters_is_refused() -> None:
    body = "9144A300192203821"
    code = body + check_character(body)
    with pytest.raises(UsccError, match="division code '44A300'"):
        validate_uscc(code)


def test_a_bad_check_character_names_the_expected_and_the_given_one() -> None:
    with pytest.raises(UsccError, match="expected 6 got 7"):
        validate_uscc("914403001922038217")
    assert not is_valid_uscc("914403001922038217")


def test_usccerror_is_a_value_error_and_an_input_error() -> None:
    assert issubclass(UsccError, ValueError)
    assert issubclass(UsccError, InputError)


def test_check_character_refuses_a_body_of_the_wrong_length() -> None:
    with pytest.raises(UsccError, match="expected 17"):
        check_character("9144")


def test_make_uscc_builds_valid_codes_in_the_given_division() -> None:
    code = make_uscc("330502", 12_345_678)
    assert is_valid_uscc(code)
    assert code[:8] == "91330502"
    assert code[8:16] == "12345678"


def test_make_uscc_honours_authority_and_entity() -> None:
    assert make_uscc("330502", 1, authority="5", entity="2")[:2] == "52"


def test_make_uscc_is_deterministic() -> None:
    assert make_uscc("330521", 42) == make_uscc("330521", 42)


@pytest.mark.parametrize(
    ("division", "serial"), [("33050", 1), ("33050A", 1), ("330502", -1), ("330502", 10**8)]
)
def test_make_uscc_refuses_bad_arguments(division: str, serial: int) -> None:
    with pytest.raises(UsccError):
        make_uscc(division, serial)


@given(st.text(alphabet=ALPHABET, min_size=2, max_size=2), st.integers(0, 10**8 - 1))
def test_every_generated_code_validates(prefix: str, serial: int) -> None:
    assert is_valid_uscc(make_uscc("330500", serial, authority=prefix[0], entity=prefix[1]))


bodies = st.builds(
    lambda head, division, organisation: head + division + organisation,
    st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)


@given(bodies, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_changing_any_one_character_breaks_the_check(body: str, index: int, new: str) -> None:
    code = body + check_character(body)
    assert is_valid_uscc(code)
    changed = code[:index] + new + code[index + 1 :]
    if changed != code and changed[2:8].isdigit():
        assert not is_valid_uscc(changed)
