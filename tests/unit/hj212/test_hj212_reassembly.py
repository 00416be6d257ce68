"""Split messages (Flag bit D, PNUM/PNO) joined again, whatever the order of their parts."""

from __future__ import annotations

import itertools

import pytest

from ecoradar.hj212 import HJ212Error, Packet, Reason, Reassembler, decode
from tests.unit.hj212.reference import frame

MN = "010000A8900016F000169DC0"


def part(
    pno: int, pnum: int = 3, *, qn: str = "20160801085857534", data_time: str = "20160801080000"
) -> Packet:
    items = f"w0101{pno}-Avg={pno}.5,w0101{pno}-Flag=N"
    segment = (
        f"QN={qn};ST=32;CN=2061;PW=123456;MN={MN};Flag=7;PNUM={pnum};PNO={pno};"
        f"CP=&&DataTime={data_time};{items}&&"
    )
    return decode(frame(segment))


def test_a_packet_that_is_not_split_passes_through() -> None:
    whole = decode(frame(f"QN=1;ST=32;CN=2061;PW=1;MN={MN};Flag=5;CP=&&w01018-Avg=1&&"))
    assert Reassembler().add(whole) is whole


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])))
def test_parts_in_any_order_make_one_message(order: tuple[int, ...]) -> None:
    reassembler = Reassembler()
    results = [reassembler.add(part(n)) for n in order]
    assert results[:2] == [None, None]
    message = results[2]
    assert message is not None and len(reassembler) == 0
    assert message.items == {f"w0101{n}": {"Avg": f"{n}.5", "Flag": "N"} for n in (1, 2, 3)}
    assert list(message.items) == ["w01011", "w01012", "w01013"]
    assert (message.pnum, message.pno, message.flag) == (None, None, 5)
    assert message.length == sum(part(n).length for n in (1, 2, 3))
    assert message.cp == {"DataTime": "20160801080000"} and message.qn == "20160801085857534"


def test_a_repeated_part_is_ignored_and_counted() -> None:
    reassembler = Reassembler()
    assert reassembler.add(part(1)) is None
    assert reassembler.add(part(1)) is None
    assert reassembler.add(part(2)) is None
    assert reassembler.duplicates == 1
    assert reassembler.add(part(3)) is not None


def test_parts_of_different_messages_are_kept_apart_by_mn_and_qn() -> None:
    reassembler = Reassembler()
    assert reassembler.add(part(1, 2, qn="1")) is None
    assert reassembler.add(part(1, 2, qn="2")) is None
    assert len(reassembler) == 2
    joined = reassembler.add(part(2, 2, qn="2"))
    assert joined is not None and joined.qn == "2" and len(reassembler) == 1


def test_parts_with_their_own_qn_join_by_datatime_as_in_appendix_c() -> None:
    first, second = part(1, 2, qn="20160801085857534"), part(2, 2, qn="20160801085857535")
    by_qn = Reassembler()
    assert by_qn.add(first) is None and by_qn.add(second) is None
    by_time = Reassembler(key_by="datatime")
    assert by_time.add(first) is None
    joined = by_time.add(second)
    assert joined is not None and set(joined.items) == {"w01011", "w01012"}


def test_the_oldest_waiting_message_is_dropped_when_full() -> None:
    reassembler = Reassembler(max_pending=2)
    for qn in ("1", "2", "3"):
        reassembler.add(part(1, 2, qn=qn))
    assert len(reassembler) == 2 and reassembler.evicted == 1
    assert reassembler.add(part(2, 2, qn="1")) is None
    assert reassembler.add(part(2, 2, qn="3")) is not None


def test_a_part_with_another_pnum_is_refused() -> None:
    reassembler = Reassembler()
    reassembler.add(part(1, 3))
    with pytest.raises(HJ212Error) as caught:
        reassembler.add(part(2, 4))
    assert (caught.value.reason, caught.value.field) == (Reason.BAD_FIELD, "PNUM")


def test_too_many_parts_are_refused() -> None:
    with pytest.raises(HJ212Error) as caught:
        Reassembler(max_parts=2).add(part(1, 3))
    assert caught.value.field == "PNUM"


def test_a_waiting_message_can_be_discarded() -> None:
    reassembler = Reassembler()
    reassembler.add(part(1))
    assert reassembler.discard(part(2)) and not reassembler.discard(part(2))
    reassembler.add(part(1))
    reassembler.clear()
    assert len(reassembler) == 0


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Reassembler(max_pending=0)
    with pytest.raises(ValueError):
        Reassembler(key_by="mn")  # type: ignore[arg-type]
