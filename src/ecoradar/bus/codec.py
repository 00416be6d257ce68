"""A judged batch as bytes for the bus, and back (pure).

MessagePack, built from plain values only: a worker decodes whatever reaches its subject, and
MessagePack cannot make anything but numbers, strings, bytes, lists and maps, whereas a pickle
from the network would run whatever code it names. The layout is fixed by position::

    [FORMAT, [item, ...]]
    item: [frame, peer, received_us, received_offset, outcome, mn, point_id, reason, detail,
           bad_values, cn, qn, data_time_us | None, data_time_offset, rows]
    rows: [data_time_us, data_time_offset, received_us, received_offset,
           [[factor, kind, rtd, avg, min, max, zs_rtd, zs_avg, zs_min, zs_max, cou, flag], ...]]
          when every row shares its point, data time and receive time (as ``measurement_rows``
          makes them), else [None, [full row with times as (us, offset) pairs, ...]]

A time is its microseconds since the Unix epoch and its UTC offset in seconds (plain 64-bit
integers for any year a device can send, and the offset is kept: HJ 212 times stay +08:00).
Decoded times of one message share their ``tzinfo`` objects and, when equal, the objects
themselves (comparing datetimes across ``tzinfo`` objects is much slower).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import msgpack

from ecoradar.core.clock import CHINA_TZ
from ecoradar.monitoring.intake import Device, MeasurementRow, Verdict
from ecoradar.monitoring.prepared import Received

FORMAT = 1
"""Version of the layout; a worker refuses a message of another."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_OUTCOMES = frozenset(
    {"stored", "message", "unknown_device", "auth_failed", "refused", "quarantined"}
)


class BadMessage(ValueError):
    """A message on a batch subject that is not a batch of this format."""


_offsets: dict[tzinfo | None, int] = {}
_ZONES: dict[int, timezone] = {0: UTC, 8 * 3600: CHINA_TZ}
"""The zone of each offset, shared by every message: China time is the clock's own object."""


def _time(when: datetime) -> tuple[int, int]:
    zone = when.tzinfo
    offset = _offsets.get(zone)
    if offset is None:
        delta = when.utcoffset()
        offset = int(delta.total_seconds()) if delta is not None else 0
        if zone is not None:  # fixed-offset zones only are cached (a named zone has DST)
            if isinstance(zone, timezone):
                _offsets[zone] = offset
    if zone is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // MICROSECOND, offset


def encode(batch: Sequence[Received]) -> bytes:
    """``batch`` as one message (its decoded packets stay behind: workers do not need them)."""
    data: bytes = msgpack.packb(
        [FORMAT, [_item(item) for item in batch]], unicode_errors="surrogateescape"
    )
    return data


def _item(item: Received) -> list[Any]:
    v = item.verdict
    received_us, received_off = _time(item.received_at)
    if v.data_time is not None:
        data_us, data_off = _time(v.data_time)
    else:
        data_us, data_off = None, 0
    point_id = v.device.point_id if v.device is not None else None
    return [
        item.frame,
        item.peer,
        received_us,
        received_off,
        v.outcome,
        v.mn,
        point_id,
        v.reason,
        v.detail,
        v.bad_values,
        v.cn,
        v.qn,
        data_us,
        data_off,
        _rows(v.rows),
    ]


def _rows(rows: list[MeasurementRow]) -> list[Any]:
    if not rows:
        return []
    first = rows[0]
    point, when, received = first[0], first[3], first[14]
    if all(r[0] == point and r[3] is when and r[14] is received for r in rows):
        return [point, *_time(when), *_time(received), [list(r[1:3] + r[4:14]) for r in rows]]
    full = [[*r[:3], *_time(r[3]), *r[4:14], *_time(r[14])] for r in rows]
    return [None, full]


class _Times:
    """Decoded times of one message: equal times share one object, offsets one ``tzinfo``."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, int], datetime] = {}

    def __call__(self, us: int, offset: int) -> datetime:
        key = (us, offset)
        found = self.seen.get(key)
        if found is None:
            zone = _ZONES.get(offset)
            if zone is None:
                zone = _ZONES[offset] = timezone(timedelta(seconds=offset))
            found = self.seen[key] = (EPOCH + us * MICROSECOND).astimezone(zone)
        return found


def decode(data: bytes, devices: dict[int, Device] | None = None) -> list[Received]:
    """The batch in ``data``; :class:`BadMessage` when it is not one. ``devices`` caches the
    stand-ins for registered devices (only their point matters to the write)."""
    devices = {} if devices is None else devices
    try:
        envelope = msgpack.unpackb(data, unicode_errors="surrogateescape", strict_map_key=True)
        version, items = envelope
        if version != FORMAT:
            raise BadMessage(f"batch format {version!r}, this worker reads {FORMAT}")
        times = _Times()
        return [_received(item, times, devices) for item in items]
    except BadMessage:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        raise BadMessage(f"not a batch of format {FORMAT}: {exc!r}"[:300]) from exc
    except msgpack.ExtraData as exc:  # pragma: no cover - a ValueError too, named for clarity
        raise BadMessage("trailing bytes after the batch") from exc


def _received(item: list[Any], times: _Times, devices: dict[int, Device]) -> Received:
    (
        frame,
        peer,
        r_us,
        r_off,
        outcome,
        mn,
        point_id,
        reason,
        detail,
        bad,
        cn,
        qn,
        d_us,
        d_off,
        rows,
    ) = item
    if not isinstance(frame, bytes) or not isinstance(peer, str) or outcome not in _OUTCOMES:
        raise BadMessage("an item without its frame, peer or outcome")
    device = None
    if point_id is not None:
        device = devices.get(point_id)
        if device is None:
            device = devices[point_id] = Device(int(point_id), mn or "", None)
    data_time = times(d_us, d_off) if d_us is not None else None
    verdict = Verdict(
        outcome,
        mn,
        None,
        device,
        reason,
        detail,
        _measurements(rows, times),
        bad,
        cn,
        qn,
        data_time,
    )
    return Received(frame, peer, times(r_us, r_off), verdict)


def _measurements(rows: list[Any], times: _Times) -> list[MeasurementRow]:
    if not rows:
        return []
    if rows[0] is None:
        return [
            (r[0], r[1], r[2], times(r[3], r[4]), *r[5:15], times(r[15], r[16])) for r in rows[1]
        ]
    point, d_us, d_off, r_us, r_off, values = rows
    when, received = times(d_us, d_off), times(r_us, r_off)
    return [(point, v[0], v[1], when, *v[2:12], received) for v in values]
