"""Item values as numbers: the compiled item_rows gives what item_rows_pure gives."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoradar.hj212 import DecodeOptions, HJ212Error, codec, native, values
from ecoradar.simulate.traffic import FactorProfile, PointProfile, upload
from tests.shared_data import example_packets, log_lines

# The layout of a measurements row: flag in slot 9, ten values between the key and received_at.
SLOTS = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "ZsRtd": 4, "ZsAvg": 5, "ZsMin": 6,
         "ZsMax": 7, "Cou": 8, "Flag": 9}  # fmt: skip
WHEN = datetime(2026, 11, 1, tzinfo=UTC)
ARGS = (SLOTS, 9, 10, (7,), ("hour", WHEN), (WHEN,))


@pytest.fixture(autouse=True)
def codec_path() -> str:
    """This module compares both implementations itself (overrides the conftest's switch)."""
    return "both"


def compiled() -> values.ItemRows:
    if values.item_rows_compiled is None:
        pytest.fail("the compiled HJ 212 codec is not built: run `pip install -e .`")
    return values.item_rows_compiled


def outcome(function: values.ItemRows, *args: object) -> tuple[object, ...]:
    try:
        rows, bad = function(*args)  # type: ignore[arg-type]
    except Exception as exc:
        return ("error", type(exc), str(exc))
    return ("rows", repr(rows), [[type(v) for v in row] for row in rows], bad)


def same(*args: object) -> tuple[object, ...]:
    expected = outcome(values.item_rows_pure, *args)
    assert outcome(compiled(), *args) == expected, args
    return expected


def test_the_items_of_every_decodable_shared_and_simulated_packet_give_the_same() -> None:
    frames: list[bytes | str] = [e.packet for e in example_packets()]
    frames += [line for name in ("rx_release.log", "rx_debug.log") for _, line in log_lines(name)]
    profile = PointProfile("0" * 24, "123456", "gas", (FactorProfile("a21026", 100.0, 9.0),))
    frames += [upload(profile, cn, WHEN + timedelta(hours=1)) for cn in ("2011", "2061")]
    rows = 0
    for frame in frames:
        try:
            packet = codec.decode_pure(frame, DecodeOptions(accept_modbus_crc=True))
        except HJ212Error:
            continue
        rows += len(str(same(packet.items, *ARGS)[1]))
    assert rows > 1000


TEXT = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,17}(\.[0-9]{0,17})?\Z"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.+-eE_ infa１٣\u3000N", max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=6),
        st.dictionaries(st.sampled_from([*SLOTS, "Info", "X"]), TEXT, max_size=6),
        max_size=5,
    )
)
def test_random_values_give_the_same(items: dict[str, dict[str, str]]) -> None:
    same(items, *ARGS)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b"]), st.one_of(st.integers(-12, 12), st.none())),
    st.one_of(st.integers(-3, 12), st.none()),
    st.integers(0, 70),
)
def test_odd_slots_and_widths_give_the_same(
    slots: dict[str, int | None], flag_slot: int | None, width: int
) -> None:
    items = {"c": {"a": "1.5", "b": "N"}, "d": {"b": "x"}}
    same(items, slots, flag_slot, width, (), (1,), ())


@pytest.mark.parametrize(
    "args",
    [
        ({"c": {"Avg": 1.5}},),  # a value that is no str
        ({"c": [("Avg", "1")]},),  # suffixes that are no dict
        ({"c": {"Avg": "1"}}, {"Avg": True}, 9, 10, (), (), ()),  # a bool slot
        ({"c": {"Avg": "1"}}, {"Avg": 0}, 9, 10, [], (), ()),  # a list, not a tuple
        ({"c": {"Avg": "1"}}, {"Avg": 0}, 9, 10, (), ()),  # too few arguments
        ({"c": {"Avg": "1"}}, {"Avg": 0}, "9", 10, (), (), ()),
    ],
)
def test_arguments_of_other_types_give_the_same(args: tuple[object, ...]) -> None:
    if len(args) == 1:
        args = (*args, *ARGS)
    same(*args)


def test_item_rows_is_the_compiled_one_unless_forced() -> None:
    compiled()
    expected = values.item_rows_pure if native.forced_pure() else values.item_rows_compiled
    assert values.item_rows is expected


def test_item_rows_does_not_leak() -> None:
    items = {"a21026": {"Avg": "1.5", "Min": "x", "Max": "1e400", "Flag": "N"}, "b": {"Z": "1"}}
    function = compiled()
    for _ in range(100):
        function(items, *ARGS)
    before = sys.getallocatedblocks()
    for _ in range(3000):
        function(items, *ARGS)
    assert sys.getallocatedblocks() - before < 300
