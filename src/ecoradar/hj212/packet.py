"""The decoded HJ 212 packet, decoding options, editions and the time fields.

Times of HJ 212 (QN, DataTime, SystemTime, BeginTime, EndTime; §6.3.3.2.3 table 4) are China
Standard Time, UTC+8, written ``YYYYMMDDhhmmss`` (QN and some DataTimes add ``zzz`` ms).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.errors import HJ212Error, Reason

CST = CHINA_TZ
"""China Standard Time (UTC+8), the zone of every HJ 212 time field."""

STANDARD_MAX_LENGTH = 1024
"""Largest data segment of HJ 212-2017 §6.3.1 table 2 (``0 <= n <= 1024``)."""
LENIENT_MAX_LENGTH = 4096
"""Default largest data segment accepted from real devices (1025 and 1623 are seen)."""
FRAME_MAX_LENGTH = 9999
"""Largest data segment the 4-digit length field can announce."""


class Edition(StrEnum):
    """The standard a packet follows, from Flag bits V5..V0 (HJ 212-2017 §6.3.2 table 3)."""

    V2005 = "2005"
    """HJ/T 212-2005: version bits 000000, or no Flag at all."""
    V2017 = "2017"
    """HJ 212-2017: version bits 000001 (Flag 4..7)."""
    V2025 = "2025"
    """HJ 212-2025: version bits 000010 (Flag 8..11; from an implementation, unconfirmed)."""


EDITION_VERSION: dict[Edition, int] = {Edition.V2005: 0, Edition.V2017: 1, Edition.V2025: 2}
VERSION_EDITION: dict[int, Edition] = {v: e for e, v in EDITION_VERSION.items()}

FLAG_A = 0b01
"""Flag bit A: the receiver must answer (§6.3.2 table 3)."""
FLAG_D = 0b10
"""Flag bit D: the packet is one part of a split message and carries PNUM and PNO."""

CrcKind = Literal["hj212", "modbus"]

_fromisoformat = datetime.fromisoformat
_PLUS8 = timezone(timedelta(hours=8))
"""The tzinfo of parsed times: what ``fromisoformat`` gives for ``+08:00``, one object."""


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How tolerant :func:`ecoradar.hj212.codec.decode` is; keep one per device.

    ``strict`` is conformance to HJ 212-2017 (§6.3, tables 2 and 3): data segment of at most
    1024 bytes; QN, ST, CN, PW, MN and Flag all present; QN 17 digits of a real time, ST two
    characters 0-9/A-Z, CN 4 digits, PW at most 6 characters, MN 24 hex characters (EPC-96;
    2017 and 2025 editions), PNUM/PNO only with Flag bit D; no unknown, repeated or blank
    field, no empty or repeated CP item, no whitespace around fields.

    Lenient (the default) is what real devices need: data segment up to ``max_length`` bytes,
    QN and Flag may be missing, ST any alphanumeric code (80 and 101 are seen), MN free-form,
    whitespace around the frame, fields and CP items, empty CP items, unknown header fields
    (kept in ``Packet.extra``), and a length field that counts characters instead of bytes.

    In both modes the CRC may be upper or lower case, ST/CN/PW/MN are mandatory, and the
    frame, length, CRC, CP items and DataTime must be well-formed.
    """

    strict: bool = False
    encoding: str = "utf-8"
    """``"utf-8"`` (HJ 212-2017 §6.3) or ``"gbk"`` (older devices); length and CRC count bytes."""
    accept_modbus_crc: bool = False
    """Also accept CRC-16/MODBUS sent low byte first (some devices; see ``rx_*.log``)."""
    max_length: int = LENIENT_MAX_LENGTH
    """Largest data segment in bytes in lenient mode; strict mode always uses 1024."""

    def __post_init__(self) -> None:
        codecs.lookup(self.encoding)  # LookupError for an unknown encoding, at configuration time
        if not 0 < self.max_length <= FRAME_MAX_LENGTH:
            raise ValueError(f"max_length {self.max_length} is not in 1..{FRAME_MAX_LENGTH}")

    @property
    def limit(self) -> int:
        return STANDARD_MAX_LENGTH if self.strict else self.max_length


LENIENT = DecodeOptions()
STRICT = DecodeOptions(strict=True)


@dataclass(frozen=True)
class Packet:
    """A decoded HJ 212 packet (data segment of HJ 212-2017 §6.3.2, table 3).

    ``items`` holds the factor items of CP (``code-Suffix=value``, table 4) as
    ``{code: {suffix: value}}`` with values as sent (a per-item flag is the suffix ``Flag``);
    2005 codes are mapped to 2017 codes (``original_codes`` remembers which). ``cp`` holds every
    other CP key (``DataTime``, ``QnRtn``, ``SB1-RS``, ...) with its value as sent.
    """

    edition: Edition
    qn: str | None
    st: str
    cn: str
    pw: str
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    data_time: datetime | None
    items: dict[str, dict[str, str]]
    cp: dict[str, str]
    length: int
    """Byte length of the data segment."""
    crc: int
    """CRC as received."""
    crc_kind: CrcKind = "hj212"
    encoding: str = "utf-8"
    original_codes: dict[str, str] | None = None
    """2017 code -> code as sent, for the codes mapped from 2005 codes; ``None`` when none."""
    extra: dict[str, str] | None = None
    """Header fields other than QN/ST/CN/PW/MN/Flag/PNUM/PNO (lenient mode only)."""

    @property
    def needs_answer(self) -> bool:
        """Flag bit A: the sender waits for an answer (9011/9013/9014)."""
        return self.flag is not None and bool(self.flag & FLAG_A)

    @property
    def is_split(self) -> bool:
        """The packet is one part of a split message (Flag bit D, or PNUM/PNO present)."""
        return self.pnum is not None


def parse_time(text: str, field: str = "DataTime") -> datetime:
    """``YYYYMMDDhhmmss`` with an optional ``zzz`` (milliseconds) as an aware CST datetime."""
    n = len(text)
    if (n != 14 and n != 17) or not text.isdigit() or not text.isascii():
        raise HJ212Error(
            Reason.BAD_DATATIME,
            f"{field}={text!r} is not YYYYMMDDhhmmss (optionally followed by zzz milliseconds)",
            field,
        )
    try:
        parsed = _fromisoformat(
            f"{text[:8]}T{text[8:14]}+08:00"
            if n == 14
            else f"{text[:8]}T{text[8:14]}.{text[14:]}+08:00"
        )
    except ValueError as exc:
        raise HJ212Error(
            Reason.BAD_DATATIME, f"{field}={text!r} is not a real time: {exc}", field
        ) from None
    # One shared +08:00 offset: datetimes with the same tzinfo object compare and subtract
    # without asking each for its offset (20 times faster; detection does it by the hundred).
    return parsed.replace(tzinfo=_PLUS8)


def format_time(when: datetime) -> str:
    """An aware datetime as ``YYYYMMDDhhmmss`` in CST (sub-second part dropped)."""
    if when.tzinfo is None:
        raise HJ212Error(Reason.BAD_DATATIME, f"naive datetime {when.isoformat()} refused")
    return when.astimezone(CST).strftime("%Y%m%d%H%M%S")


def make_qn(when: datetime) -> str:
    """A QN for a command sent at ``when``: ``YYYYMMDDhhmmsszzz`` in CST (§6.3.2 table 3)."""
    if when.tzinfo is None:
        raise HJ212Error(Reason.BAD_DATATIME, f"naive datetime {when.isoformat()} refused", "QN")
    local = when.astimezone(CST)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def edition_of_flag(flag: int | None) -> Edition:
    """The edition announced by Flag bits V5..V0; no Flag means a 2005-style packet."""
    if flag is None:
        return Edition.V2005
    edition = VERSION_EDITION.get(flag >> 2)
    if edition is None:
        raise HJ212Error(
            Reason.BAD_FIELD,
            f"Flag={flag}: version bits {flag >> 2:06b} name no known edition "
            "(000000 = 2005, 000001 = 2017, 000010 = 2025)",
            "Flag",
        )
    return edition


def flag_for(edition: Edition, *, needs_answer: bool = False, split: bool = False) -> int:
    """The Flag value announcing ``edition`` with bits A and D as given."""
    return (
        (EDITION_VERSION[edition] << 2) | (FLAG_D if split else 0) | (FLAG_A if needs_answer else 0)
    )


_new = object.__new__


def new_packet(fields: dict[str, object]) -> Packet:
    """A :class:`Packet` from a complete field dict, without the per-field frozen ``__init__``
    (the decoder's hot path: one dict update instead of 18 ``object.__setattr__`` calls)."""
    packet: Packet = _new(Packet)
    packet.__dict__.update(fields)
    return packet
