"""What becomes of one received frame (pure: the device directory is passed in).

Shared by the TCP gateway and ``ecoradar ingest``, so a packet is judged the same way whichever
way it came: decoded with its device's options, authenticated by MN and password, and turned into
measurement rows. Unknown devices and failed authentication are archived, never stored as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final, Literal

from ecoradar.analysers.parse import ParameterRow, parameter_rows
from ecoradar.hj212.codec import decode
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.packet import LENIENT, DecodeOptions, Packet
from ecoradar.hj212.reassembly import Reassembler
from ecoradar.hj212.values import item_rows

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
    """What to do with one frame: archive it always, store ``rows`` when there are any.

    ``cn``, ``qn`` and ``data_time`` are the packet's (for the archive), also when ``packet``
    itself is not kept (a verdict reached in another process travels without it)."""

    outcome: Outcome
    mn: str | None
    packet: Packet | None = None
    device: Device | None = None
    reason: str | None = None
    detail: str | None = None
    rows: list[MeasurementRow] = field(default_factory=list)
    bad_values: int = 0
    cn: str | None = None
    qn: str | None = None
    data_time: datetime | None = None
    parameters: list[ParameterRow] = field(default_factory=list)
    """Analyser parameters of a CN=3020 upload (``ecoradar.analysers``)."""


def peek_mn(frame: bytes) -> str | None:
    """The MN a frame claims, read before decoding (to pick the device's decode options)."""
    found = MN_PEEK.search(frame)
    if found is None:
        return None
    try:
        return found.group(1).decode("ascii").strip()
    except UnicodeDecodeError:
        return None


MeasurementRow = tuple[
    int,  # point_id
    str,  # factor
    str,  # kind
    datetime,  # data_time
    float | None,  # rtd
    float | None,  # avg
    float | None,  # min
    float | None,  # max
    float | None,  # zs_rtd
    float | None,  # zs_avg
    float | None,  # zs_min
    float | None,  # zs_max
    float | None,  # cou
    str | None,  # flag
    datetime,  # received_at
]
"""One value set of the measurements table, in the order of :data:`MEASUREMENT_COLUMNS`. A plain
tuple: rows are made by the thousand, cross process boundaries and go straight to the driver."""
MEASUREMENT_COLUMNS = (
    "point_id",
    "factor",
    "kind",
    "data_time",
    "rtd",
    "avg",
    "min",
    "max",
    "zs_rtd",
    "zs_avg",
    "zs_min",
    "zs_max",
    "cou",
    "flag",
    "received_at",
)
ROW_FACTOR: Final = 1
ROW_DATA_TIME: Final = 3
ROW_RTD: Final = 4
ROW_AVG: Final = 5
ROW_ZS_AVG: Final = 9
ROW_FLAG: Final = 13
"""Positions in a :data:`MeasurementRow`."""

_SLOT = {suffix: MEASUREMENT_COLUMNS.index(name) - 4 for suffix, name in SUFFIX_FIELD.items()}
_FLAG_SLOT = ROW_FLAG - 4
_SLOT["Flag"] = _FLAG_SLOT
_EMPTY_VALUES: list[float | str | None] = [None] * 10


def measurement_rows(
    packet: Packet, point_id: int, received_at: datetime
) -> tuple[list[MeasurementRow], int]:
    """Rows for the measurements table (one per factor), and how many values were unreadable
    (``ecoradar.hj212.values.item_rows``: compiled when the extension is built)."""
    kind = CN_KIND.get(packet.cn)
    data_time = packet.data_time
    if kind is None or data_time is None:
        return [], 0
    rows, bad = item_rows(
        packet.items,
        _SLOT,
        _FLAG_SLOT,
        len(_EMPTY_VALUES),
        (point_id,),
        (kind, data_time),
        (received_at,),
    )
    return rows, bad  # type: ignore[return-value]


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
    cn, qn, data_time = packet.cn, packet.qn, packet.data_time
    if device is None:
        return Verdict(
            "unknown_device",
            packet.mn,
            packet,
            reason="unknown_mn",
            detail=f"MN {packet.mn} is not in the registry",
            cn=cn,
            qn=qn,
            data_time=data_time,
        )
    if device.password is not None and packet.pw != device.password:
        return Verdict(
            "auth_failed",
            packet.mn,
            packet,
            device,
            reason="wrong_password",
            detail=f"wrong password for MN {packet.mn}",
            cn=cn,
            qn=qn,
            data_time=data_time,
        )
    rows, bad = measurement_rows(packet, device.point_id, received_at)
    try:
        parameters = parameter_rows(packet, device.point_id, received_at)
    except HJ212Error as exc:
        return Verdict("refused", packet.mn, packet, device, exc.reason.value, exc.detail, cn=cn)
    outcome: Outcome = "stored" if rows or parameters else "message"
    return Verdict(
        outcome, packet.mn, packet, device, None, None, rows, bad, cn, qn, data_time, parameters
    )


class Judge:
    """Judges frames against a device directory, joining split messages (Flag D) per device
    before their values are stored; each part is archived as it comes. Pure: no database, so
    it can run in another process (``monitoring.parallel``)."""

    def __init__(
        self, directory: dict[str, Device], reassembler: Reassembler | None = None
    ) -> None:
        self.directory = directory
        self.reassembler = reassembler or Reassembler()

    def __call__(self, frame: bytes, received_at: datetime) -> Verdict:
        verdict = assess(frame, self.directory, received_at)
        packet = verdict.packet
        device = verdict.device
        if device is None or packet is None or not packet.is_split:
            return verdict
        try:
            whole = self.reassembler.add(packet)
        except HJ212Error as exc:
            return replace(verdict, outcome="refused", reason=exc.reason.value, detail=exc.detail)
        if whole is None:
            return replace(verdict, outcome="message", rows=[])
        rows, bad = measurement_rows(whole, device.point_id, received_at)
        outcome: Outcome = "stored" if rows else "message"
        return replace(verdict, outcome=outcome, rows=rows, bad_values=bad)
