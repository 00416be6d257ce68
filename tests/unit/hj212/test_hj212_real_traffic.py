"""Every published example packet and every captured line is decoded or refused for its reason.

``packets.txt`` says for each packet whether its length and CRC verify; ``rx_*.log`` are field
captures where each packet line is preceded by a ``[timestamp]`` line and mixed with MODBUS TCP
traffic, binary bytes and cut frames. The expectation for each line is computed independently
of the codec (CRC by the letter of Appendix A, CRC-16/MODBUS bitwise).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from ecoradar.hj212 import CST, DecodeOptions, Edition, HJ212Error, Reason, decode
from tests.shared_data import ExamplePacket, example_packets, log_lines
from tests.unit.hj212.reference import appendix_a, modbus_bitwise

LENIENT = DecodeOptions()
MODBUS = DecodeOptions(accept_modbus_crc=True)
STRICT = DecodeOptions(strict=True)
EXAMPLES = example_packets()


def expected_crc_kind(line: bytes) -> str | None:
    """'hj212', 'modbus' or None, checked without the codec."""
    segment, sent = line[6:-4], int(line[-4:], 16)
    if appendix_a(segment) == sent:
        return "hj212"
    modbus = modbus_bitwise(segment)
    return "modbus" if ((modbus & 0xFF) << 8 | modbus >> 8) == sent else None


def reason_of(line: bytes, options: DecodeOptions) -> str:
    try:
        decode(line, options)
    except HJ212Error as exc:
        return exc.reason.value
    return "ok"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.repo}:{e.packet[6:40]}")
def test_each_published_example_is_decoded_or_refused_as_its_verification_says(
    example: ExamplePacket,
) -> None:
    if "HJ212-CRC OK" in example.verification:
        packet = decode(example.packet)
        assert packet.length == int(example.packet[2:6])
    elif "CRC-16/MODBUS" in example.verification:
        assert reason_of(example.packet.encode(), LENIENT) == "bad_crc"
        assert decode(example.packet, MODBUS).crc_kind == "modbus"
    else:
        assert reason_of(example.packet.encode(), MODBUS) == "bad_crc"


def test_the_standard_example_decodes_with_crc_1c80() -> None:
    packet = decode(EXAMPLES[0].packet + "\r\n", STRICT)
    assert packet.crc == 0x1C80
    assert (packet.edition, packet.qn, packet.st, packet.cn) == (
        Edition.V2017,
        "20160801085857223",
        "32",
        "1062",
    )
    assert (packet.pw, packet.mn, packet.flag) == ("100000", "010000A8900016F000169DC0", 5)
    assert packet.needs_answer and not packet.is_split
    assert packet.cp == {"RtdInterval": "30"} and packet.items == {}


def test_a_2005_style_packet_gets_2017_codes_and_a_datatime_with_milliseconds() -> None:
    packet = decode(EXAMPLES[1].packet)
    assert packet.edition == Edition.V2005 and packet.qn is None and packet.flag is None
    assert packet.items == {
        "w00000": {"Rtd": "36.91"},
        "w01018": {"Rtd": "231.0", "Flag": "N"},
        "w21003": {"Rtd": "1.803", "Flag": "N"},
    }
    assert packet.original_codes == {"w00000": "B01", "w01018": "011", "w21003": "060"}
    assert packet.data_time == datetime(2016, 8, 24, 0, 38, 17, tzinfo=CST)


def test_a_lower_case_crc_is_accepted() -> None:
    assert decode(EXAMPLES[3].packet).crc == 0x1DC0


def test_flag_8_announces_the_2025_edition() -> None:
    packet = decode(EXAMPLES[4].packet)
    assert packet.edition == Edition.V2025 and packet.flag == 8 and not packet.needs_answer
    assert packet.items["w21003"] == {"Rtd": "0.09055002", "Flag": "N"}


def test_the_data_answer_example_has_an_empty_cp() -> None:
    packet = decode(EXAMPLES[9].packet, STRICT)
    assert (packet.st, packet.cn, packet.items, packet.cp) == ("91", "9014", {}, {})


def test_frames_above_1024_bytes_are_refused_in_strict_mode_and_accepted_in_lenient() -> None:
    long_frames = [line for _, line in log_lines("rx_debug.log") if line[2:6] in (b"1025", b"1623")]
    assert len(long_frames) == 9
    for line in long_frames:
        assert reason_of(line, DecodeOptions(strict=True, accept_modbus_crc=True)) == "oversize"
        packet = decode(line, MODBUS)
        assert packet.length > 1024 and packet.crc_kind == "modbus"
    assert reason_of(long_frames[0], DecodeOptions(accept_modbus_crc=True, max_length=1024)) == (
        "oversize"
    )


@pytest.mark.parametrize("name", ["rx_release.log", "rx_debug.log"])
def test_every_captured_line_is_decoded_or_refused_with_the_right_reason(name: str) -> None:
    seen: Counter[str] = Counter()
    for number, line in log_lines(name):
        where = f"{name}:{number}"
        if not line.startswith(b"##"):
            expected = "bad_frame"  # [timestamp], MODBUS TCP hex or bytes, frames cut by the logger
        else:
            kind = expected_crc_kind(line)
            expected = {"hj212": "ok", "modbus": "bad_crc", None: "bad_crc"}[kind]
            assert reason_of(line, MODBUS) == ("ok" if kind else "bad_crc"), where
        assert reason_of(line, LENIENT) == expected, where
        seen[expected] += 1
    if name == "rx_release.log":
        assert seen == Counter({"bad_frame": 1513, "ok": 2, "bad_crc": 1})
    else:
        assert seen == Counter({"bad_frame": 22170, "ok": 29, "bad_crc": 21})


def test_captured_packets_show_non_standard_systems_and_2005_codes() -> None:
    packets = [decode(line, MODBUS) for _, line in log_lines("rx_debug.log") if line[:2] == b"##"]
    assert {p.st for p in packets} == {"101", "31", "22"}
    assert {p.edition for p in packets} == {Edition.V2005, Edition.V2017}
    odd = next(p for p in packets if p.st == "101")
    assert set(odd.items) == {"a34010", "a34009", "ua19004", "ua19005", "ua19003"}
    assert all(p.data_time is not None and p.data_time.tzinfo is not None for p in packets)


def test_a_line_with_a_timestamp_is_refused_as_bad_frame() -> None:
    with pytest.raises(HJ212Error) as caught:
        decode(b"[2020-09-22 18:20:30]")
    assert caught.value.reason == Reason.BAD_FRAME
    assert "##" in caught.value.detail


def test_strict_mode_accepts_only_the_examples_that_follow_the_2017_text() -> None:
    outcomes = []
    for example in EXAMPLES:
        try:
            decode(example.packet, DecodeOptions(strict=True, accept_modbus_crc=True))
            outcomes.append("ok")
        except HJ212Error as exc:
            outcomes.append(f"{exc.reason.value}:{exc.field}")
    assert outcomes == [
        "ok",  # the standard's example
        "missing_field:QN",  # 2005 style
        "bad_crc:None",  # README typo
        "missing_field:QN",
        "bad_field:MN",  # MN=ZLDSZ20210127, not EPC-96
        "bad_field:PW",  # 24-character PW
        "bad_field:MN",
        "ok",
        "ok",
        "ok",
        "missing_field:QN",
        "oversize:None",  # 1623 bytes
    ]
