"""Analyser parameters out of CN=3020 uploads: kept, ignored, or refused with the item named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecoradar.analysers.parse import parameter_rows
from ecoradar.hj212.codec import decode, encode
from ecoradar.hj212.errors import HJ212Error

AT = datetime(2026, 11, 1, tzinfo=UTC)
MN = "010000A8900016F000169DC0"


def upload(cp: dict[str, str], items: dict[str, str], cn: str = "3020") -> bytes:
    return encode(
        qn="20261101080000000", st="32", cn=cn, pw="123456", mn=MN, flag=4,
        cp={"DataTime": "20261101080000", **cp},
        items={code: {"Info": value} for code, value in items.items()},
    )  # fmt: skip


def rows(frame: bytes) -> list[tuple[object, ...]]:
    return list(parameter_rows(decode(frame), 7, AT))


def test_a_parameter_upload_gives_one_record_with_its_numbers_and_items() -> None:
    [row] = rows(
        upload(
            {"PolId": "w01018"},
            {"i13001": "500", "i13006": "20261020093000", "i13007": "0.1", "i13008": "1.02"},
        )
    )
    point, factor, when, range_value, calibrated, intercept, slope, info, _ = row
    assert (point, factor, range_value, intercept, slope) == (7, "w01018", 500.0, 0.1, 1.02)
    assert calibrated == datetime(2026, 10, 20, 1, 30, tzinfo=UTC)
    assert when == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert info["i13006"] == "20261020093000"


def test_logs_states_and_other_commands_carry_no_parameters() -> None:
    assert rows(upload({"PolId": "w01018"}, {"i12001": "1"})) == []
    assert rows(upload({"PolId": "w01018"}, {"i13008": "1.0"}, cn="2061")) == []


@pytest.mark.parametrize(
    ("cp", "items", "reason", "named"),
    [
        ({}, {"i13008": "1.0"}, "missing_field", "PolId"),
        ({"PolId": "w01018"}, {"i13008": "steep"}, "bad_field", "i13008-Info"),
        ({"PolId": "w01018"}, {"i13001": "inf"}, "bad_field", "i13001-Info"),
        ({"PolId": "w01018"}, {"i13006": "20261341"}, "bad_field", "i13006-Info"),
    ],
)
def test_a_malformed_record_is_refused_naming_the_device_and_the_item(
    cp: dict[str, str], items: dict[str, str], reason: str, named: str
) -> None:
    with pytest.raises(HJ212Error) as caught:
        rows(upload(cp, items))
    assert caught.value.reason == reason
    assert named in caught.value.detail and MN in caught.value.detail
