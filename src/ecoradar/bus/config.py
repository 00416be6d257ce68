"""Names, partitions and timings of the bus (pure: no I/O).

One stream holds every judged batch, with one subject per partition (``ecoradar.batches.0`` ..
``ecoradar.batches.15``); a device's MN always hashes to the same partition (CRC-32, the same in
every process), so one device's packets stay in the order its gateway received them. Each
partition has one durable pull consumer (``ecoradar-batches-worker-3``) that lets one message
at a time be unacknowledged, so a partition is written in order whichever worker holds it.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from ecoradar.core.errors import ConfigurationError

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_STREAM = "ECORADAR_BATCHES"
DEFAULT_SUBJECTS = "ecoradar.batches"
DEFAULT_CONSUMERS = "ecoradar-batches-worker"
DEFAULT_PARTITIONS = 16
"""Partitions of a new stream: at most this many workers share the work. The stream's own
subjects are the truth once it exists (a process started with another count follows them)."""
DEFAULT_ACK_WAIT = 60.0
"""Seconds a worker has to commit a message before JetStream hands it to another worker (a
batch waits at most ``ECORADAR_WRITE_WAIT``, 15 s by default, for the database)."""
DEFAULT_PUBLISH_TIMEOUT = 5.0
"""Seconds a gateway waits for JetStream's acknowledgement of a batch; then the batch's
packets are not answered (the devices send them again)."""
DEFAULT_MAX_AGE = 7 * 24 * 3600.0
"""Seconds an unconsumed batch is kept (no worker running for a week loses data)."""
DUPLICATE_WINDOW = 120.0
"""Seconds in which JetStream drops a second publication with the same ``Nats-Msg-Id``."""
WORKER_MAX_ITEMS = 2000
"""Packets per worker transaction at most (messages of several partitions together)."""
HEARTBEAT = 2.0
"""Seconds between a worker's heartbeats in the membership bucket."""
MEMBER_TTL = 6.0
"""Seconds after its last heartbeat when a worker counts as gone (its partitions move)."""

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SUBJECT = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


@dataclass(frozen=True)
class BusConfig:
    """Where the bus is and how its stream is laid out."""

    url: str = DEFAULT_URL
    stream: str = DEFAULT_STREAM
    subjects: str = DEFAULT_SUBJECTS
    consumers: str = DEFAULT_CONSUMERS
    partitions: int = DEFAULT_PARTITIONS
    ack_wait: float = DEFAULT_ACK_WAIT
    publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT
    max_age: float = DEFAULT_MAX_AGE
    heartbeat: float = HEARTBEAT
    member_ttl: float = MEMBER_TTL
    reconnect_wait: float = 1.0
    """Seconds between attempts to reach the server again after it went away."""

    def __post_init__(self) -> None:
        if not self.url.startswith(("nats://", "tls://")):
            raise ConfigurationError(f"bus {self.url!r}: expected nats://HOST:PORT")
        for what, value in (("stream", self.stream), ("consumer prefix", self.consumers)):
            if not _NAME.match(value):
                raise ConfigurationError(f"bus {what} {value!r}: letters, digits, - and _ only")
        if not _SUBJECT.match(self.subjects):
            raise ConfigurationError(f"bus subjects {self.subjects!r}: dot-separated tokens")
        if not 1 <= self.partitions <= 1024:
            raise ConfigurationError(f"bus partitions {self.partitions}: 1 to 1024")
        if self.member_ttl <= self.heartbeat:
            raise ConfigurationError("bus member TTL must exceed the heartbeat interval")

    @classmethod
    def for_stream(cls, url: str, stream: str = DEFAULT_STREAM, **settings: Any) -> BusConfig:
        """The configuration of stream ``stream``, its subjects and consumers named after it
        (``ECORADAR_BATCHES``: ``ecoradar.batches.P``, ``ecoradar-batches-worker-P``)."""
        if not _NAME.match(stream):
            raise ConfigurationError(f"bus stream {stream!r}: letters, digits, - and _ only")
        base = stream.lower()
        return cls(
            url=url,
            stream=stream,
            subjects=base.replace("_", ".").replace("-", "."),
            consumers=f"{base.replace('_', '-')}-worker",
            **settings,
        )

    @property
    def members(self) -> str:
        """The key-value bucket in which workers announce themselves."""
        return f"{self.stream}_workers"

    def subject(self, partition: int) -> str:
        return f"{self.subjects}.{partition}"

    def consumer(self, partition: int) -> str:
        return f"{self.consumers}-{partition}"

    def partition_of_subject(self, subject: str) -> int:
        return int(subject.rsplit(".", 1)[1])


def partition_of(mn: str | None, peer: str, partitions: int) -> int:
    """The partition of a packet: by its MN (by the peer for a frame without one, which is
    only archived, so its order does not matter)."""
    key = mn if mn is not None else peer
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % partitions


def assign(members: list[str], me: str, partitions: int) -> set[int]:
    """The partitions ``me`` holds among ``members`` (every worker computes the same split
    from the same list: partition ``p`` goes to the ``p mod n``-th member in sorted order)."""
    everyone = sorted(set(members) | {me})
    index = everyone.index(me)
    return {p for p in range(partitions) if p % len(everyone) == index}
