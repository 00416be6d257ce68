"""Decoding rules: frame, length, CRC, fields, CP items, times, strict and lenient mode."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from ecoradar.hj212 import (
    CST,
    REASONS,
    DecodeOptions,
    Edition,
    HJ212Error,
    Packet,
    Reason,
    decode,
    parse_time,
)
from tests.unit.hj212.reference import HEADER_2017, frame

LENIENT = DecodeOptions()
STRICT = DecodeOptions(strict=True)
HOURLY = (
    f"{HEADER_2017};CP=&&DataTime=20160801080000;"
    "w01018-Min=40.1,w01018-Avg=40.5,w01018-Max=41.2,w01018-Flag=N;"
    "w00000-Cou=63.0,w00000-Flag=N&&"
)


def refusal(data: bytes | str, options: DecodeOptions = LENIENT) -> HJ212Error:
    with pytest.raises(HJ212Error) as caught:
        decode(data, options)
    assert caught.value.reason in REASONS
    return caught.value


def test_an_hourly_packet_gives_items_by_factor_with_the_flag_as_a_suffix() -> None:
    packet = decode(frame(HOURLY), STRICT)
    assert packet.items == {
        "w01018": {"Min": "40.1", "Avg": "40.5", "Max": "41.2", "Flag": "N"},
        "w00000": {"Cou": "63.0", "Flag": "N"},
    }
    assert packet.cp == {"DataTime": "20160801080000"}
    assert packet.data_time == datetime(2016, 8, 1, 0, 0, tzinfo=UTC)
    assert packet.data_time.utcoffset() == CST.utcoffset(None)


def test_a_packet_is_frozen() -> None:
    packet = decode(frame(HOURLY))
    with pytest.raises(AttributeError):
        packet.qn = "x"  # type: ignore[misc]
    assert isinstance(packet, Packet)


def test_a_str_frame_is_accepted() -> None:
    assert decode(frame(HOURLY).decode()).cn == "2061"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Reason.BAD_FRAME),
        (b"QN=1;ST=32##", Reason.BAD_FRAME),
        (b"##01", Reason.BAD_FRAME),
        (b"##01x1ST=32;CN=2011;PW=1;MN=1;CP=&&&&1234", Reason.BAD_FRAME),
        (b"##0027ST=32;CN=2011;PW=1;MN=1;CP=&&&&12G4", Reason.BAD_FRAME),
        (b"##0030ST=32;CN=2011;PW=1;MN=1;CP=&&&&1234", Reason.BAD_LENGTH),
        (b"##0031ST=32;CN=2011;PW=1;MN=1;CP=&&&&1234", Reason.BAD_CRC),
    ],
)
def test_malformed_frames_are_refused_with_the_reason(data: bytes, reason: Reason) -> None:
    assert refusal(data).reason == reason


def test_a_wrong_length_names_both_lengths() -> None:
    error = refusal(frame(HOURLY, length=100))
    assert error.reason == Reason.BAD_LENGTH
    assert "100" in error.detail and str(len(HOURLY)) in error.detail


def test_a_wrong_crc_names_the_received_and_the_computed_crc() -> None:
    good = frame(HOURLY)
    error = refusal(frame(HOURLY, crc="ABCD"))
    assert error.reason == Reason.BAD_CRC
    assert "ABCD" in error.detail and good[-6:-2].decode() in error.detail


def test_the_crc_is_accepted_in_lower_case_even_in_strict_mode() -> None:
    good = frame(HOURLY)
    assert decode(good[:-6] + good[-6:-2].lower() + b"\r\n", STRICT).cn == "2061"


def test_strict_mode_allows_1024_bytes_and_no_more() -> None:
    filler = "a" * (1024 - len(f"{HEADER_2017};CP=&&PolId=&&"))
    assert decode(frame(f"{HEADER_2017};CP=&&PolId={filler}&&"), STRICT).length == 1024
    error = refusal(frame(f"{HEADER_2017};CP=&&PolId={filler}a&&"), STRICT)
    assert error.reason == Reason.OVERSIZE and "1025" in error.detail


def test_lenient_mode_allows_up_to_the_configured_length() -> None:
    big = frame(f"{HEADER_2017};CP=&&PolId={'a' * 3000}&&")
    assert decode(big).length > 3000
    assert refusal(big, DecodeOptions(max_length=2000)).reason == Reason.OVERSIZE


def test_length_and_crc_count_bytes_of_chinese_text() -> None:
    segment = f"{HEADER_2017};CP=&&DataTime=20160801085857;i11001-Info=//清洗管路//&&"
    packet = decode(frame(segment), STRICT)
    assert packet.items == {"i11001": {"Info": "//清洗管路//"}}
    assert packet.length == len(segment.encode()) == len(segment) + 8


def test_a_length_that_counts_characters_passes_only_in_lenient_mode() -> None:
    segment = f"{HEADER_2017};CP=&&i11001-Info=//清洗管路//&&"
    counted = frame(segment, length=len(segment))
    assert decode(counted).items["i11001"]["Info"] == "//清洗管路//"
    assert refusal(counted, STRICT).reason == Reason.BAD_LENGTH


def test_gbk_text_is_read_with_the_gbk_option_only() -> None:
    segment = f"{HEADER_2017};CP=&&i11001-Info=//时间校准//&&"
    gbk = frame(segment, encoding="gbk")
    assert decode(gbk, DecodeOptions(encoding="gbk")).items["i11001"]["Info"] == "//时间校准//"
    error = refusal(gbk)
    assert error.reason == Reason.BAD_ENCODING and "byte" in error.detail


def test_an_unknown_encoding_is_refused_when_the_options_are_made() -> None:
    with pytest.raises(LookupError):
        DecodeOptions(encoding="no-such-codec")


@pytest.mark.parametrize("missing", ["ST", "CN", "PW", "MN"])
def test_st_cn_pw_and_mn_are_mandatory_in_both_modes(missing: str) -> None:
    fields = [f for f in HEADER_2017.split(";") if not f.startswith(f"{missing}=")]
    data = frame(";".join(fields) + ";CP=&&&&")
    for options in (DecodeOptions(), STRICT):
        error = refusal(data, options)
        assert (error.reason, error.field) == (Reason.MISSING_FIELD, missing)


@pytest.mark.parametrize("missing", ["QN", "Flag"])
def test_qn_and_flag_may_be_missing_in_lenient_mode_only(missing: str) -> None:
    fields = [f for f in HEADER_2017.split(";") if not f.startswith(f"{missing}=")]
    data = frame(";".join(fields) + ";CP=&&&&")
    assert decode(data).cn == "2061"
    error = refusal(data, STRICT)
    assert (error.reason, error.field) == (Reason.MISSING_FIELD, missing)


def test_a_missing_cp_is_refused() -> None:
    error = refusal(frame(HEADER_2017))
    assert (error.reason, error.field) == (Reason.MISSING_FIELD, "CP")


@pytest.mark.parametrize("cp", ["CP=&&", "CP=&&DataTime=1", "CP=DataTime=1&&"])
def test_a_cp_not_between_double_ampersands_is_refused(cp: str) -> None:
    error = refusal(frame(f"{HEADER_2017};{cp}"))
    assert (error.reason, error.field) == (Reason.BAD_FIELD, "CP")


@pytest.mark.parametrize(
    ("flag", "edition"),
    [("0", Edition.V2005), ("1", Edition.V2005), ("4", Edition.V2017), ("7", Edition.V2017)]
    + [("8", Edition.V2025), ("11", Edition.V2025)],
)
def test_the_edition_comes_from_the_flag_version_bits(flag: str, edition: Edition) -> None:
    header = HEADER_2017.replace("Flag=5", f"Flag={flag}")
    split = ";PNUM=1;PNO=1" if int(flag) & 2 else ""
    assert decode(frame(f"{header}{split};CP=&&&&")).edition == edition


@pytest.mark.parametrize("flag", ["12", "256", "x", "-1", ""])
def test_a_flag_of_no_known_edition_or_not_a_byte_is_refused(flag: str) -> None:
    error = refusal(frame(f"{HEADER_2017.replace('Flag=5', f'Flag={flag}')};CP=&&&&"))
    assert (error.reason, error.field) == (Reason.BAD_FIELD, "Flag")


def test_a_free_form_mn_passes_only_in_lenient_mode() -> None:
    data = frame(HOURLY.replace("010000A8900016F000169DC0", "JLYP01_AIR01_0001"))
    assert decode(data).mn == "JLYP01_AIR01_0001"
    error = refusal(data, STRICT)
    assert (error.reason, error.field) == (Reason.BAD_FIELD, "MN")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("ST=32", "ST=101", "ST"),
        ("CN=2061", "CN=206", "CN"),
        ("PW=123456", "PW=1234567", "PW"),
        ("QN=20160801085857223", "QN=2016080108585722", "QN"),
        ("QN=20160801085857223", "QN=20161301085857223", "QN"),
    ],
)
def test_strict_mode_checks_the_field_formats_of_table_3(old: str, new: str, field: str) -> None:
    data = frame(HOURLY.replace(old, new))
    assert decode(data).items
    error = refusal(data, STRICT)
    assert (error.reason, error.field) == (Reason.BAD_FIELD, field)


@pytest.mark.parametrize(("old", "new"), [("ST=32", "ST=3 2"), ("CN=2061", "CN=20x1")])
def test_st_and_cn_must_be_codes_even_in_lenient_mode(old: str, new: str) -> None:
    assert refusal(frame(HOURLY.replace(old, new))).reason == Reason.BAD_FIELD


def test_unknown_header_fields_are_kept_in_lenient_mode_and_refused_in_strict() -> None:
    data = frame(HOURLY.replace(";CP=", ";Ver=3;CP="))
    assert decode(data).extra == {"Ver": "3"}
    assert refusal(data, STRICT).field == "Ver"


def test_whitespace_around_fields_and_frame_is_tolerated_in_lenient_mode() -> None:
    segment = (
        "QN=20160801085857223; ST=32;CN=1013;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&& PolId=w01018 ;i12003-Info =0&&"
    )
    packet = decode(b"  " + frame(segment, end=b"\r\r\n") + b" ")
    assert packet.st == "32"
    assert packet.cp == {"PolId": "w01018"} and packet.items == {"i12003": {"Info": "0"}}
    error = refusal(frame(segment), STRICT)  # " ST" is not ST
    assert (error.reason, error.field) == (Reason.MISSING_FIELD, "ST")


def test_equipment_states_stay_with_the_cp_keys() -> None:
    packet = decode(frame(f"{HEADER_2017};CP=&&DataTime=20160801085857;SB1-RS=1;SB2-RS=0&&"))
    assert packet.cp == {"DataTime": "20160801085857", "SB1-RS": "1", "SB2-RS": "0"}
    assert packet.items == {}


def test_a_log_between_double_slashes_may_hold_separators() -> None:
    segment = f"{HEADER_2017};CP=&&DataTime=20160801085857;i11001-Info=//a;b,c=d//;w01018-Rtd=1&&"
    packet = decode(frame(segment), STRICT)
    assert packet.items == {"i11001": {"Info": "//a;b,c=d//"}, "w01018": {"Rtd": "1"}}


def test_non_factor_keys_of_requests_and_answers_go_to_cp() -> None:
    segment = f"{HEADER_2017};CP=&&BeginTime=20160801000000,EndTime=20160801235959&&"
    assert decode(frame(segment)).cp == {
        "BeginTime": "20160801000000",
        "EndTime": "20160801235959",
    }


@pytest.mark.parametrize("item", ["w01018-Rtd", "=5", "-Rtd=1", "w01018-=1"])
def test_cp_items_without_value_name_or_suffix_are_refused(item: str) -> None:
    error = refusal(frame(f"{HEADER_2017};CP=&&DataTime=20160801085857;{item}&&"))
    assert error.reason == Reason.BAD_FIELD


def test_empty_cp_items_are_skipped_in_lenient_mode_only() -> None:
    data = frame(f"{HEADER_2017};CP=&&DataTime=20160801085857;;w01018-Rtd=1;&&")
    assert decode(data).items == {"w01018": {"Rtd": "1"}}
    assert refusal(data, STRICT).reason == Reason.BAD_FIELD


def test_repeated_cp_items_are_refused_in_strict_mode_and_the_last_kept_in_lenient() -> None:
    data = frame(f"{HEADER_2017};CP=&&w01018-Rtd=1;w01018-Rtd=2&&")
    assert decode(data).items == {"w01018": {"Rtd": "2"}}
    assert refusal(data, STRICT).reason == Reason.BAD_FIELD


def test_2005_codes_are_mapped_only_within_their_medium() -> None:
    water = decode(frame("ST=32;CN=2011;PW=1;MN=1;CP=&&011-Rtd=5;02-Rtd=1&&"))
    assert water.items == {"w01018": {"Rtd": "5"}, "02": {"Rtd": "1"}}
    gas = decode(frame("ST=31;CN=2011;PW=1;MN=1;CP=&&011-Rtd=5;02-Rtd=1&&"))
    assert gas.items == {"011": {"Rtd": "5"}, "a21026": {"Rtd": "1"}}
    assert gas.original_codes == {"a21026": "02"}


@pytest.mark.parametrize("text", ["2016080108585", "2016-08-01 08:58:57", "20161301085857"])
def test_a_bad_datatime_is_refused(text: str) -> None:
    error = refusal(frame(f"{HEADER_2017};CP=&&DataTime={text}&&"))
    assert (error.reason, error.field) == (Reason.BAD_DATATIME, "DataTime")


def test_times_are_china_standard_time_with_optional_milliseconds() -> None:
    assert parse_time("20160801085857") == datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC)
    assert parse_time("20160801085857223").microsecond == 223_000
    with pytest.raises(HJ212Error):
        parse_time("２０１６0801085857")


def test_a_split_packet_carries_pnum_and_pno() -> None:
    header = HEADER_2017.replace("Flag=5", "Flag=7")
    packet = decode(frame(f"{header};PNUM=2;PNO=1;CP=&&&&"), STRICT)
    assert (packet.pnum, packet.pno, packet.is_split) == (2, 1, True)


@pytest.mark.parametrize(
    ("parts", "reason", "field"),
    [
        ("", Reason.MISSING_FIELD, "PNUM"),
        ("PNUM=2;", Reason.MISSING_FIELD, "PNO"),
        ("PNUM=2;PNO=3;", Reason.BAD_FIELD, "PNO"),
        ("PNUM=2;PNO=0;", Reason.BAD_FIELD, "PNO"),
        ("PNUM=x;PNO=1;", Reason.BAD_FIELD, "PNUM"),
    ],
)
def test_bad_split_fields_are_refused(parts: str, reason: Reason, field: str) -> None:
    header = HEADER_2017.replace("Flag=5", "Flag=7")
    error = refusal(frame(f"{header};{parts}CP=&&&&"))
    assert (error.reason, error.field) == (reason, field)


def test_errors_are_value_errors_that_survive_pickling() -> None:
    error = refusal(frame(HOURLY, crc="0000"))
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.detail, copy.field) == (error.reason, error.detail, error.field)
    assert str(copy) == str(error) and str(error).startswith("bad_crc: ")
