"""Whatever bytes arrive, the codec answers with a packet or an HJ212Error, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoradar.hj212 import DecodeOptions, FrameDecoder, HJ212Error, Packet, Reassembler, decode
from tests.shared_data import example_packets, log_lines
from tests.unit.hj212.reference import HEADER_2017, frame

OPTIONS = [
    DecodeOptions(),
    DecodeOptions(strict=True),
    DecodeOptions(encoding="gbk", accept_modbus_crc=True),
]
SEEDS = [e.packet.encode() + b"\r\n" for e in example_packets()] + [
    frame(f"{HEADER_2017.replace('Flag=5', 'Flag=7')};PNUM=2;PNO=1;CP=&&i11001-Info=//日志;a//&&"),
    frame(f"{HEADER_2017};CP=&& SB1-RS=1 ; w01018-Rtd = 5&&"),
    next(line for _, line in log_lines("rx_debug.log") if line[:2] == b"##"),
]
ALPHABET = b"#0123456789;,=&-/ \r\nQNSTCPWMFlagRtdAvg\xe6\xb8\x85\xff"
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_or_refuse(data: bytes) -> None:
    for options in OPTIONS:
        try:
            result = decode(data, options)
        except HJ212Error as exc:
            assert exc.reason.value == str(exc).split(":")[0]
        else:
            assert isinstance(result, Packet)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "replace"]))
        byte = draw(st.sampled_from(list(ALPHABET)))
        if action == "insert" or not data:
            data.insert(where, byte)
        elif action == "delete":
            del data[min(where, len(data) - 1)]
        elif action == "flip":
            data[min(where, len(data) - 1)] ^= draw(st.integers(1, 255))
        else:
            data[min(where, len(data) - 1)] = byte
    return bytes(data)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_are_decoded_or_refused(data: bytes) -> None:
    decode_or_refuse(data)
    decode_or_refuse(b"##%04d" % len(data) + data + b"ABCD\r\n")


@FUZZ
@given(st.text(max_size=200))
def test_random_text_is_decoded_or_refused(text: str) -> None:
    for options in OPTIONS:
        try:
            decode(text, options)
        except HJ212Error:
            pass


@FUZZ
@given(mutated())
def test_mutated_frames_are_decoded_or_refused(data: bytes) -> None:
    decode_or_refuse(data)


@FUZZ
@given(mutated(), st.booleans())
def test_mutated_frames_with_a_fixed_crc_are_decoded_or_refused(data: bytes, fix: bool) -> None:
    body = data[6:-6] if len(data) > 12 else data
    decode_or_refuse(frame(body, length=len(body) if fix else None))


@FUZZ
@given(
    st.lists(st.one_of(mutated(), st.binary(max_size=40), st.sampled_from(SEEDS)), max_size=6),
    st.lists(st.integers(1, 200), max_size=20),
)
def test_the_frame_decoder_gives_only_frames_and_errors(
    pieces: list[bytes], sizes: list[int]
) -> None:
    stream = b"".join(pieces)
    decoder = FrameDecoder(max_length=1024)
    reassembler = Reassembler(max_pending=4)
    out: list[bytes | HJ212Error] = []
    at = 0
    for size in [*sizes, len(stream)]:
        out += decoder.feed(stream[at : at + size])
        at += size
    out += decoder.close()
    assert decoder.buffered == 0
    for item in out:
        assert isinstance(item, bytes | HJ212Error)
        if isinstance(item, bytes):
            assert item.startswith(b"##")
            try:
                reassembler.add(decode(item))
            except HJ212Error:
                pass
    assert len(reassembler) <= 4
