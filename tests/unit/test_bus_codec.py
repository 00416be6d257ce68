"""The bus's pure parts: a batch as bytes and back, partitions, and who holds which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgpack
import pytest

from ecoradar.bus.codec import BadMessage, decode, encode
from ecoradar.bus.config import BusConfig, assign, partition_of
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import ConfigurationError
from ecoradar.monitoring.intake import Device, MeasurementRow, Verdict
from ecoradar.monitoring.prepared import Received

HOUR = datetime(2026, 11, 1, 3, tzinfo=CHINA_TZ)
RECEIVED = datetime(2026, 11, 2, 1, 2, 3, 456789, tzinfo=UTC)


def row(factor: str, when: datetime = HOUR, value: float | None = 1.5) -> MeasurementRow:
    return (
        7,
        factor,
        "hour",
        when,
        value,
        2.5,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "N",
        RECEIVED,
    )


def received(rows: list[MeasurementRow], **verdict: object) -> Received:
    fields: dict[str, object] = {
        "outcome": "stored",
        "mn": "MN-7",
        "device": Device(7, "MN-7", "secret"),
        "rows": rows,
        "cn": "2061",
        "qn": "20261101030000000",
        "data_time": HOUR,
        **verdict,
    }
    return Received(b"##0123QN=...\r\n", "10.0.0.1:5555", RECEIVED, Verdict(**fields))  # type: ignore[arg-type]


def test_a_batch_comes_back_with_its_rows_times_and_verdicts() -> None:
    batch = [
        received([row("a21026"), row("a21002", value=None)]),
        received([], outcome="refused", mn=None, device=None, reason="bad_crc", detail="x\udcff",
                 cn=None, qn=None, data_time=None),
        received([row("a21026"), row("a21026", HOUR + timedelta(hours=1))]),  # split rows
    ]  # fmt: skip
    back = decode(encode(batch))
    assert [b.verdict.rows for b in back] == [b.verdict.rows for b in batch]
    for got, sent in zip(back, batch, strict=True):
        assert (got.frame, got.peer, got.received_at) == (sent.frame, sent.peer, sent.received_at)
        v, w = got.verdict, sent.verdict
        assert (v.outcome, v.mn, v.reason, v.detail, v.cn, v.qn, v.data_time, v.bad_values) == (
            w.outcome, w.mn, w.reason, w.detail, w.cn, w.qn, w.data_time, w.bad_values,
        )  # fmt: skip
        assert (v.device.point_id if v.device else None) == (
            w.device.point_id if w.device else None
        )
        assert v.packet is None  # the decoded packet stays with the gateway


def test_times_keep_their_offset_and_share_the_clock_s_china_zone() -> None:
    odd = timezone(timedelta(hours=-3, minutes=-30))
    back = decode(encode([received([row("a21026", HOUR.astimezone(odd))])]))[0]
    assert back.verdict.data_time is not None
    assert back.verdict.data_time.tzinfo is CHINA_TZ
    assert back.verdict.rows[0][3].utcoffset() == timedelta(hours=-3, minutes=-30)
    assert back.received_at.tzinfo is UTC


def test_a_time_far_in_the_future_still_travels() -> None:
    far = datetime(9999, 12, 31, 23, tzinfo=CHINA_TZ)  # a device's clock gone wrong
    back = decode(encode([received([row("a21026", far)], data_time=far)]))[0]
    assert back.verdict.data_time == far and back.verdict.rows[0][3] == far


@pytest.mark.parametrize(
    "data",
    [
        b"\x93not a batch",
        msgpack.packb([2, []]),  # another format
        msgpack.packb([1, [["frame", "peer"]]]),
        msgpack.packb(
            [1, [[b"f", "p", 0, 0, "exploded", None, None, None, None, 0, None, None, None, 0, []]]]
        ),  # fmt: skip
        msgpack.packb({"a": 1}),
    ],
)
def test_anything_but_a_batch_is_refused_as_a_bad_message(data: bytes) -> None:
    with pytest.raises(BadMessage):
        decode(data)


def test_a_device_always_falls_in_the_same_partition() -> None:
    assert partition_of("010000A8900016F000000001", "a", 16) == partition_of(
        "010000A8900016F000000001", "b", 16
    )
    spread = {partition_of(f"MN{i:06d}", "", 16) for i in range(200)}
    assert spread == set(range(16))
    assert partition_of(None, "10.0.0.1:5555", 16) == partition_of(None, "10.0.0.1:5555", 16)


def test_every_partition_has_exactly_one_holder_among_the_live_workers() -> None:
    live = ["w-b", "w-a", "w-c"]
    held = [assign(live, me, 16) for me in live]
    assert sorted(p for h in held for p in h) == list(range(16))
    assert assign([], "alone", 4) == {0, 1, 2, 3}  # its own heartbeat not seen yet


def test_a_stream_s_subjects_and_consumers_are_named_after_it() -> None:
    config = BusConfig.for_stream("nats://10.0.0.5:4222")
    assert (config.subject(3), config.consumer(3), config.members) == (
        "ecoradar.batches.3",
        "ecoradar-batches-worker-3",
        "ECORADAR_BATCHES_workers",
    )
    with pytest.raises(ConfigurationError):
        BusConfig.for_stream("nats://h:4222", "bad name")
    with pytest.raises(ConfigurationError):
        BusConfig(url="http://h:4222")
