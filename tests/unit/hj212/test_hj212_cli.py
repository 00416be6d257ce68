"""``ecoradar hj212 decode`` and ``encode``: one JSON object or packet per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecoradar.cli.hj212 import app
from tests.shared_data import example_packets, hj212_path
from tests.unit.hj212.reference import HEADER_2017, frame

runner = CliRunner()
STANDARD = example_packets()[0].packet
MODBUS_DEVICE = example_packets()[10].packet
SUCCESS_KEYS = ["ok", "edition", "qn", "st", "cn", "pw", "mn", "flag", "data_time", "items"]


def decode_lines(args: list[str], stdin: str | bytes | None = None) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["decode", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_decode_prints_one_json_object_per_packet_with_the_contract_keys_first() -> None:
    [out] = decode_lines(["-"], STANDARD + "\r\n")
    assert list(out)[: len(SUCCESS_KEYS)] == SUCCESS_KEYS
    assert out["ok"] is True and out["edition"] == "2017" and out["flag"] == 5
    assert out["qn"] == "20160801085857223" and out["data_time"] is None
    assert out["items"] == {} and out["cp"] == {"RtdInterval": "30"}


def test_decode_gives_datatime_in_iso_8601_with_the_china_offset() -> None:
    source = example_packets()[1].packet + "\n" + example_packets()[5].packet
    [with_ms, plain] = decode_lines(["-"], source)
    assert with_ms["data_time"] == "2016-08-24T00:38:17+08:00"
    assert with_ms["items"]["w01018"] == {"Rtd": "231.0", "Flag": "N"}
    assert plain["data_time"] == "2019-09-24T22:00:00+08:00"


def test_decode_refusals_are_json_lines_and_the_exit_status_stays_zero() -> None:
    text = f"{STANDARD}\n\n[2020-09-22 18:20:30]\n   \n{MODBUS_DEVICE}\r\n"
    out = decode_lines(["-"], text)
    assert [o["ok"] for o in out] == [True, False, False]
    assert out[1] == {"ok": False, "error": "bad_frame", "detail": out[1]["detail"]}
    assert list(out[1]) == ["ok", "error", "detail"] and "##" in out[1]["detail"]
    assert out[2]["error"] == "bad_crc" and "0440" in out[2]["detail"]


def test_decode_options_reach_the_decoder(tmp_path: Path) -> None:
    gbk = frame(f"{HEADER_2017};CP=&&i11001-Info=//时间校准//&&", encoding="gbk")
    path = tmp_path / "packets.txt"
    path.write_bytes(gbk + MODBUS_DEVICE.encode() + b"\n" + example_packets()[1].packet.encode())
    default = decode_lines([str(path)])
    assert [o.get("error") for o in default] == ["bad_encoding", "bad_crc", None]
    chosen = decode_lines([str(path), "--encoding", "gbk", "--accept-modbus-crc", "--strict"])
    assert chosen[0]["items"] == {"i11001": {"Info": "//时间校准//"}}
    assert chosen[1]["error"] == "missing_field" and chosen[2]["error"] == "missing_field"
    assert decode_lines([str(path), "--accept-modbus-crc"])[1]["crc_kind"] == "modbus"


def test_decode_reads_a_whole_capture_file() -> None:
    out = decode_lines([str(hj212_path("rx_release.log"))])
    assert sum(o["ok"] for o in out) == 2 and len(out) == 1516


@pytest.mark.parametrize("where", ["missing.txt", "."])
def test_decode_of_an_unreadable_file_fails_with_a_message(tmp_path: Path, where: str) -> None:
    result = runner.invoke(app, ["decode", str(tmp_path / where)])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr and result.stdout == ""


def test_encode_writes_packets_that_decode_to_the_same_fields() -> None:
    source = "\n".join(e.packet for e in example_packets()[:10] if "CRC OK" in e.verification)
    decoded = runner.invoke(app, ["decode", "-"], input=source).stdout
    encoded = runner.invoke(app, ["encode", "-"], input=decoded)
    assert encoded.exit_code == 0, encoded.stderr
    assert encoded.stdout_bytes.count(b"\r\n") == len(decoded.splitlines())
    again = runner.invoke(app, ["decode", "-"], input=encoded.stdout_bytes).stdout

    def fields(text: str) -> list[dict[str, Any]]:  # 2005 codes come back as 2017 codes
        return [
            {k: v for k, v in json.loads(line).items() if k not in ("length", "original_codes")}
            for line in text.splitlines()
        ]

    assert fields(again) == fields(decoded)


def test_encode_accepts_objects_without_ok_and_with_an_edition() -> None:
    line = json.dumps(
        {
            "edition": "2017",
            "qn": "20160801085857223",
            "st": "32",
            "cn": "2061",
            "pw": "123456",
            "mn": "010000A8900016F000169DC0",
            "data_time": "2016-08-01T08:00:00+08:00",
            "items": {"w01018": {"Avg": "40.5", "Flag": "N"}},
        }
    )
    result = runner.invoke(app, ["encode", "--encoding", "gbk"], input=line)
    assert result.exit_code == 0
    assert result.stdout_bytes == frame(
        f"{HEADER_2017.replace('Flag=5', 'Flag=4')};CP=&&DataTime=20160801080000;"
        "w01018-Avg=40.5,w01018-Flag=N&&"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{bad", "line 2: not JSON"),
        ("[1, 2]", "line 2: not a JSON object"),
        ('{"st": "32", "cn": "2011", "pw": "1"}', "line 2: mn must be a string"),
        ('{"st": "32", "cn": "2011", "pw": "1", "mn": "M", "colour": 1}', "unknown key(s) colour"),
        (
            '{"st": "32", "cn": "2011", "pw": "1", "mn": "M", "flag": "5"}',
            "flag must be an integer",
        ),
        ('{"st": "32", "cn": "2011", "pw": "1", "mn": "M", "items": {"a": 1}}', "items must be"),
        ('{"st": "32", "cn": "2011", "pw": "1", "mn": "M", "data_time": "2016-08-01"}', "offset"),
        ('{"st": "32", "cn": "2011", "pw": "1", "mn": "M;"}', "line 2: bad_field: MN="),
    ],
)
def test_encode_names_the_line_it_cannot_encode(line: str, message: str) -> None:
    good = '{"st": "32", "cn": "2011", "pw": "1", "mn": "M"}'
    result = runner.invoke(app, ["encode", "-"], input=f"{good}\n{line}\n\n{good}\n")
    assert result.exit_code == 1
    assert message in result.stderr and "1 line(s) not encoded" in result.stderr
    assert result.stdout_bytes.count(b"\r\n") == 2


def test_encode_refuses_a_packet_above_the_max_length_unless_raised() -> None:
    line = json.dumps({"st": "32", "cn": "2011", "pw": "1", "mn": "M", "cp": {"PolId": "x" * 1100}})
    assert runner.invoke(app, ["encode"], input=line).exit_code == 1
    assert runner.invoke(app, ["encode", "--max-length", "2000"], input=line).exit_code == 0


def test_the_sub_app_shows_help_without_arguments() -> None:
    result = runner.invoke(app, [])
    assert "decode" in result.output and "encode" in result.output
