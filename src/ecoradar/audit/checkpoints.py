"""Checkpoints of the audit log's head, kept outside the database: the line format and the file.

A checkpoint says "at ``at`` the log had ``count`` entries and the newest had hash ``head``".
It is one JSON line of an append-only file (``$ECORADAR_HOME/audit-checkpoints.jsonl``)::

    {"v":1,"at":"2026-11-29T02:30:00.123456Z","count":1234,"head":"3f5c…","kid":"9a0e…","mac":"…"}

``mac`` is an HMAC-SHA256 of the other fields under a key derived from ``ECORADAR_SECRET_KEY``,
so someone who can write the database (and even this file) but does not know the secret key
cannot make a checkpoint that matches a log they rewrote; ``kid`` names the key (a hash of it),
so a checkpoint written under an earlier secret key is told apart from a forged one. What a MAC
cannot prevent is deleting lines: keep copies elsewhere (see the README, "Audit log").
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ecoradar.audit.chain import utc_text
from ecoradar.core.clock import CHINA_TZ

FILE_NAME = "audit-checkpoints.jsonl"
"""The checkpoint file under ``ECORADAR_HOME``."""
VERSION = 1
MAX_LINE = 1000
"""Characters of a line beyond which it is not read as a checkpoint (a real one has ~230)."""
TAIL_BYTES = 64 * 1024
"""Bytes read from the end of the file to find the newest checkpoint (hundreds of lines)."""
_KEY_LABEL = b"ecoradar audit checkpoint key v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


@dataclass(frozen=True)
class Checkpoint:
    """The log had ``count`` entries at ``at``, the newest with hash ``head``."""

    at: datetime
    count: int
    head: str
    kid: str
    mac: str

    def line(self) -> str:
        """The checkpoint as one JSON line (without the line end)."""
        fields = {
            "v": VERSION,
            "at": utc_text(self.at),
            "count": self.count,
            "head": self.head,
            "kid": self.kid,
            "mac": self.mac,
        }
        return json.dumps(fields, separators=(",", ":"))

    def describe(self) -> str:
        """``1234 entries at 2026-11-29T10:30:00+08:00``."""
        return f"{self.count} entries at {self.at.astimezone(CHINA_TZ).isoformat('T', 'seconds')}"


@dataclass(frozen=True)
class Problem:
    """A line that is not a good checkpoint, or a checkpoint the log does not match; ``place``
    is ``file:line``."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


@dataclass(frozen=True)
class Loaded:
    """What a checkpoint file holds: good checkpoints with their places, and problems."""

    checkpoints: list[tuple[str, Checkpoint]]
    problems: list[Problem]


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def key_id(secret: str) -> str:
    """16 hex digits naming the checkpoint key of ``secret`` (reveals nothing of it)."""
    return hashlib.sha256(b"kid:" + _key(secret)).hexdigest()[:16]


def _mac(secret: str, at_text: str, count: int, head: str, kid: str) -> str:
    message = f"ecoradar-audit-checkpoint:v{VERSION}:{at_text}:{count}:{head}:{kid}"
    return hmac.new(_key(secret), message.encode("ascii"), hashlib.sha256).hexdigest()


def sign(secret: str, *, at: datetime, count: int, head: str) -> Checkpoint:
    """A checkpoint of ``count`` entries with head ``head`` at ``at``, keyed with ``secret``."""
    if count < 0 or not _HEX64.fullmatch(head):
        raise ValueError(f"not a head: count {count}, hash {head!r}")
    at = datetime.fromisoformat(utc_text(at))  # microseconds and UTC, as the line keeps it
    kid = key_id(secret)
    return Checkpoint(at, count, head, kid, _mac(secret, utc_text(at), count, head, kid))


def parse(text: str, secret: str) -> Checkpoint:
    """The checkpoint of one line; ``ValueError`` says why the line is not a good one (not a
    checkpoint, another secret key, or a MAC that does not match)."""
    if len(text) > MAX_LINE:
        raise ValueError(f"line of {len(text)} characters is not a checkpoint")
    try:
        fields = json.loads(text)
    except ValueError:
        raise ValueError("not JSON: not a checkpoint") from None
    if not isinstance(fields, dict) or fields.get("v") != VERSION:
        raise ValueError(f"not a checkpoint of version {VERSION}")
    at_text, count, head = fields.get("at"), fields.get("count"), fields.get("head")
    kid, mac = fields.get("kid"), fields.get("mac")
    if (
        not isinstance(at_text, str)
        or not _TIME.fullmatch(at_text)
        or type(count) is not int
        or count < 0
        or not isinstance(head, str)
        or not _HEX64.fullmatch(head)
        or not isinstance(kid, str)
        or not _HEX16.fullmatch(kid)
        or not isinstance(mac, str)
        or not _HEX64.fullmatch(mac)
    ):
        raise ValueError("a field is missing or malformed: not a checkpoint")
    if kid != key_id(secret):
        raise ValueError(
            f"written under another secret key (key id {kid}, the current one is "
            f"{key_id(secret)}): check it with the ECORADAR_SECRET_KEY it was written under"
        )
    if not hmac.compare_digest(mac, _mac(secret, at_text, count, head, kid)):
        raise ValueError("MAC does not match: the line was edited or forged")
    at = datetime.strptime(at_text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return Checkpoint(at, count, head, kid, mac)


def load(path: Path, secret: str) -> Loaded:
    """Every line of ``path``: good checkpoints and problems (blank lines are skipped)."""
    good: list[tuple[str, Checkpoint]] = []
    problems: list[Problem] = []
    for number, text in enumerate(_lines(path), start=1):
        if not text.strip():
            continue
        place = f"{path}:{number}"
        try:
            good.append((place, parse(text.strip(), secret)))
        except ValueError as exc:
            problems.append(Problem(place, str(exc)))
    return Loaded(good, problems)


def newest(path: Path, secret: str) -> Checkpoint | None:
    """The last good checkpoint of ``path`` (``None``: no file, or no good line in it)."""
    if not path.exists():
        return None
    with path.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - TAIL_BYTES))
        tail = file.read().decode("utf-8", errors="replace").splitlines()
    if size > TAIL_BYTES:
        tail = tail[1:]  # the first line read may be cut
    for text in reversed(tail):
        with contextlib.suppress(ValueError):
            return parse(text.strip(), secret)
    if size <= TAIL_BYTES:
        return None
    found = load(path, secret).checkpoints  # only bad lines at the end: look further back
    return found[-1][1] if found else None


def append(path: Path, checkpoint: Checkpoint) -> None:
    """Append ``checkpoint`` to ``path`` and fsync it (and the directory when the file is new).

    The file is created readable by its owner only; concurrent writers (``ecoradar serve`` and
    ``ecoradar audit checkpoint``) take an exclusive lock, so lines never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"  # a write cut by a crash
        data = ("\n" if torn else "") + checkpoint.line() + "\n"
        os.write(fd, data.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _lines(path: Path) -> Iterator[str]:
    with path.open("rb") as file:
        for raw in file:
            yield raw.decode("utf-8", errors="replace")
