"""The stream splitter: TCP splits and merges, garbage, wrong lengths, oversize frames."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.hj212 import DecodeOptions, FrameDecoder, HJ212Error, Reason, decode
from tests.shared_data import example_packets, hj212_path, log_lines
from tests.unit.hj212.reference import HEADER_2017, frame

GOOD = [frame(e.packet[6:-4]) for e in example_packets() if "HJ212-CRC OK" in e.verification]


def feed_all(chunks: list[bytes], decoder: FrameDecoder | None = None) -> list[bytes | HJ212Error]:
    decoder = decoder or FrameDecoder()
    out: list[bytes | HJ212Error] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out + list(decoder.close())


def frames_of(out: list[bytes | HJ212Error]) -> list[bytes]:
    return [item for item in out if isinstance(item, bytes)]


def errors_of(out: list[bytes | HJ212Error]) -> list[Reason]:
    return [item.reason for item in out if isinstance(item, HJ212Error)]


def test_a_frame_split_at_every_byte_comes_out_once_and_whole() -> None:
    data = GOOD[0]
    for cut in range(1, len(data)):
        assert feed_all([data[:cut], data[cut:]]) == [data]
    assert feed_all([bytes([b]) for b in data]) == [data]


def test_frames_merged_in_one_read_come_out_one_by_one() -> None:
    assert feed_all([b"".join(GOOD)]) == GOOD


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(GOOD), max_size=8), st.lists(st.integers(1, 400), max_size=30))
def test_any_chunking_of_good_frames_gives_exactly_those_frames(
    frames: list[bytes], sizes: list[int]
) -> None:
    stream = b"".join(frames)
    chunks, at = [], 0
    for size in sizes:
        chunks.append(stream[at : at + size])
        at += size
    chunks.append(stream[at:])
    assert feed_all(chunks) == frames


def test_garbage_between_frames_is_reported_and_the_next_frame_kept() -> None:
    out = feed_all([GOOD[0] + b"[2020-09-22 18:20:30]\r\n" + GOOD[1]])
    assert frames_of(out) == GOOD[:2]
    assert errors_of(out) == [Reason.BAD_FRAME]


def test_blank_lines_between_frames_are_ignored() -> None:
    assert feed_all([b"\r\n" + GOOD[0] + b"\r\n\r\n \n" + GOOD[1]]) == GOOD[:2]


def test_a_frame_with_a_wrong_length_is_handed_over_and_the_next_kept() -> None:
    bad_short = frame(f"{HEADER_2017};CP=&&&&", length=500)
    bad_long = frame(f"{HEADER_2017};CP=&&&&", length=5)
    for bad in (bad_short, bad_long):
        out = feed_all([bad + GOOD[0] + GOOD[1]])
        assert out == [bad, GOOD[0], GOOD[1]]
        with pytest.raises(HJ212Error) as caught:
            decode(out[0])  # type: ignore[arg-type]
        assert caught.value.reason == Reason.BAD_LENGTH


def test_a_frame_with_a_too_long_length_does_not_hold_back_the_next_frame() -> None:
    decoder = FrameDecoder()
    bad = frame(f"{HEADER_2017};CP=&&&&", length=900)
    assert decoder.feed(bad) == [bad]
    assert decoder.feed(GOOD[0]) == [GOOD[0]]


def test_a_frame_without_line_end_is_cut_at_the_next_frame() -> None:
    out = feed_all([GOOD[0][:-2] + GOOD[1]])
    assert out == [GOOD[0][:-2], GOOD[1]]
    assert decode(out[0]).length == int(GOOD[0][2:6])  # type: ignore[arg-type]


def test_a_doubled_carriage_return_as_in_the_captures_still_decodes() -> None:
    out = feed_all([GOOD[0][:-2] + b"\r\r\n" + GOOD[1]])
    assert [decode(item).qn for item in out] == [decode(GOOD[0]).qn, decode(GOOD[1]).qn]  # type: ignore[arg-type]


def test_a_length_that_is_not_digits_resynchronises_on_the_next_frame() -> None:
    out = feed_all([b"##00x1garbage" + GOOD[0]])
    assert frames_of(out) == [GOOD[0]] and errors_of(out) == [Reason.BAD_FRAME]


def test_an_oversize_frame_is_reported_once_and_skipped() -> None:
    big = frame(f"{HEADER_2017};CP=&&PolId={'a' * 2000}&&")
    decoder = FrameDecoder(max_length=1024)
    out = feed_all([big[:700], big[700:1500], big[1500:] + GOOD[0]], decoder)
    assert frames_of(out) == [GOOD[0]]
    assert errors_of(out) == [Reason.OVERSIZE]


def test_a_frame_without_any_end_is_reported_once_it_exceeds_the_limit() -> None:
    decoder = FrameDecoder(max_length=200)
    assert decoder.feed(b"##0050" + b"x" * 150) == []
    out = decoder.feed(b"x" * 150)
    assert errors_of(out) == [Reason.OVERSIZE]
    assert decoder.feed(b"y" * 50 + GOOD[0]) == [GOOD[0]]


def test_a_stream_that_ends_inside_a_frame_is_reported_on_close() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(GOOD[0][:40]) == [] and decoder.buffered == 40
    errors = decoder.close()
    assert [e.reason for e in errors] == [Reason.BAD_FRAME] and decoder.buffered == 0
    assert FrameDecoder().close() == []


def test_the_max_length_must_fit_the_length_field() -> None:
    with pytest.raises(ValueError):
        FrameDecoder(max_length=10_000)


def decoded_reasons(out: list[bytes | HJ212Error]) -> Counter[str]:
    reasons: Counter[str] = Counter()
    options = DecodeOptions(accept_modbus_crc=True)
    for item in out:
        if isinstance(item, HJ212Error):
            reasons[item.reason.value] += 1
            continue
        try:
            decode(item, options)
            reasons["ok"] += 1
        except HJ212Error as exc:
            reasons[exc.reason.value] += 1
    return reasons


@pytest.mark.parametrize("name", ["rx_release.log", "rx_debug.log"])
def test_a_whole_capture_fed_as_a_stream_yields_every_packet(name: str) -> None:
    data = hj212_path(name).read_bytes()
    lines = [line for _, line in log_lines(name) if line.startswith(b"##")]
    whole = feed_all([data])
    assert decoded_reasons(whole)["ok"] == len(lines)
    chunked = feed_all([data[i : i + 1460] for i in range(0, len(data), 1460)])
    assert frames_of(chunked) == frames_of(whole)


def test_a_double_hash_inside_a_log_does_not_cut_a_frame_arriving_in_pieces() -> None:
    data = frame(f"{HEADER_2017};CP=&&i11001-Info=//page ## 2//&&")
    cut = data.index(b"##", 2) + 3
    assert feed_all([data[:cut], data[cut:]]) == [data]


def test_a_stray_hash_before_a_frame_costs_only_itself() -> None:
    out = feed_all([b"#" + GOOD[0] + b"##" + GOOD[1]])
    assert frames_of(out) == GOOD[:2]
    assert errors_of(out) == [Reason.BAD_FRAME, Reason.BAD_FRAME]
