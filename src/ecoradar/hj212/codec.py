"""Decode HJ 212 frames of the 2005, 2017 and 2025 editions (pure: no I/O); encode them
with :func:`encode` (from :mod:`ecoradar.hj212.encoder`).

:func:`decode` is the compiled decoder (``csrc/``, see :mod:`ecoradar.hj212.native`) when the
extension is built, else (or with ``ECORADAR_PURE_CODEC=1``) :func:`decode_pure`, the reference
written here: both give the same packet or the same refusal for every frame.

Frame (HJ 212-2017 §6.3.1, table 2)::

    ## + 4-digit length of the data segment in bytes + data segment + 4 hex CRC + <CR><LF>

Data segment (§6.3.2, table 3)::

    QN=YYYYMMDDhhmmsszzz;ST=..;CN=....;PW=......;MN=...;Flag=.;[PNUM=..;PNO=..;]CP=&&...&&

CP data area (§6.3.3): ``code-Suffix=value`` items, joined by ``,`` within a factor and ``;``
between factors, plus keys such as ``DataTime``; ``-Info`` logs are quoted between ``//``.
The CRC is Appendix A's (:mod:`ecoradar.hj212.crc`).
"""

from __future__ import annotations

import re

from ecoradar.hj212 import native
from ecoradar.hj212.codes import code_map_for
from ecoradar.hj212.crc import crc16, crc16_modbus_as_sent, format_crc
from ecoradar.hj212.encoder import encode, encode_packet
from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import (
    FLAG_D,
    LENIENT,
    CrcKind,
    DecodeOptions,
    Edition,
    Packet,
    edition_of_flag,
    new_packet,
    parse_time,
)
from ecoradar.hj212.segment import parse_cp

__all__ = ["CODEC", "decode", "decode_compiled", "decode_pure", "encode", "encode_packet"]

_HEX = b"0123456789abcdefABCDEF"
_UPPER_HEX = "0123456789ABCDEF"
_CP_LENIENT = re.compile(r"(?:^|;)[ \t]*CP[ \t]*=")
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_FLAGS = {str(value): value for value in range(1, 256)}  # 0 falls through to _flag


def decode_pure(frame: bytes | str, options: DecodeOptions = LENIENT) -> Packet:
    """Decode one frame (with or without its trailing ``\\r\\n``) into a :class:`Packet`.

    Raises :class:`HJ212Error` when the frame is refused; see :class:`DecodeOptions` for what
    strict and lenient mode accept.
    """
    encoding = options.encoding
    if isinstance(frame, str):
        try:
            frame = frame.encode(encoding)
        except UnicodeEncodeError as exc:
            raise HJ212Error(
                Reason.BAD_ENCODING, f"character {exc.start} cannot be written in {encoding}"
            ) from None
    strict = options.strict
    data = frame[:-2] if frame[-2:] == b"\r\n" else frame
    if not strict:
        data = data.strip()
    if data[:2] != b"##":
        raise HJ212Error(Reason.BAD_FRAME, f"frame does not start with '##': {data[:16]!r}")
    if len(data) < 10:
        raise HJ212Error(
            Reason.BAD_FRAME, f"frame of {len(data)} bytes is too short for ##, length and CRC"
        )
    length_field = data[2:6]
    if not length_field.isdigit():
        raise HJ212Error(
            Reason.BAD_FRAME, f"bytes 2-5 {length_field!r} are not the 4-digit length of the data"
        )
    crc_field = data[-4:]
    if crc_field.translate(None, _HEX):
        raise HJ212Error(
            Reason.BAD_FRAME, f"the last 4 bytes {crc_field!r} before CR LF are not a hex CRC"
        )
    segment = data[6:-4]
    n = len(segment)
    limit = options.limit
    if n > limit:
        raise HJ212Error(
            Reason.OVERSIZE,
            f"data segment of {n} bytes exceeds the limit of {limit} bytes"
            + (" of HJ 212-2017 table 2" if strict else ""),
        )
    declared = int(length_field)
    if declared != n and (strict or not _counts_characters(segment, declared, encoding)):
        raise HJ212Error(
            Reason.BAD_LENGTH,
            f"length field says {declared} bytes but the data segment has {n} bytes",
        )
    received = int(crc_field, 16)
    crc_kind: CrcKind = "hj212"
    if received != crc16(segment):
        if options.accept_modbus_crc and received == crc16_modbus_as_sent(segment):
            crc_kind = "modbus"
        else:
            raise HJ212Error(
                Reason.BAD_CRC,
                f"CRC {crc_field.decode()} received, {format_crc(crc16(segment))} computed over "
                f"the {n}-byte data segment (HJ 212-2017 Appendix A)",
            )
    try:
        text = segment.decode(encoding)
    except UnicodeDecodeError as exc:
        raise HJ212Error(
            Reason.BAD_ENCODING,
            f"data segment is not {encoding} at byte {exc.start + 6} of the frame",
        ) from None
    return _parse_segment(text, options, n, received, crc_kind)


decode_compiled: native.Decoder | None = native.load(decode_pure)
"""The compiled decoder, ``None`` when the extension is not built."""
decode: native.Decoder = (
    decode_compiled if decode_compiled is not None and not native.forced_pure() else decode_pure
)
"""Decode one frame into a :class:`Packet` or raise :class:`HJ212Error` (see :func:`decode_pure`):
the compiled decoder when built and not forced off, else the pure one."""
CODEC = "compiled" if decode is decode_compiled else "pure"
"""Which decoder :func:`decode` is: ``"compiled"`` or ``"pure"``."""
if CODEC == "pure" and decode_compiled is not None:
    native.log.info("HJ 212 codec: %s is set: decoding in pure Python", native.FORCE_PURE)


def _counts_characters(segment: bytes, declared: int, encoding: str) -> bool:
    """Whether a wrong length is the character count (a known bug of some implementations)."""
    try:
        return len(segment.decode(encoding)) == declared
    except UnicodeDecodeError:
        return False


def _parse_segment(
    text: str, options: DecodeOptions, length: int, crc: int, crc_kind: CrcKind
) -> Packet:
    strict = options.strict
    spaced = not strict and (" " in text or "\t" in text)
    if text.startswith("CP="):
        header_text, cp_text = "", text[3:]
    else:
        at = text.find(";CP=")
        if at >= 0:
            header_text, cp_text = text[:at], text[at + 4 :]
        else:
            match = None if strict else _CP_LENIENT.search(text)
            if match is None:
                raise HJ212Error(Reason.MISSING_FIELD, "CP=&&...&& is missing", "CP")
            header_text, cp_text = text[: match.start()], text[match.end() :]
    fields: dict[str, str] = {}
    if header_text:
        for part in header_text.split(";"):
            key, eq, value = part.partition("=")
            if spaced:
                key, value = key.strip(), value.strip()
            if not eq:
                if not strict and not key:
                    continue
                raise HJ212Error(Reason.BAD_FIELD, f"header field {part!r} has no '='", key)
            if key in fields:
                if strict:
                    raise HJ212Error(Reason.BAD_FIELD, f"header field {key} appears twice", key)
                continue
            fields[key] = value
    get = fields.get
    qn, st, cn, pw, mn = get("QN"), get("ST"), get("CN"), get("PW"), get("MN")
    flag_text = get("Flag")
    if (
        st is None
        or cn is None
        or pw is None
        or mn is None
        or (strict and (qn is None or flag_text is None))
    ):
        required = _HEADER_KEYS[:6] if strict else _HEADER_KEYS[1:5]
        missing = next(k for k in required if k not in fields)
        raise HJ212Error(Reason.MISSING_FIELD, f"{missing} is missing", missing)
    flag = None if flag_text is None else _FLAGS.get(flag_text) or _flag(flag_text)
    edition = edition_of_flag(flag)
    _check_header(qn, st, cn, pw, mn, edition, strict)
    pnum = pno = None
    pnum_text, pno_text = get("PNUM"), get("PNO")
    if pnum_text is not None or pno_text is not None or (flag is not None and flag & FLAG_D):
        pnum, pno = _parts(pnum_text, pno_text, flag, strict)
    extra = None
    if len(fields) > 4 + (qn is not None) + (flag is not None) + 2 * (pnum is not None):
        extra = {k: v for k, v in fields.items() if k not in _HEADER_KEYS}
        if strict:
            raise HJ212Error(
                Reason.BAD_FIELD, f"unknown header field {next(iter(extra))}", next(iter(extra))
            )
    if spaced:
        cp_text = cp_text.strip()
    if len(cp_text) < 4 or cp_text[:2] != "&&" or cp_text[-2:] != "&&":
        raise HJ212Error(Reason.BAD_FIELD, f"CP={cp_text[:24]!r} is not &&...&&", "CP")
    items, cp, original = parse_cp(cp_text[2:-2], code_map_for(st), strict, spaced)
    data_time_text = cp.get("DataTime")
    data_time = None if data_time_text is None else parse_time(data_time_text)
    return new_packet(
        {
            "edition": edition,
            "qn": qn,
            "st": st,
            "cn": cn,
            "pw": pw,
            "mn": mn,
            "flag": flag,
            "pnum": pnum,
            "pno": pno,
            "data_time": data_time,
            "items": items,
            "cp": cp,
            "length": length,
            "crc": crc,
            "crc_kind": crc_kind,
            "encoding": options.encoding,
            "original_codes": original,
            "extra": extra,
        }
    )


def _flag(text: str) -> int:
    if not (text.isdigit() and text.isascii() and len(text) <= 3 and int(text) <= 255):
        raise HJ212Error(Reason.BAD_FIELD, f"Flag={text!r} is not an integer 0-255", "Flag")
    return int(text)


def _check_header(
    qn: str | None, st: str, cn: str, pw: str, mn: str, edition: Edition, strict: bool
) -> None:
    """Field rules of HJ 212-2017 table 3; lenient mode keeps only what decoding relies on."""
    if not (st.isalnum() and st.isascii()) or (strict and (len(st) != 2 or st != st.upper())):
        raise HJ212Error(Reason.BAD_FIELD, f"ST={st!r} is not a system code", "ST")
    if not (cn.isdigit() and cn.isascii()) or (strict and len(cn) != 4):
        raise HJ212Error(Reason.BAD_FIELD, f"CN={cn!r} is not a 4-digit command code", "CN")
    if not mn:
        raise HJ212Error(Reason.BAD_FIELD, "MN is empty", "MN")
    if not strict:
        return
    if qn is None or len(qn) != 17 or not (qn.isdigit() and qn.isascii()):
        raise HJ212Error(Reason.BAD_FIELD, f"QN={qn!r} is not YYYYMMDDhhmmsszzz", "QN")
    try:
        parse_time(qn, "QN")
    except HJ212Error as exc:
        raise HJ212Error(Reason.BAD_FIELD, exc.detail, "QN") from None
    if len(pw) > 6:
        raise HJ212Error(Reason.BAD_FIELD, f"PW of {len(pw)} characters exceeds 6", "PW")
    if edition != Edition.V2005 and (len(mn) != 24 or mn.strip(_UPPER_HEX)):
        raise HJ212Error(
            Reason.BAD_FIELD, f"MN={mn!r} is not 24 hex characters (EPC-96, table 3)", "MN"
        )


def _parts(
    pnum_text: str | None, pno_text: str | None, flag: int | None, strict: bool
) -> tuple[int, int]:
    """PNUM and PNO of a split packet (Flag bit D, §6.3.2 table 3)."""
    if pnum_text is None or pno_text is None:
        name = "PNUM" if pnum_text is None else "PNO"
        raise HJ212Error(Reason.MISSING_FIELD, f"{name} is missing in a split packet", name)
    if strict and flag is not None and not flag & FLAG_D:
        raise HJ212Error(Reason.BAD_FIELD, "PNUM/PNO present but Flag bit D is 0", "Flag")
    for name, value in (("PNUM", pnum_text), ("PNO", pno_text)):
        if not (value.isdigit() and value.isascii()) or len(value) > 4:
            raise HJ212Error(Reason.BAD_FIELD, f"{name}={value!r} is not a number", name)
    pnum, pno = int(pnum_text), int(pno_text)
    if not 1 <= pno <= pnum:
        raise HJ212Error(Reason.BAD_FIELD, f"PNO={pno} is not in 1..PNUM={pnum}", "PNO")
    return pnum, pno
