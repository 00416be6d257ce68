"""The gateway's side of the bus: a judged batch published to JetStream, partitioned by MN.

:class:`BusPublisher` is a ``write`` for the gateway's
:class:`~ecoradar.monitoring.batcher.Batcher`: it returns once JetStream has acknowledged every
message of the batch (the packets are then durable in the stream, and the gateway answers
them), and raises otherwise (no packet of the batch is answered; the devices send again). The
batch is split by partition (:func:`~ecoradar.bus.config.partition_of` of each MN), one message
per partition (more when a partition's part is larger than the server takes in one message),
published concurrently; the batcher has one write in flight, so a partition's messages enter
the stream in the order the gateway received the packets. Each message carries a
``Nats-Msg-Id`` unique to this gateway process, so the same message published twice within the
stream's duplicate window is stored once.

While the connection to the server is down the batch fails at once (nothing is buffered to go
out later: an unanswered packet comes again from its device).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext

from ecoradar.bus import codec
from ecoradar.bus.config import BusConfig, partition_of
from ecoradar.bus.stream import connect, ensure_stream
from ecoradar.core.errors import EcoRadarError
from ecoradar.monitoring.prepared import Received

log = logging.getLogger(__name__)

HEADROOM = 4096
"""Bytes of a message kept free for its headers under the server's largest payload."""


class BusUnavailable(EcoRadarError):
    """The batch was not acknowledged by JetStream: its packets must not be answered."""


@dataclass
class PublisherStats:
    batches: int = 0
    messages: int = 0
    bytes: int = 0
    failed_batches: int = 0


class BusPublisher:
    """Publishes batches from any thread through a connection owned by the gateway's loop.

    ``await start()`` in the loop, call it from the batcher's thread, ``await close()``."""

    def __init__(self, config: BusConfig) -> None:
        self.config = config
        self.identity = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.partitions = config.partitions
        self.stats = PublisherStats()
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def start(self) -> None:
        """Connect and read the stream's layout (made if missing)."""
        self._loop = asyncio.get_running_loop()
        self._nc = await connect(self.config, f"ecoradar-gateway {self.identity}")
        self._js = self._nc.jetstream(timeout=self.config.publish_timeout)
        layout = await ensure_stream(self._js, self.config)
        self.partitions = layout.partitions
        log.info(
            "gateway publishes to stream %s (%d partitions) at %s",
            self.config.stream,
            self.partitions,
            self.config.url,
        )

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:
            await nc.close()

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    def __call__(self, batch: Sequence[Received]) -> int:
        """Publish ``batch``; returns the number of messages once all are acknowledged."""
        loop, nc = self._loop, self._nc
        if loop is None or nc is None:
            raise BusUnavailable("the gateway's bus is not started")
        if not nc.is_connected:
            self.stats.failed_batches += 1
            raise BusUnavailable(f"the bus at {self.config.url} is unreachable")
        parts: dict[int, list[Received]] = {}
        count = self.partitions
        for item in batch:
            parts.setdefault(partition_of(item.verdict.mn, item.peer, count), []).append(item)
        limit = nc.max_payload - HEADROOM
        messages = [(p, _chunks(items, limit)) for p, items in parts.items()]
        future = asyncio.run_coroutine_threadsafe(self._publish(messages), loop)
        try:
            future.result(self.config.publish_timeout + 1)
        except FutureTimeout as exc:
            future.cancel()
            self.stats.failed_batches += 1
            raise BusUnavailable("JetStream did not acknowledge the batch in time") from exc
        except Exception as exc:
            self.stats.failed_batches += 1
            raise BusUnavailable(f"JetStream did not store the batch: {exc!r}") from exc
        sent = sum(len(chunks) for _, chunks in messages)
        self.stats.batches += 1
        self.stats.messages += sent
        self.stats.bytes += sum(len(c) for _, chunks in messages for c in chunks)
        return sent

    async def _publish(self, messages: list[tuple[int, list[bytes]]]) -> None:
        await asyncio.gather(*(self._partition(p, chunks) for p, chunks in messages))

    async def _partition(self, partition: int, chunks: list[bytes]) -> None:
        js = self._js
        assert js is not None
        subject = self.config.subject(partition)
        for data in chunks:  # in order: the next only once the previous is stored
            await js.publish(
                subject,
                data,
                timeout=self.config.publish_timeout,
                stream=self.config.stream,
                headers={"Nats-Msg-Id": f"{self.identity}-{next(self._numbers)}"},
            )


def _chunks(items: list[Received], limit: int) -> list[bytes]:
    """``items`` encoded as few messages of at most ``limit`` bytes as halving gives."""
    data = codec.encode(items)
    if len(data) <= limit or len(items) == 1:
        return [data]
    half = len(items) // 2
    return _chunks(items[:half], limit) + _chunks(items[half:], limit)
