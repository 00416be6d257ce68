"""Answers (9011, 9012, 9013, 9014) and platform requests (1012, history) read back right."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ecoradar.hj212 import (
    Command,
    DecodeOptions,
    ExeRtn,
    HJ212Error,
    QnRtn,
    Reason,
    data_answer,
    decode,
    encode,
    execution_result,
    history_request,
    notify_answer,
    qn_rtn_for,
    request_answer,
    set_time_request,
)
from ecoradar.hj212.packet import EDITION_VERSION, Packet
from tests.shared_data import example_packets, log_lines
from tests.unit.hj212.reference import HEADER_2017, frame

STRICT = DecodeOptions(strict=True)
LENIENT = DecodeOptions(accept_modbus_crc=True)
LOGS = ("rx_release.log", "rx_debug.log")
BEGIN = datetime(2016, 8, 1, 0, tzinfo=UTC)
REQUEST = decode(
    frame(f"{HEADER_2017.replace('CN=2061', 'CN=1012')};CP=&&SystemTime=20160801085857&&")
)


def test_the_data_answer_matches_the_published_example() -> None:
    example = example_packets()[9].packet  # ST=91;CN=9014;...;Flag=4;CP=&&&&f001
    upload = decode(
        frame(example[6:-4].replace("ST=91;CN=9014", "ST=32;CN=2061").replace("Flag=4", "Flag=5"))
    )
    assert data_answer(upload).decode() == example[:-4] + "F001\r\n"


def test_a_request_answer_carries_qnrtn_and_the_request_qn() -> None:
    answer = decode(request_answer(REQUEST, QnRtn.READY), STRICT)
    assert (answer.st, answer.cn, answer.qn, answer.flag) == ("91", "9011", REQUEST.qn, 4)
    assert (answer.pw, answer.mn, answer.cp) == (REQUEST.pw, REQUEST.mn, {"QnRtn": "1"})


def test_an_execution_result_carries_exertn() -> None:
    answer = decode(execution_result(REQUEST, ExeRtn.NO_DATA), STRICT)
    assert (answer.cn, answer.cp) == ("9012", {"ExeRtn": "100"})


def test_a_notify_answer_has_an_empty_cp() -> None:
    answer = decode(notify_answer(REQUEST), STRICT)
    assert (answer.cn, answer.cp, answer.items) == (Command.NOTIFY_ANSWER, {}, {})


def _decodable_examples() -> list[Packet]:
    """Every packet of the shared data that decodes: the published examples, the real logs."""
    frames = [e.packet.encode() for e in example_packets()]
    frames += [line for name in LOGS for _, line in log_lines(name)]
    packets = []
    for raw in frames:
        try:
            packets.append(decode(raw, LENIENT))
        except HJ212Error:
            continue
    return packets


@pytest.mark.parametrize("answer", [data_answer, notify_answer])
def test_answers_without_cp_are_the_frames_the_encoder_makes(
    answer: Callable[[Packet], bytes],
) -> None:
    """The 9013/9014 answers are made without the encoder (the gateway's hottest frame); they
    must be byte for byte what the encoder makes, for every edition and header seen."""
    packets = _decodable_examples()
    assert len(packets) >= 60
    cn = "9014" if answer is data_answer else "9013"
    for packet in packets:
        flag = None if packet.flag is None else EDITION_VERSION[packet.edition] << 2
        expected = encode(
            qn=packet.qn, st="91", cn=cn, pw=packet.pw, mn=packet.mn, flag=flag, cp={}
        )
        assert answer(packet) == expected, packet


def test_an_answer_to_a_header_the_encoder_refuses_is_refused_too() -> None:
    """A value the encoder will not write (here a leading blank in PW) must not be answered
    by the direct path either."""
    upload = replace(decode(example_packets()[1].packet), pw=" 1234")
    with pytest.raises(HJ212Error):
        data_answer(upload)


def test_a_2005_device_without_flag_gets_answers_without_flag() -> None:
    upload = decode(example_packets()[1].packet)
    answer = decode(data_answer(upload))
    assert answer.flag is None and answer.qn is None and answer.mn == "LD130133000015"


def test_the_set_time_request_sends_china_standard_time() -> None:
    data = set_time_request(
        st="32",
        pw="123456",
        mn=REQUEST.mn,
        qn="20160801085857223",
        system_time=datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC),
        pol_id="w01018",
    )
    request = decode(data, STRICT)
    assert (request.cn, request.flag) == ("1012", 5)
    assert request.cp == {"PolId": "w01018", "SystemTime": "20160801085857"}


def test_a_history_request_asks_for_a_time_range() -> None:
    data = history_request(
        cn="2061",
        st="32",
        pw="123456",
        mn=REQUEST.mn,
        qn="20160801085857223",
        begin=BEGIN,
        end=datetime(2016, 8, 1, 1, tzinfo=UTC),
    )
    assert decode(data, STRICT).cp == {"BeginTime": "20160801080000", "EndTime": "20160801090000"}
    with pytest.raises(HJ212Error):
        history_request(cn="1012", st="32", pw="1", mn="M", qn="1", begin=BEGIN, end=BEGIN)


@pytest.mark.parametrize(
    ("error", "qn_rtn"),
    [
        (HJ212Error(Reason.BAD_CRC, "x"), QnRtn.CRC_ERROR),
        (HJ212Error(Reason.BAD_FIELD, "x", "MN"), QnRtn.MN_ERROR),
        (HJ212Error(Reason.MISSING_FIELD, "x", "QN"), QnRtn.QN_ERROR),
        (HJ212Error(Reason.BAD_FIELD, "x", "Flag"), QnRtn.FLAG_ERROR),
        (HJ212Error(Reason.BAD_FRAME, "x"), QnRtn.UNKNOWN_ERROR),
    ],
)
def test_refusals_map_to_the_request_answer_codes(error: HJ212Error, qn_rtn: QnRtn) -> None:
    assert qn_rtn_for(error) == qn_rtn
