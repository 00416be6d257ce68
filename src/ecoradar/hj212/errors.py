"""Refusals of the HJ 212 codec.

Every refusal is an :class:`HJ212Error` whose ``reason`` is one of the closed set :class:`Reason`
and whose ``detail`` is a sentence naming the field or byte position, so that the person who
configured the device can fix it. ``field`` names the data-segment field at fault when there is
one (``"QN"``, ``"ST"``, ``"CN"``, ``"PW"``, ``"MN"``, ``"Flag"``, ``"PNUM"``, ``"PNO"``, ``"CP"``,
``"DataTime"`` or a CP key); a gateway maps it to the request-answer code of HJ 212-2017 §6.6.3
(see :func:`ecoradar.hj212.replies.qn_rtn_for`).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a frame was refused. Members are plain strings (``Reason.BAD_CRC == "bad_crc"``)."""

    BAD_FRAME = "bad_frame"
    """Not an HJ 212 frame (§6.3.1): no ``##``, no 4-digit length, no CRC, garbage, truncated."""
    BAD_LENGTH = "bad_length"
    """The 4-digit length does not equal the byte count of the data segment (§6.3.1, table 2)."""
    BAD_CRC = "bad_crc"
    """The CRC does not match Appendix A (nor CRC-16/MODBUS when that tolerance is on)."""
    OVERSIZE = "oversize"
    """The data segment is longer than allowed: 1024 bytes strict (table 2), else the option."""
    BAD_FIELD = "bad_field"
    """A field is malformed: ST, CN, Flag, MN, PNUM/PNO, CP, a CP item, or an unknown edition."""
    MISSING_FIELD = "missing_field"
    """A mandatory field is absent (table 3; QN and Flag only in strict mode)."""
    BAD_DATATIME = "bad_datatime"
    """``DataTime`` is not ``YYYYMMDDhhmmss`` (optionally ``zzz``) or not a real date-time."""
    BAD_ENCODING = "bad_encoding"
    """The data segment does not decode in the configured text encoding (UTF-8 or GBK, §6.3)."""


REASONS: frozenset[str] = frozenset(r.value for r in Reason)


class HJ212Error(ValueError):
    """An HJ 212 frame or field was refused.

    ``reason`` is a :class:`Reason`; ``detail`` names the field or the byte position; ``field``
    is the data-segment field at fault, if any.
    """

    def __init__(self, reason: Reason | str, detail: str, field: str | None = None) -> None:
        self.reason = Reason(reason)
        self.detail = detail
        self.field = field
        super().__init__(f"{self.reason.value}: {detail}")

    def __reduce__(self) -> tuple[type[HJ212Error], tuple[str, str, str | None]]:
        return (type(self), (self.reason.value, self.detail, self.field))
