"""The compiled decoder gives, for every frame, what the pure-Python reference gives.

Same packet (every field, its type and the order of every dict) or the same refusal (reason,
detail, field), for the shared data, the simulator's traffic, encoder round trips and hostile
input: random bytes, truncations, bit flips, huge lengths, non-UTF-8, GBK, and frames with a
true length and CRC around segments made of the pieces that each rule of the decoder looks at.
"""

from __future__ import annotations

import logging
import os
import pickle
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoradar import hj212
from ecoradar.hj212 import DecodeOptions, HJ212Error, codec, encode, native, values
from ecoradar.hj212.packet import Packet
from ecoradar.simulate.traffic import FactorProfile, PointProfile, upload
from tests.shared_data import example_packets, log_lines
from tests.unit.hj212.reference import appendix_a, modbus_bitwise

PURE = codec.decode_pure
OPTIONS = [
    DecodeOptions(),
    DecodeOptions(strict=True),
    DecodeOptions(accept_modbus_crc=True),
    DecodeOptions(encoding="gbk", accept_modbus_crc=True),
    DecodeOptions(encoding="gbk", strict=True),
    DecodeOptions(encoding="UTF8", max_length=1024),
    DecodeOptions(encoding="gb18030", max_length=9999),
    DecodeOptions(encoding="utf-16"),  # not ASCII-compatible: no shortcut in C
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def codec_path() -> str:
    """This module compares both decoders itself (overrides the conftest's switch)."""
    return "both"


def compiled() -> native.Decoder:
    if codec.decode_compiled is None:
        pytest.fail("the compiled HJ 212 codec is not built: run `pip install -e .`")
    return codec.decode_compiled


def outcome(
    decoder: native.Decoder, data: bytes | str, options: DecodeOptions
) -> tuple[object, ...]:
    try:
        packet = decoder(data, options)
    except HJ212Error as exc:
        return ("refused", exc.reason, exc.detail, exc.field, str(exc))
    except Exception as exc:  # the same exception from both, whatever it is
        return ("error", type(exc), str(exc))
    assert type(packet) is Packet
    assert pickle.loads(pickle.dumps(packet)) == packet  # packets cross process boundaries
    fields = vars(packet)
    return ("packet", repr(fields), [type(v) for v in fields.values()])


def same(data: bytes | str, options: list[DecodeOptions] = OPTIONS) -> str:
    """Both decoders agree on ``data`` under every option; ``"packet"`` when one option gave a
    packet, else ``"refused"`` (or ``"error"``)."""
    fast = compiled()
    kinds = []
    for option in options:
        expected = outcome(PURE, data, option)
        assert outcome(fast, data, option) == expected, (data, option)
        kinds.append(str(expected[0]))
    return "packet" if "packet" in kinds else kinds[0]


def framed(segment: bytes, *, length: int | None = None, crc: str | None = None) -> bytes:
    size = len(segment) if length is None else length
    return b"##%04d" % size + segment + (crc or f"{appendix_a(segment):04X}").encode() + b"\r\n"


# --- shared data, simulator traffic, encoder -------------------------------------------------


def test_every_shared_packet_and_captured_line_gives_the_same() -> None:
    kinds = []
    for example in example_packets():
        kinds.append(same(example.packet))
        kinds.append(same(example.packet.encode() + b"\r\n"))
    for name in ("rx_release.log", "rx_debug.log"):
        lines = [line for _, line in log_lines(name)]
        for line in dict.fromkeys(lines):  # each distinct line once
            kinds.append(same(line, OPTIONS[:4]))
    assert kinds.count("packet") >= 30 and kinds.count("refused") > 1000


@pytest.mark.parametrize("medium", ["gas", "water"])
def test_the_simulators_traffic_gives_the_same(medium: str) -> None:
    codes = ("a21026", "a21002", "a34013", "a19001", "a00000")
    if medium == "water":
        codes = ("w01018", "w21003", "w01001", "w00000")
    profile = PointProfile(
        "0007C123D25927350E6F0ABD", "602818", medium, tuple(FactorProfile(c, 50.0) for c in codes)
    )
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for cn in ("2011", "2051", "2061", "2031"):
        for hour in range(6):
            assert same(upload(profile, cn, start + timedelta(hours=hour))) == "packet"


CHINESE = "清洗管路时间校准运行正常氨氮化学需氧量烟尘二氧化硫故障"
VALUE = st.text(alphabet="0123456789.-+ENab" + CHINESE, max_size=10).filter(
    lambda v: v == v.strip() and not v.startswith("//")
)
CODE = st.one_of(st.from_regex(r"\A[aw][0-9]{5}\Z"), st.sampled_from(["02", "011", "B01", "S03"]))
SUFFIX = st.sampled_from(["Rtd", "Min", "Avg", "Max", "ZsAvg", "Cou", "Flag", "Info"])
WHEN = st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@FUZZ
@given(
    st_code=st.sampled_from(["31", "32", "22", "80", "91"]),
    cn=st.sampled_from(["2011", "2061", "9014", "3020"]),
    flag=st.one_of(st.none(), st.sampled_from([0, 1, 4, 5, 7, 8, 9])),
    items=st.dictionaries(CODE, st.dictionaries(SUFFIX, VALUE, min_size=1, max_size=4), max_size=5),
    cp=st.dictionaries(st.sampled_from(["QnRtn", "SB1-RS", "备注", "PolId"]), VALUE, max_size=2),
    log=st.one_of(st.none(), st.text(alphabet="ab ;,=-" + CHINESE, max_size=12)),
    when=st.one_of(st.none(), WHEN),
    encoding=st.sampled_from(["utf-8", "gbk"]),
)
def test_encoder_round_trips_give_the_same(
    st_code: str,
    cn: str,
    flag: int | None,
    items: dict[str, dict[str, str]],
    cp: dict[str, str],
    log: str | None,
    when: datetime | None,
    encoding: str,
) -> None:
    if log is not None:
        items = {**items, "i11001": {"Info": f"//{log}//"}}
    split = flag is not None and flag & 2
    try:
        frame = encode(
            qn="20240101000000123", st=st_code, cn=cn, pw="123456", mn="010000A8900016F000169DC0",
            flag=flag, pnum=2 if split else None, pno=1 if split else None, data_time=when,
            items=items, cp=cp, encoding=encoding, max_length=9999,
        )  # fmt: skip
    except HJ212Error:
        return  # fields the encoder refuses (a log holding //, text GBK cannot write)
    same(frame)
    same(frame.decode(encoding))


# --- hostile input ---------------------------------------------------------------------------

SEEDS = [e.packet.encode() for e in example_packets()] + [
    framed(b"QN=20160801085857223;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
           b"PNUM=2;PNO=1;CP=&&i11001-Info=//\xe6\x97\xa5\xe5\xbf\x97;a//&&"),
    framed(b"ST=32;CN=2061;PW=123456;MN=x;CP=&& SB1-RS=1 ; w01018-Rtd = 5&&"),
    framed("ST=32;CN=2061;PW=1;MN=设备;CP=&&w01018-Info=清洗;DataTime=20240101000000&&".encode("gbk")),
]  # fmt: skip


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_give_the_same(data: bytes) -> None:
    same(data)
    same(b"##%04d" % len(data) + data + b"ABCD\r\n")
    same(framed(data))


@FUZZ
@given(st.text(max_size=200))
def test_random_text_gives_the_same(text: str) -> None:
    same(text)
    same(framed(text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(st.sampled_from(SEEDS), st.data())
def test_truncations_bit_flips_and_huge_lengths_give_the_same(
    seed: bytes, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(seed)))
    same(seed[:cut])
    same(seed[cut:])
    flipped = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(seed) - 1))
        flipped[where] ^= 1 << data.draw(st.integers(0, 7))
    same(bytes(flipped))
    body = bytes(flipped)[6:-6]
    same(framed(body))  # the flip survives the CRC: the parser sees it
    same(framed(body, length=len(body.decode("utf-8", "replace"))))
    same(framed(body, length=9999))
    same(framed(body * data.draw(st.integers(2, 20))))


BASE = ["QN=20160801085857223", "ST=31", "CN=2061", "PW=123456", "MN=010000A8900016F000169DC0",
        "Flag=5"]  # fmt: skip
HEADER_PIECES = [
    "QN=20160801085857223", "QN=20161301085857223", "QN=2016080108585722", "ST=32", "ST=31",
    "ST=22", "ST=80", "ST=a1", "ST=3 2", "ST=", "CN=2061", "CN=20x1", "CN=205", "PW=123456",
    "PW=1234567", "PW=密码", "MN=010000A8900016F000169DC0", "MN=010000a8900016f000169dc0",
    "MN=设备一", "MN=", "Flag=5", "Flag=4", "Flag=7", "Flag=9", "Flag=005", "Flag=0", "Flag=12",
    "Flag=256", "Flag=", "PNUM=2", "PNUM=0", "PNUM=12345", "PNO=1", "PNO=3", "X=1", "X=2", "",
    " ST = 32 ", "\tCN=2061", "PW", "=1", "Flag=\u0665", "QN=２０１６", "ST=32\x1c",
]  # fmt: skip
CP_PIECES = [
    "a21026-Avg=1.5", "a21026-Min=1", "a21026-Avg=2", "02-Avg=3", "011-Rtd=2", "w01018-Rtd=5",
    "B01-Cou=7", "SB1-RS=1", "SB1-=2", "SB=3", "DataTime=20240101000000", "a21026-Flag=N",
    "DataTime=20240101000000123", "DataTime=20241301000000", "DataTime=20240229240000",
    "DataTime=20230229000000", "DataTime=00000101000000", "i11001-Info=//日志;a,b//",
    "i11001-Info=//open", "=5", "-Rtd=1", "a-=1", "a21026-Avg", "", " a21026-Avg = 2 ", "备注=清洗",
    "\u3000a-Rtd=1", "a21026-Avg=1=2", "x-y-z=1", "QnRtn=1", "DataTime=2024022924", "a-Flag=N ",
]  # fmt: skip


@st.composite
def segments(draw: st.DrawFn) -> str:
    """Header and CP built from the pieces each rule of the decoder looks at, plus noise."""
    noise = st.text(alphabet=" \t;,=&-/CP#\x0b\u3000\x85a1清", max_size=4)
    piece = st.one_of(st.sampled_from(HEADER_PIECES), noise)
    fields = [p for p in draw(st.permutations(BASE)) if draw(st.integers(0, 11))]
    header = ";".join(draw(st.permutations(fields + draw(st.lists(piece, max_size=3)))))
    good = st.sampled_from(CP_PIECES[:12])
    cp_piece = st.one_of(good, good, good, st.sampled_from(CP_PIECES), noise)
    tokens = draw(st.lists(st.tuples(cp_piece, st.sampled_from([";", ","])), max_size=8))
    content = "".join(t + s for t, s in tokens)[:-1]
    opening = draw(st.sampled_from([";CP=&&", "; CP =&&", ";CP=&&&", "CP=&&", ";cp=&&", ";CP="]))
    closing = draw(st.sampled_from(["&&", "&& ", "&&\t", "&", ""]))
    return header + opening + content + closing


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments(), st.sampled_from(["utf-8", "gbk"]), st.data())
def test_segments_with_a_true_length_and_crc_give_the_same(
    text: str, encoding: str, data: st.DataObject
) -> None:
    try:
        segment = text.encode(encoding)
    except UnicodeEncodeError:
        segment = text.encode("utf-8")
    frame = framed(segment, length=len(text) if data.draw(st.booleans()) else None)
    if data.draw(st.booleans()):  # CRC-16/MODBUS as some devices send it, or in lower case
        reg = modbus_bitwise(segment)
        frame = framed(segment, crc=f"{(reg & 0xFF) << 8 | reg >> 8:04x}")
    wrap = data.draw(st.sampled_from([b"", b" ", b"\t\r\n", b"\x0c"]))
    same(wrap + frame + wrap)
    same(frame[:-2])


def test_the_frames_the_reference_accepts_are_mostly_decoded_in_c() -> None:
    """The comparisons above are worth something only if C decodes, not the fallback."""
    extension = native.extension()
    assert extension is not None
    rng = random.Random(212)
    accepted = in_c = 0
    for _ in range(3000):
        header = ";".join(rng.choices(HEADER_PIECES[:20], k=rng.randrange(4, 9)))
        content = rng.choice(";,").join(rng.choices(CP_PIECES, k=rng.randrange(0, 9)))
        text = f"ST=31;CN=2061;PW=1;MN=x;{header};CP=&&{content}&&"
        frame = framed(text.encode(rng.choice(["utf-8", "gbk"])))
        for option in OPTIONS[:4]:
            before = extension.stats()[0]
            same(frame, [option])
            if outcome(PURE, frame, option)[0] == "packet":
                accepted += 1
                in_c += extension.stats()[0] - before
    assert accepted > 1000 and in_c / accepted > 0.9


# --- the extension itself ----------------------------------------------------------------------


def test_the_extension_is_built_and_is_the_default() -> None:
    compiled()
    assert codec.CODEC == ("pure" if native.forced_pure() else "compiled")
    assert (codec.decode is codec.decode_pure) == native.forced_pure()


def test_its_crc_is_that_of_appendix_a_and_of_modbus() -> None:
    extension = native.extension()
    assert extension is not None
    for size in [*range(40), 547, 1023, 4096]:
        data = bytes((i * 37 + size) % 256 for i in range(size))
        assert extension.crc16(data) == appendix_a(data)
        assert extension.crc16_modbus(data) == modbus_bitwise(data)


def test_options_objects_switch_within_a_run() -> None:
    lenient, strict, gbk = (
        DecodeOptions(),
        DecodeOptions(strict=True),
        DecodeOptions(encoding="gbk"),
    )
    loose = framed(b"ST=80;CN=2061;PW=1;MN=x;CP=&&a21026-Avg=1&&")
    chinese = framed("ST=32;CN=2061;PW=1;MN=x;CP=&&w01018-Info=清洗&&".encode("gbk"))
    for _ in range(3):
        for frame in (loose, chinese):
            for option in (lenient, strict, gbk, lenient):
                same(frame, [option])


def test_the_default_options_keywords_and_other_frame_types_give_the_same() -> None:
    frame = SEEDS[0] + b"\r\n"
    fast = compiled()
    extension = native.extension()
    assert extension is not None
    before = extension.stats()
    assert fast(frame) == PURE(frame)
    strict = DecodeOptions(strict=True)
    assert fast(frame, options=strict) == PURE(frame, strict)
    assert extension.stats()[0] == before[0] + 2  # both in C
    assert fast(bytearray(frame)) == PURE(bytearray(frame))
    for wrong in (None, 5, memoryview(frame)):
        assert outcome(fast, wrong, DecodeOptions()) == outcome(PURE, wrong, DecodeOptions())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fast()  # type: ignore[call-arg]


def test_threads_with_different_options_get_their_own_results() -> None:
    frames = [SEEDS[-2], SEEDS[-1], SEEDS[0] + b"\r\n"]  # blanks (Python tokens), GBK, standard
    options = [DecodeOptions(), DecodeOptions(encoding="gbk"), DecodeOptions(strict=True)]
    expected = {(f, o): outcome(PURE, f, o) for f in frames for o in options}
    fast = compiled()

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(400):
            frame, option = rng.choice(frames), rng.choice(options)
            assert outcome(fast, frame, option) == expected[frame, option]

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))


def test_many_distinct_keys_do_not_confuse_the_key_cache() -> None:
    for i in range(3000):
        same(
            framed(b"ST=32;CN=2061;PW=1;MN=x;CP=&&k%d-S%d=%d;K%d=1&&" % (i, i % 7, i, i)),
            OPTIONS[:1],
        )


def test_decoding_does_not_leak() -> None:
    fast = compiled()
    frames = [s + b"\r\n" for s in SEEDS] + [b"##0010garbage", b"", SEEDS[0][:-3] + b"ZZZ"]
    options = [DecodeOptions(), DecodeOptions(strict=True), DecodeOptions(encoding="gbk")]

    def work() -> None:
        for frame in frames:
            for option in options:
                try:
                    fast(frame, option)
                except HJ212Error:
                    pass

    for _ in range(50):
        work()
    before = sys.getallocatedblocks()
    for _ in range(300):
        work()
    assert sys.getallocatedblocks() - before < 300  # a leak would be thousands of blocks


def test_pure_is_forced_by_the_environment() -> None:
    script = (
        "from ecoradar.hj212 import codec, decode; print(codec.CODEC, decode is codec.decode_pure)"
    )
    for value, expected in (("1", "pure True"), ("0", "compiled False")):
        out = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, native.FORCE_PURE: value},
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        assert out.stdout.split("\n")[0] == expected


def test_a_missing_extension_is_said_in_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "ecoradar.hj212._codec", None)
    monkeypatch.delattr(hj212, "_codec", raising=False)
    native.extension.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=native.__name__):
            assert native.extension() is None
            assert native.load(PURE) is None
            assert native.load_item_rows(values.item_rows_pure) is None
    finally:
        native.extension.cache_clear()
    assert caplog.text.count("pure-Python codec") == 1  # once, however many ask
