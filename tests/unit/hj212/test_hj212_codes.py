"""The code tables: Appendix B factors, 2005 codes, ST, CN, QnRtn, ExeRtn, data flags."""

from __future__ import annotations

import pytest

from ecoradar.hj212.codes import (
    CODE_2005_TO_2017,
    FACTORS,
    Command,
    DataFlag,
    ExeRtn,
    QnRtn,
    SystemCode,
    code_map_for,
    factor,
    is_known_factor,
    to_2017_code,
)
from tests.shared_data import hj212_path


def appendix_b_rows() -> list[tuple[str, str]]:
    """(code, rest of the line) of codes_2017_appendixB.tsv."""
    rows = []
    for line in hj212_path("codes_2017_appendixB.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, rest = line.split("\t")
            rows.append((code, rest))
    return rows


def test_every_code_of_the_appendix_b_file_is_in_the_catalogue() -> None:
    codes = {code for code, _ in appendix_b_rows()}
    assert codes <= set(FACTORS)
    assert len(codes) == 45


@pytest.mark.parametrize(("code", "rest"), appendix_b_rows())
def test_each_factor_has_the_chinese_name_and_2005_code_of_appendix_b(code: str, rest: str) -> None:
    found = FACTORS[code]
    assert found.code == code
    assert found.name_en
    assert found.medium == ("water" if code.startswith("w") else "gas")
    if rest.startswith("(see PDF"):
        return  # a34002 is split over lines in the PDF; checked by hand against page 25
    assert rest.startswith(found.name_zh)
    after_name = rest[len(found.name_zh) :].split()
    assert after_name[0] == (found.code_2005 or "--")
    assert after_name[1] == found.unit_zh
    assert after_name[-1] == found.data_type


def test_2005_codes_map_to_2017_codes() -> None:
    assert to_2017_code("011") == "w01018"
    assert to_2017_code("B01") == "w00000"
    assert to_2017_code("02") == "a21026"
    assert to_2017_code("S01") == "a19001"
    assert CODE_2005_TO_2017["060"] == "w21003"


def test_unknown_and_2017_codes_are_kept_as_they_are() -> None:
    assert to_2017_code("a21026") == "a21026"
    assert to_2017_code("802") == "802"
    assert to_2017_code("ua19004") == "ua19004"


def test_a_2005_code_of_the_other_medium_is_not_mapped_for_a_known_system() -> None:
    assert to_2017_code("011", st="32") == "w01018"
    assert to_2017_code("011", st="31") == "011"
    assert to_2017_code("02", st="32") == "02"
    assert to_2017_code("02", st="101") == "a21026"
    assert "011" not in code_map_for("22") and code_map_for("21")["011"] == "w01018"


def test_factors_are_found_by_either_code() -> None:
    so2 = factor("a21026")
    assert so2 is not None and so2.name_zh == "二氧化硫" and so2.unit == "mg/m3"
    assert factor("02") is so2
    assert factor("a99999") is None
    assert is_known_factor("011") and is_known_factor("w01018")
    assert not is_known_factor("802")


def test_the_2005_mapping_is_one_to_one() -> None:
    assert len(set(CODE_2005_TO_2017.values())) == len(CODE_2005_TO_2017)


def test_code_tables_hold_the_values_of_section_6_6() -> None:
    assert SystemCode.SYSTEM_INTERACTION.value == "91"
    assert SystemCode.AIR_POLLUTION_SOURCE.value == "31"
    assert (Command.DATA_ANSWER.value, Command.HOURLY_DATA.value) == ("9014", "2061")
    assert (QnRtn.CRC_ERROR.value, QnRtn.UNKNOWN_ERROR.value) == (9, 100)
    assert (ExeRtn.SUCCESS.value, ExeRtn.NO_DATA.value) == (1, 100)
    assert {f.value for f in DataFlag} == set("NFMSDCTBP")
