"""Analyser parameters out of a CN=3020 upload (pure: no database).

HJ 212-2017 tables C.44 and C.45: ``CP=&&DataTime=...;PolId=w01018;i13001-Info=500;
i13006-Info=20260720100000;i13007-Info=0.1;i13008-Info=1.02&&``. The codes of table B.12
(i13001 range, i13002 precision, i13003 interval, i13004 digestion temperature, i13005
digestion time, i13006 calibration time, i13007 intercept, i13008 slope, i13009 detection
limit, ...). A 3020 upload with logs (i11xxx) or states (i12xxx) only carries no parameters and
is kept as a message; one with parameters must name its analyser (PolId) and its time
(DataTime), and its numbers must be numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ecoradar.hj212.codec import decode
from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import Packet, parse_time

if TYPE_CHECKING:
    from ecoradar.monitoring.intake import Verdict

SITE_INFO_CN: Final = "3020"
PARAMETER_PREFIX: Final = "i13"
RANGE, CALIBRATED, INTERCEPT, SLOPE = "i13001", "i13006", "i13007", "i13008"
NUMERIC_CODES: Final = frozenset({RANGE, INTERCEPT, SLOPE})
"""Codes whose value must be a number to be kept (the rule compares them)."""

ParameterRow = tuple[
    int,  # point_id
    str,  # factor (PolId)
    datetime,  # data_time
    float | None,  # range_value (i13001)
    datetime | None,  # calibrated_at (i13006)
    float | None,  # intercept (i13007)
    float | None,  # slope (i13008)
    dict[str, Any],  # info: every i13xxx item as sent
    datetime,  # received_at
]
PARAMETER_COLUMNS: Final = (
    "point_id",
    "factor",
    "data_time",
    "range_value",
    "calibrated_at",
    "intercept",
    "slope",
    "info",
    "received_at",
)


def parameter_rows(packet: Packet, point_id: int, received_at: datetime) -> list[ParameterRow]:
    """The parameter record of a 3020 upload (empty when it carries no i13xxx item).

    Raises ``HJ212Error`` (``missing_field`` / ``bad_field``) naming the device and the item
    when the record is unusable."""
    if packet.cn != SITE_INFO_CN:
        return []
    info = {
        code: values["Info"]
        for code, values in packet.items.items()
        if code.startswith(PARAMETER_PREFIX) and "Info" in values
    }
    if not info:
        return []
    where = f"CN=3020 from MN {packet.mn}"
    factor = (packet.cp.get("PolId") or "").strip()
    if not factor:
        raise HJ212Error(Reason.MISSING_FIELD, f"{where}: parameters without PolId", "PolId")
    if len(factor) > 16:
        raise HJ212Error(Reason.BAD_FIELD, f"{where}: PolId {factor!r} is too long", "PolId")
    if packet.data_time is None:
        raise HJ212Error(Reason.MISSING_FIELD, f"{where}: parameters without DataTime", "DataTime")
    numbers = {code: _number(info.get(code), code, where) for code in NUMERIC_CODES}
    calibrated = _time(info.get(CALIBRATED), where)
    return [
        (
            point_id,
            factor,
            packet.data_time,
            numbers[RANGE],
            calibrated,
            numbers[INTERCEPT],
            numbers[SLOPE],
            info,
            received_at,
        )
    ]


def _number(text: str | None, code: str, where: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise HJ212Error(
            Reason.BAD_FIELD, f"{where}: {code}-Info={text!r} is not a number", f"{code}-Info"
        )
    return value


def _time(text: str | None, where: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_time(text.strip(), f"{CALIBRATED}-Info")
    except HJ212Error:
        raise HJ212Error(
            Reason.BAD_FIELD,
            f"{where}: {CALIBRATED}-Info={text!r} is not a time (YYYYMMDDhhmmss)",
            f"{CALIBRATED}-Info",
        ) from None


def recover_parameters(verdict: Verdict, frame: bytes, received_at: datetime) -> list[ParameterRow]:
    """The parameters of an accepted 3020 upload: the verdict's, or, when the verdict crossed a
    process or machine without them (the gateway's writer, the bus), read again from the
    frame (a few packets a device a day). A frame that no longer decodes gives none."""
    if verdict.parameters:
        return list(verdict.parameters)
    device = verdict.device
    if device is None:
        return []
    try:
        return parameter_rows(decode(frame, device.options), device.point_id, received_at)
    except HJ212Error:
        return []
