"""What becomes of one received frame (pure: the device directory is passed in).

Shared by the TCP gateway and ``ecoradar ingest``, so a packet is judged the same way whichever
way it came: decoded with its device's options, authenticated by MN and password, and turned into
measurement rows. Unknown devices and failed authentication are archived, never stored as data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from ecoradar.hj212.codec import decode
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.packet import LENIENT, DecodeOptions, Packet

CN_KIND: dict[str, str] = {"2011": "rtd", "2051": "minute", "2061": "hour", "2031": "day"}
"""Data upload commands of HJ 212-2017 §6.6 and the kind of value each carries."""
SUFFIX_FIELD: dict[str, str] = {
    "Rtd": "rtd",
    "Avg": "avg",
    "Min": "min",
    "Max": "max",
    "ZsRtd": "zs_rtd",
    "ZsAvg": "zs_avg",
    "ZsMin": "zs_min",
    "ZsMax": "zs_max",
    "Cou": "cou",
}
MN_PEEK = re.compile(rb"MN=([^;&\r\n]{1,64})")

Outcome = Literal["stored", "message", "unknown_device", "auth_failed", "refused", "quarantined"]
"""``quarantined``: accepted and archived, values held back (e.g. a DataTime in the future)."""


@dataclass(frozen=True)
class Device:
    """A registered data acquisition unit: how to read it and whom it belongs to."""

    point_id: int
    mn: str
    password: str | None
    options: DecodeOptions = LENIENT
    enterprise_code: str = ""


@dataclass(frozen=True)
class Verdict:
    """What to do with one frame: archive it always, store ``rows`` when there are any."""

    outcome: Outcome
    mn: str | None
    packet: Packet | None = None
    device: Device | None = None
    reason: str | None = None
    detail: str | None = None
    rows: list[MeasurementRow] = field(default_factory=list)
    bad_values: int = 0


def peek_mn(frame: bytes) -> str | None:
    """The MN a frame claims, read before decoding (to pick the device's decode options)."""
    found = MN_PEEK.search(frame)
    if found is None:
        return None
    try:
        return found.group(1).decode("ascii").strip()
    except UnicodeDecodeError:
        return None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class MeasurementRow(NamedTuple):
    """One value set of the measurements table, in its column order (see ``store``)."""

    point_id: int
    factor: str
    kind: str
    data_time: datetime
    rtd: float | None
    avg: float | None
    min: float | None
    max: float | None
    zs_rtd: float | None
    zs_avg: float | None
    zs_min: float | None
    zs_max: float | None
    cou: float | None
    flag: str | None
    received_at: datetime


_FIELD_INDEX = {suffix: MeasurementRow._fields.index(name) for suffix, name in SUFFIX_FIELD.items()}
_FLAG_INDEX = MeasurementRow._fields.index("flag")
_EMPTY_VALUES: list[float | str | None] = [None] * 10


def measurement_rows(
    packet: Packet, point_id: int, received_at: datetime
) -> tuple[list[MeasurementRow], int]:
    """Rows for the measurements table (one per factor), and how many values were unreadable."""
    kind = CN_KIND.get(packet.cn)
    data_time = packet.data_time
    if kind is None or data_time is None:
        return [], 0
    rows: list[MeasurementRow] = []
    bad = 0
    make_row = MeasurementRow._make
    for code, suffixes in packet.items.items():
        values = _EMPTY_VALUES.copy()
        has_value = False
        for suffix, text in suffixes.items():
            index = _FIELD_INDEX.get(suffix)
            if index is not None:
                value = _number(text)
                if value is None:
                    bad += 1
                else:
                    values[index - 4] = value
                    has_value = True
            elif suffix == "Flag":
                values[_FLAG_INDEX - 4] = text[:4]
                has_value = True
        if has_value:
            rows.append(make_row((point_id, code, kind, data_time, *values, received_at)))
    return rows, bad


def assess(frame: bytes, directory: Mapping[str, Device], received_at: datetime) -> Verdict:
    """Decode, authenticate and normalize one frame."""
    mn = peek_mn(frame)
    device = directory.get(mn) if mn is not None else None
    options = device.options if device is not None else LENIENT
    try:
        packet = decode(frame, options)
    except HJ212Error as exc:
        return Verdict("refused", mn, device=device, reason=exc.reason.value, detail=exc.detail)
    device = directory.get(packet.mn)
    if device is None:
        return Verdict(
            "unknown_device",
            packet.mn,
            packet,
            reason="unknown_mn",
            detail=f"MN {packet.mn} is not in the registry",
        )
    if device.password is not None and packet.pw != device.password:
        return Verdict(
            "auth_failed",
            packet.mn,
            packet,
            device,
            reason="wrong_password",
            detail=f"wrong password for MN {packet.mn}",
        )
    rows, bad = measurement_rows(packet, device.point_id, received_at)
    outcome: Outcome = "stored" if rows else "message"
    return Verdict(outcome, packet.mn, packet, device, rows=rows, bad_values=bad)
