"""``ecoradar hj212``: decode and encode HJ 212 packets, one per line (no database).

``decode`` writes one JSON object per input packet::

    {"ok": true, "edition": "2017", "qn", "st", "cn", "pw", "mn", "flag", "data_time",
     "items": {code: {suffix: value}}, "cp", "pnum", "pno", "length", "crc_kind",
     "original_codes"}
    {"ok": false, "error": "<reason>", "detail": "<what and where>"}

``encode`` reads such objects (``ok`` and the keys after ``items`` optional) and writes frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import typer

from ecoradar.hj212 import DecodeOptions, HJ212Error, Packet, decode, encode
from ecoradar.hj212.packet import LENIENT_MAX_LENGTH, STANDARD_MAX_LENGTH

app = typer.Typer(
    help="Decode and encode HJ 212 packets (HJ/T 212-2005, HJ 212-2017, HJ 212-2025).",
    no_args_is_help=True,
)

EXIT_UNREADABLE = 1
EXIT_REFUSED = 1
_DECODED_ONLY = frozenset({"ok", "length", "crc_kind", "original_codes", "extra"})
_ENCODE_KEYS = frozenset(
    {"edition", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "data_time", "items", "cp"}
)


class TextEncoding(StrEnum):
    UTF8 = "utf-8"
    GBK = "gbk"


def _lines(file: str) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of FILE (or standard input for ``-``), line ends stripped, blanks skipped."""
    stream: IO[bytes]
    if file == "-":
        stream = typer.get_binary_stream("stdin")
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield number, line.rstrip(b"\r\n")
        return
    try:
        with Path(file).open("rb") as stream:
            for number, line in enumerate(stream, 1):
                if line.strip():
                    yield number, line.rstrip(b"\r\n")
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None


def packet_json(packet: Packet) -> dict[str, Any]:
    """The JSON object ``decode`` prints for a packet."""
    when = packet.data_time
    return {
        "ok": True,
        "edition": packet.edition.value,
        "qn": packet.qn,
        "st": packet.st,
        "cn": packet.cn,
        "pw": packet.pw,
        "mn": packet.mn,
        "flag": packet.flag,
        "data_time": None
        if when is None
        else when.isoformat(timespec="milliseconds" if when.microsecond else "seconds"),
        "items": packet.items,
        "cp": packet.cp,
        "pnum": packet.pnum,
        "pno": packet.pno,
        "length": packet.length,
        "crc_kind": packet.crc_kind,
        "original_codes": packet.original_codes,
    }


@app.command("decode")
def decode_command(
    file: str = typer.Argument("-", help="Packets, one per line; '-' reads standard input."),
    strict: bool = typer.Option(
        False, "--strict", help="HJ 212-2017 conformance: 1024 bytes, all fields, EPC-96 MN."
    ),
    encoding: TextEncoding = typer.Option(
        TextEncoding.UTF8, "--encoding", help="Text encoding of the packets."
    ),
    accept_modbus_crc: bool = typer.Option(
        False, "--accept-modbus-crc", help="Also accept CRC-16/MODBUS sent low byte first."
    ),
    max_length: int = typer.Option(
        LENIENT_MAX_LENGTH, "--max-length", min=1, max=9999, help="Longest data segment (lenient)."
    ),
) -> None:
    """Decode one packet per line into one JSON object per line.

    Refused packets give {"ok": false, "error": reason, "detail": ...}; the exit status is 0
    unless FILE cannot be read.
    """
    options = DecodeOptions(
        strict=strict,
        encoding=encoding.value,
        accept_modbus_crc=accept_modbus_crc,
        max_length=max_length,
    )
    out = typer.get_binary_stream("stdout")
    for _, line in _lines(file):
        result: dict[str, Any]
        try:
            result = packet_json(decode(line, options))
        except HJ212Error as exc:
            result = {"ok": False, "error": exc.reason.value, "detail": exc.detail}
        out.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
    out.flush()


def frame_of(obj: object, encoding: str, max_length: int) -> bytes:
    """The frame of one JSON object shaped like ``decode``'s output."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    unknown = sorted(set(obj) - _ENCODE_KEYS - _DECODED_ONLY)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}")
    for name in ("st", "cn", "pw", "mn"):
        if not isinstance(obj.get(name), str):
            raise ValueError(f"{name} must be a string")
    for name in ("qn", "edition", "data_time"):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise ValueError(f"{name} must be a string or null")
    for name in ("flag", "pnum", "pno"):
        value = obj.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"{name} must be an integer or null")
    items, cp = obj.get("items") or {}, obj.get("cp") or {}
    if not isinstance(items, dict) or not all(isinstance(v, dict) for v in items.values()):
        raise ValueError("items must be an object of objects {code: {suffix: value}}")
    if not isinstance(cp, dict):
        raise ValueError("cp must be an object {key: value}")
    data_time = None
    if obj.get("data_time") is not None:
        data_time = datetime.fromisoformat(obj["data_time"])
        if data_time.tzinfo is None:
            raise ValueError("data_time needs an offset, e.g. +08:00")
    return encode(
        st=obj["st"],
        cn=obj["cn"],
        pw=obj["pw"],
        mn=obj["mn"],
        qn=obj.get("qn"),
        flag=obj.get("flag"),
        edition=obj.get("edition"),
        pnum=obj.get("pnum"),
        pno=obj.get("pno"),
        data_time=data_time,
        items=items,
        cp=cp,
        encoding=encoding,
        max_length=max_length,
    )


@app.command("encode")
def encode_command(
    file: str = typer.Argument("-", help="JSON objects, one per line; '-' reads standard input."),
    encoding: TextEncoding = typer.Option(
        TextEncoding.UTF8, "--encoding", help="Text encoding of the packets written."
    ),
    max_length: int = typer.Option(
        STANDARD_MAX_LENGTH, "--max-length", min=1, max=9999, help="Longest data segment."
    ),
) -> None:
    """Encode JSON objects (decode's output shape, "ok" optional) into packets, one per line.

    Each packet ends with CR LF, as on the wire. A line that is not valid JSON or cannot be
    encoded is reported on stderr with its line number; the exit status is then 1.
    """
    out = typer.get_binary_stream("stdout")
    failed = 0
    for number, line in _lines(file):
        try:
            out.write(frame_of(json.loads(line), encoding.value, max_length))
        except json.JSONDecodeError as exc:
            failed += 1
            typer.echo(f"line {number}: not JSON: {exc.msg} at column {exc.colno}", err=True)
        except ValueError as exc:  # HJ212Error, bad values, bad UTF-8
            failed += 1
            typer.echo(f"line {number}: {exc}", err=True)
    out.flush()
    if failed:
        typer.echo(f"{failed} line(s) not encoded", err=True)
        raise typer.Exit(EXIT_REFUSED)
