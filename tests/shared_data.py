"""The shared data folder, ``../shared/data`` beside the repository (read there, never copied).

CI has the same folder beside the checkout; see ``../shared/data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
HJ212_DATA = SHARED_DATA / "hj212"


@dataclass(frozen=True)
class ExamplePacket:
    """One line of ``hj212/packets.txt``: a packet and where it was published."""

    repo: str
    path: str
    verification: str
    packet: str


def hj212_path(name: str) -> Path:
    """A file of ``shared/data/hj212``; fails loudly when the shared folder is missing."""
    path = HJ212_DATA / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the shared data folder sits beside the repo")
    return path


def example_packets() -> list[ExamplePacket]:
    """The example packets of ``packets.txt`` (repo, path, verification, packet)."""
    examples = []
    for line in hj212_path("packets.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            repo, path, verification, packet = line.split("\t")
            examples.append(ExamplePacket(repo, path, verification, packet))
    return examples


def log_lines(name: str) -> list[tuple[int, bytes]]:
    """Numbered non-blank lines of a captured log (``rx_release.log``, ``rx_debug.log``), line
    ends (CR and LF) stripped; binary lines are kept as bytes."""
    data = hj212_path(name).read_bytes()
    return [
        (number, line.rstrip(b"\r\n"))
        for number, line in enumerate(data.split(b"\n"), 1)
        if line.strip()
    ]
