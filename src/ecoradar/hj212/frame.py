"""Cut a TCP byte stream into HJ 212 frames (§6.3.1: ``##`` + length + data + CRC + CR LF).

TCP splits frames across reads and merges several into one read; devices send garbage, wrong
lengths, missing or doubled line ends. :class:`FrameDecoder` keeps what it has not used, hands
out every candidate frame for :func:`ecoradar.hj212.codec.decode` to judge, and resynchronises on
the next ``##`` after garbage, so one bad frame never costs the good frames after it.
"""

from __future__ import annotations

import re

from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import LENIENT_MAX_LENGTH

_OVERHEAD = 12  # "##" + 4-digit length + 4-digit CRC + CR LF
_HEADER = re.compile(rb"##[0-9]{4}")


class FrameDecoder:
    """Incremental splitter: :meth:`feed` bytes as they arrive, get frames and errors back.

    A frame is handed out when the bytes at its announced length end with CR LF; otherwise
    the bytes up to the next CR LF (or up to the next ``##``) are handed out as a candidate,
    which ``decode`` refuses (``bad_length``) or, in lenient mode, accepts. Bytes outside frames
    are reported as ``bad_frame`` errors (whitespace between frames is ignored). A frame whose
    data segment exceeds ``max_length`` bytes is reported as ``oversize`` and skipped.
    """

    def __init__(self, *, max_length: int = LENIENT_MAX_LENGTH) -> None:
        if not 0 < max_length <= 9999:
            raise ValueError(f"max_length {max_length} is not in 1..9999")
        self.max_length = max_length
        self._buffer = bytearray()
        self._skipping = False  # inside an oversize frame already reported

    @property
    def buffered(self) -> int:
        """Bytes received and not yet handed out."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | HJ212Error]:
        """Take the next bytes of the stream; return the frames (bytes) and errors completed."""
        buffer = self._buffer
        buffer += data
        out: list[bytes | HJ212Error] = []
        while buffer:
            start = buffer.find(b"##")
            if start < 0:
                keep = 1 if buffer[-1:] == b"#" else 0
                self._discard(len(buffer) - keep, out)
                break
            if start:
                self._discard(start, out)
            self._skipping = False
            if len(buffer) < 6:
                break
            if not buffer[2:6].isdigit():
                self._resync(out, f"'##' followed by {bytes(buffer[2:6])!r}, not a 4-digit length")
                continue
            end = int(buffer[2:6]) + _OVERHEAD
            if end - _OVERHEAD > self.max_length:
                self._oversize(out, end - _OVERHEAD)
                continue
            if len(buffer) >= end and buffer[end - 2 : end] == b"\r\n":
                out.append(bytes(buffer[:end]))
                del buffer[:end]
                continue
            if not self._cut_elsewhere(end, out):
                break
        return out

    def close(self) -> list[HJ212Error]:
        """The stream has ended: report what is left (a frame cut short)."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        skipping, self._skipping = self._skipping, False
        if not rest.strip() or skipping:
            return []
        return [
            HJ212Error(
                Reason.BAD_FRAME, f"stream ended inside a frame: {len(rest)} bytes {rest[:24]!r}"
            )
        ]

    def _cut_elsewhere(self, end: int, out: list[bytes | HJ212Error]) -> bool:
        """The frame does not end where its length says: cut at CR LF or at the next ``##``."""
        buffer = self._buffer
        crlf = buffer.find(b"\r\n", 6)
        header = _HEADER.search(buffer, 2)  # "##" inside a log text is no frame start
        following = header.start() if header else -1
        if crlf >= 0 and (following < 0 or crlf < following):
            cut = crlf + 2
        elif following >= 0 and (following < end or len(buffer) >= end):
            cut = following
        elif len(buffer) >= self.max_length + _OVERHEAD + 2:
            self._oversize(out, None)
            return True
        else:
            return False
        out.append(bytes(buffer[:cut]))
        del buffer[:cut]
        return True

    def _discard(self, count: int, out: list[bytes | HJ212Error]) -> None:
        """Drop ``count`` bytes outside frames; report them unless blank or an oversize tail."""
        garbage = bytes(self._buffer[:count])
        del self._buffer[:count]
        if not self._skipping and garbage.strip():
            out.append(
                HJ212Error(
                    Reason.BAD_FRAME,
                    f"{len(garbage)} bytes outside any frame skipped: {garbage[:24]!r}",
                )
            )

    def _resync(self, out: list[bytes | HJ212Error], detail: str) -> None:
        """Report the frame at the buffer start and drop it, up to the next ``##``."""
        header = _HEADER.search(self._buffer, 1)  # "###0101..." has a frame at 1
        following = header.start() if header else self._buffer.find(b"##", 1)
        cut = following if following >= 0 else len(self._buffer)
        out.append(HJ212Error(Reason.BAD_FRAME, f"{detail}; {cut} bytes skipped"))
        del self._buffer[:cut]

    def _oversize(self, out: list[bytes | HJ212Error], announced: int | None) -> None:
        said = f"announces {announced} bytes" if announced is not None else "has no end"
        out.append(
            HJ212Error(
                Reason.OVERSIZE,
                f"frame {said}, more than the limit of {self.max_length} bytes; skipped",
            )
        )
        following = self._buffer.find(b"##", 2)
        if following >= 0:
            del self._buffer[:following]
        else:
            del self._buffer[:]
            self._skipping = True
