"""Encode HJ 212 frames (HJ 212-2017 §6.3): fields in, ``##`` + length + data + CRC + CR LF out.

The length counts the bytes of the data segment in the chosen encoding, the CRC (Appendix A)
is printed in upper case. Values that would break the framing are refused, so that whatever
:func:`encode` writes, :func:`ecoradar.hj212.codec.decode` reads back the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ecoradar.hj212.crc import crc16, format_crc
from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import (
    EDITION_VERSION,
    FLAG_D,
    FRAME_MAX_LENGTH,
    STANDARD_MAX_LENGTH,
    Edition,
    Packet,
    edition_of_flag,
    format_time,
    parse_time,
)

_EDITIONS = frozenset(e.value for e in Edition)


def encode(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    qn: str | None = None,
    flag: int | None = None,
    edition: Edition | str | None = None,
    pnum: int | None = None,
    pno: int | None = None,
    data_time: datetime | None = None,
    items: Mapping[str, Mapping[str, str]] | None = None,
    cp: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    max_length: int = STANDARD_MAX_LENGTH,
) -> bytes:
    """Build a frame (length and upper-case CRC computed, ``\\r\\n`` appended).

    Without ``flag``, ``edition`` 2017/2025 gives Flag = its version bits (bit D when split);
    without both, no Flag is written (2005 style). ``data_time`` (aware) becomes ``DataTime``
    in CST. ``cp`` keys come first (``DataTime`` leading), then ``items``. Refuses values that
    would break the framing (``;``, ``,``, ``=``, ``&``, CR/LF, surrounding blanks; a log
    between ``//``, table B.10, may hold ``;`` and ``,``) and data segments above
    ``max_length`` bytes (``oversize``: send it split, PNUM/PNO).
    """
    if edition is not None:
        if edition not in _EDITIONS:
            raise HJ212Error(Reason.BAD_FIELD, f"edition {edition!r} is not 2005, 2017 or 2025")
        edition = Edition(edition)
        if flag is None and edition != Edition.V2005:
            flag = (EDITION_VERSION[edition] << 2) | (FLAG_D if pnum is not None else 0)
    if flag is not None:
        if not 0 <= flag <= 255:
            raise HJ212Error(Reason.BAD_FIELD, f"Flag={flag} is not in 0..255", "Flag")
        if edition is not None and edition_of_flag(flag) != edition:
            raise HJ212Error(Reason.BAD_FIELD, f"Flag={flag} does not announce {edition}", "Flag")
        edition_of_flag(flag)
    _check_header_values(qn, st, cn, pw, mn)
    parts = [
        f"{k}={v}"
        for k, v in (("QN", qn), ("ST", st), ("CN", cn), ("PW", pw), ("MN", mn))
        if v is not None
    ]
    if flag is not None:
        parts.append(f"Flag={flag}")
    if (pnum is None) != (pno is None) or (flag is not None and flag & FLAG_D and pnum is None):
        raise HJ212Error(Reason.MISSING_FIELD, "a split packet needs PNUM and PNO", "PNUM")
    if pnum is not None and pno is not None:
        if not 1 <= pno <= pnum <= 9999:
            raise HJ212Error(Reason.BAD_FIELD, f"PNO={pno} is not in 1..PNUM={pnum}", "PNO")
        parts.append(f"PNUM={pnum};PNO={pno}")
    parts.append(f"CP=&&{_cp_text(data_time, items or {}, cp or {})}&&")
    text = ";".join(parts)
    try:
        segment = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise HJ212Error(
            Reason.BAD_ENCODING, f"character {text[exc.start]!r} cannot be written in {encoding}"
        ) from None
    limit = min(max_length, FRAME_MAX_LENGTH)
    if len(segment) > limit:
        raise HJ212Error(
            Reason.OVERSIZE,
            f"data segment of {len(segment)} bytes exceeds {limit}: split it (PNUM/PNO)",
        )
    return b"##%04d%s%s\r\n" % (len(segment), segment, format_crc(crc16(segment)).encode())


def encode_packet(packet: Packet, *, max_length: int = FRAME_MAX_LENGTH) -> bytes:
    """Encode a :class:`Packet` again (2017 codes, same fields, new length and CRC)."""
    return encode(
        st=packet.st,
        cn=packet.cn,
        pw=packet.pw,
        mn=packet.mn,
        qn=packet.qn,
        flag=packet.flag,
        pnum=packet.pnum,
        pno=packet.pno,
        data_time=packet.data_time,
        items=packet.items,
        cp=packet.cp,
        encoding=packet.encoding,
        max_length=max_length,
    )


def _check_header_values(qn: str | None, st: str, cn: str, pw: str, mn: str) -> None:
    for name, value in (("QN", qn), ("ST", st), ("CN", cn), ("PW", pw), ("MN", mn)):
        if value is not None:
            _check_value(name, value, ";=&\r\n")
    if not (st.isalnum() and st.isascii()):
        raise HJ212Error(Reason.BAD_FIELD, f"ST={st!r} is not a system code", "ST")
    if not (cn.isdigit() and cn.isascii()):
        raise HJ212Error(Reason.BAD_FIELD, f"CN={cn!r} is not a command code", "CN")
    if not mn:
        raise HJ212Error(Reason.BAD_FIELD, "MN is empty", "MN")


def _cp_text(
    data_time: datetime | None, items: Mapping[str, Mapping[str, str]], cp: Mapping[str, str]
) -> str:
    pairs: list[str] = []
    given = cp.get("DataTime")
    if data_time is not None:
        if given is not None and parse_time(given) != data_time:
            raise HJ212Error(
                Reason.BAD_FIELD, f"data_time and DataTime={given!r} disagree", "DataTime"
            )
        pairs.append(f"DataTime={given if given is not None else format_time(data_time)}")
    elif given is not None:
        parse_time(given)
        pairs.append(f"DataTime={given}")
    for key, value in cp.items():
        if key != "DataTime":
            _check_key(key, key, dash_ok=key.startswith("SB"))
            _check_data_value(key, value)
            pairs.append(f"{key}={value}")
    groups = [";".join(pairs)] if pairs else []
    for code, values in items.items():
        _check_key(code, code, dash_ok=False)
        if code.startswith("SB") or not values:
            raise HJ212Error(Reason.BAD_FIELD, f"item code {code!r} has no values or is SBx", code)
        group = []
        for suffix, value in values.items():
            name = f"{code}-{suffix}"
            _check_key(name, suffix, dash_ok=False)
            _check_data_value(name, value)
            group.append(f"{name}={value}")
        groups.append(",".join(group))
    return ";".join(groups)


def _check_key(name: str, key: str, *, dash_ok: bool) -> None:
    _check_value(name, key, ";,=&\r\n/ \t")
    if not key or (not dash_ok and "-" in key) or key.startswith("-") or key.endswith("-"):
        raise HJ212Error(Reason.BAD_FIELD, f"{key!r} is not a field name", name)


def _check_data_value(name: str, value: str) -> None:
    """A CP value: a ``//log//`` (table B.10) may hold ``;`` and ``,``, nothing else may."""
    if len(value) >= 4 and value.startswith("//") and value.endswith("//"):
        _check_value(name, value[2:-2], "&\r\n", padded_ok=True)
        if "//" in value[2:-2]:
            raise HJ212Error(Reason.BAD_FIELD, f"{name}: log {value!r} holds '//'", name)
    elif value.startswith("//"):
        raise HJ212Error(
            Reason.BAD_FIELD, f"{name}={value!r} opens a // log it does not close", name
        )
    else:
        _check_value(name, value, ";,=&\r\n")


def _check_value(name: str, value: object, forbidden: str, *, padded_ok: bool = False) -> None:
    if not isinstance(value, str):
        raise HJ212Error(Reason.BAD_FIELD, f"{name} is not a string: {value!r}", name)
    if not padded_ok and value != value.strip():
        raise HJ212Error(Reason.BAD_FIELD, f"{name}={value!r} has surrounding whitespace", name)
    for ch in forbidden:
        if ch in value:
            raise HJ212Error(
                Reason.BAD_FIELD, f"{name}={value!r} holds {ch!r}, which breaks the framing", name
            )
