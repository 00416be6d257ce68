"""Encoding: frames built from fields read back the same, in UTF-8 and GBK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.hj212 import (
    CODE_2005_TO_2017,
    DecodeOptions,
    Edition,
    HJ212Error,
    Reason,
    decode,
    encode,
    encode_packet,
)
from tests.shared_data import example_packets
from tests.unit.hj212.reference import appendix_a

CHINESE = "清洗管路时间校准运行正常氨氮化学需氧量烟尘二氧化硫故障维护设备"
VALUE = st.text(alphabet="0123456789.-+ENabcxyz" + CHINESE, max_size=12).filter(
    lambda v: v == v.strip() and not v.startswith("//")
)
CODE = st.from_regex(r"\A[a-z][0-9]{5}\Z").filter(lambda c: c not in CODE_2005_TO_2017)
SUFFIX = st.sampled_from(["Rtd", "Min", "Avg", "Max", "ZsAvg", "Cou", "Flag", "EFlag", "Info"])
ITEMS = st.dictionaries(CODE, st.dictionaries(SUFFIX, VALUE, min_size=1, max_size=5), max_size=6)
CP_KEYS = st.sampled_from(["RtdInterval", "PolId", "QnRtn", "ExeRtn", "SB1-RS", "NewPW", "备注"])
WHEN = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]),
).map(lambda d: d.replace(microsecond=0))
FLAGS = st.one_of(st.none(), st.sampled_from([0, 1, 4, 5, 8, 9]))


@settings(max_examples=300, deadline=None)
@given(
    st_code=st.from_regex(r"\A[0-9A-Z]{2}\Z"),
    cn=st.from_regex(r"\A[0-9]{4}\Z"),
    pw=st.from_regex(r"\A[0-9A-Za-z]{6}\Z"),
    mn=st.from_regex(r"\A[0-9A-F]{24}\Z"),
    qn=st.one_of(st.none(), st.from_regex(r"\A20[0-9]{15}\Z")),
    flag=FLAGS,
    data_time=st.one_of(st.none(), WHEN),
    items=ITEMS,
    cp=st.dictionaries(CP_KEYS, VALUE, max_size=3),
    encoding=st.sampled_from(["utf-8", "gbk"]),
)
def test_encoding_then_decoding_gives_the_same_fields(
    st_code: str,
    cn: str,
    pw: str,
    mn: str,
    qn: str | None,
    flag: int | None,
    data_time: datetime | None,
    items: dict[str, dict[str, str]],
    cp: dict[str, str],
    encoding: str,
) -> None:
    data = encode(
        st=st_code,
        cn=cn,
        pw=pw,
        mn=mn,
        qn=qn,
        flag=flag,
        data_time=data_time,
        items=items,
        cp=cp,
        encoding=encoding,
        max_length=9999,
    )
    assert data.startswith(b"##") and data.endswith(b"\r\n")
    assert int(data[2:6]) == len(data) - 12
    assert f"{appendix_a(data[6:-6]):04X}".encode() == data[-6:-2]
    packet = decode(data, DecodeOptions(encoding=encoding, max_length=9999))
    assert (packet.st, packet.cn, packet.pw, packet.mn, packet.qn, packet.flag) == (
        st_code,
        cn,
        pw,
        mn,
        qn,
        flag,
    )
    assert packet.data_time == data_time
    assert packet.items == items
    expected_cp = dict(cp)
    if data_time is not None:
        expected_cp["DataTime"] = data_time.astimezone(timezone(timedelta(hours=8))).strftime(
            "%Y%m%d%H%M%S"
        )
    assert packet.cp == expected_cp
    assert encode_packet(packet) == data


@given(st.text(alphabet=CHINESE, min_size=1, max_size=40), st.sampled_from(["utf-8", "gbk"]))
def test_chinese_text_is_counted_in_bytes(text: str, encoding: str) -> None:
    def info(log: str) -> bytes:
        items = {"i11001": {"Info": f"//{log}//"}}
        return encode(st="32", cn="3020", pw="1", mn="M", items=items, encoding=encoding)

    data = info(text)
    width = 3 if encoding == "utf-8" else 2
    assert int(data[2:6]) - int(info("")[2:6]) == width * len(text)
    packet = decode(data, DecodeOptions(encoding=encoding))
    assert packet.items["i11001"]["Info"] == f"//{text}//"


@given(
    st.text(alphabet="abc ;,=-/#" + CHINESE, max_size=30).filter(lambda t: "//" not in t),
    st.sampled_from(["utf-8", "gbk"]),
    st.booleans(),
)
def test_logs_between_double_slashes_come_back_with_their_separators(
    log: str, encoding: str, strict: bool
) -> None:
    value = f"//{log}//"
    data = encode(
        qn="20160801085857223",
        st="32",
        cn="3020",
        pw="123456",
        mn="010000A8900016F000169DC0",
        flag=4,
        cp={"DataTime": "20160801085857", "PolId": "w01018"},
        items={"i11001": {"Info": value}, "w01018": {"Rtd": "1"}},
        encoding=encoding,
    )
    packet = decode(data, DecodeOptions(strict=strict, encoding=encoding))
    assert packet.items == {"i11001": {"Info": value}, "w01018": {"Rtd": "1"}}
    assert packet.cp == {"DataTime": "20160801085857", "PolId": "w01018"}


@pytest.mark.parametrize("index", [0, 5, 6, 8, 9])
def test_published_packets_are_encoded_again_byte_for_byte(index: int) -> None:
    packet = example_packets()[index].packet
    upper_crc = packet[:-4] + packet[-4:].upper()
    assert encode_packet(decode(packet)).decode() == upper_crc + "\r\n"


def test_the_edition_gives_the_flag_when_no_flag_is_given() -> None:
    assert b";Flag=4;" in encode(st="32", cn="2011", pw="1", mn="M", edition="2017")
    assert b";Flag=10;PNUM=2;PNO=1;" in encode(
        st="32", cn="2011", pw="1", mn="M", edition=Edition.V2025, pnum=2, pno=1
    )
    assert b"Flag" not in encode(st="32", cn="2011", pw="1", mn="M", edition="2005")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"flag": 4, "edition": "2025"}, Reason.BAD_FIELD),
        ({"flag": 300}, Reason.BAD_FIELD),
        ({"flag": 12}, Reason.BAD_FIELD),
        ({"edition": "2030"}, Reason.BAD_FIELD),
        ({"flag": 6}, Reason.MISSING_FIELD),
        ({"pnum": 2}, Reason.MISSING_FIELD),
        ({"pnum": 2, "pno": 3}, Reason.BAD_FIELD),
        ({"mn": ""}, Reason.BAD_FIELD),
        ({"mn": "a;b"}, Reason.BAD_FIELD),
        ({"cn": "20x1"}, Reason.BAD_FIELD),
        ({"st": "3 "}, Reason.BAD_FIELD),
        ({"items": {"w01018": {"Rtd": "1;2"}}}, Reason.BAD_FIELD),
        ({"items": {"w01018": {"Rtd": "1,2"}}}, Reason.BAD_FIELD),
        ({"items": {"w01018": {"Rtd": " 1"}}}, Reason.BAD_FIELD),
        ({"items": {"w01018": {"Rtd": "//1"}}}, Reason.BAD_FIELD),
        ({"items": {"w01018": {"R-td": "1"}}}, Reason.BAD_FIELD),
        ({"items": {"w0-1018": {"Rtd": "1"}}}, Reason.BAD_FIELD),
        ({"items": {"SB1": {"RS": "1"}}}, Reason.BAD_FIELD),
        ({"items": {"w01018": {}}}, Reason.BAD_FIELD),
        ({"items": {"i11001": {"Info": "//a//b//"}}}, Reason.BAD_FIELD),
        ({"cp": {"Data-Time": "1"}}, Reason.BAD_FIELD),
        ({"cp": {"PolId": "a&&b"}}, Reason.BAD_FIELD),
        ({"cp": {"DataTime": "yesterday"}}, Reason.BAD_DATATIME),
        ({"cp": {"PolId": "x" * 1100}}, Reason.OVERSIZE),
        ({"cp": {"备注": "\u00e9\U0001f600"}, "encoding": "gbk"}, Reason.BAD_ENCODING),
    ],
)
def test_fields_that_would_break_the_frame_are_refused(
    fields: dict[str, object], reason: Reason
) -> None:
    base: dict[str, object] = {"st": "32", "cn": "2011", "pw": "123456", "mn": "M"}
    with pytest.raises(HJ212Error) as caught:
        encode(**{**base, **fields})  # type: ignore[arg-type]
    assert caught.value.reason == reason


def test_data_time_and_a_datatime_key_must_agree() -> None:
    when = datetime(2016, 8, 24, 0, 38, 17, tzinfo=timezone(timedelta(hours=8)))
    data = encode(
        st="32", cn="2011", pw="1", mn="M", data_time=when, cp={"DataTime": "20160824003817000"}
    )
    assert b"DataTime=20160824003817000" in data
    with pytest.raises(HJ212Error):
        encode(st="32", cn="2011", pw="1", mn="M", data_time=when, cp={"DataTime": "20160824"})


def test_a_naive_data_time_is_refused() -> None:
    with pytest.raises(HJ212Error) as caught:
        encode(st="32", cn="2011", pw="1", mn="M", data_time=datetime(2016, 8, 24))  # noqa: DTZ001
    assert caught.value.reason == Reason.BAD_DATATIME
