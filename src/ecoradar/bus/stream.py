"""The bus's objects on the NATS server: connection, stream, consumers, membership bucket.

Whoever comes first (a gateway or a worker) makes the stream; everybody then reads its layout
from the server, so the number of partitions has one source of truth. Settings:

* stream ``ECORADAR_BATCHES``: subjects ``ecoradar.batches.0`` .. ``.N-1``; file storage;
  work-queue retention (a message is deleted once a worker acknowledged it); no limit on
  messages or bytes, and ``discard new`` should the server's own limits be reached (a publish is
  then refused and the packets are not answered, instead of stored batches being dropped);
  ``max_age`` 7 days; duplicate window 2 minutes (``Nats-Msg-Id``).
* per partition a durable pull consumer ``ecoradar-batches-worker-P``: explicit acknowledgement,
  ``max_ack_pending`` 1 (one message of a partition in flight: written in order), ``ack_wait``
  60 s, delivered again without limit.
* key-value bucket ``ECORADAR_BATCHES_workers`` (TTL 6 s): each worker's heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from ecoradar.bus.config import DUPLICATE_WINDOW, BusConfig
from ecoradar.core.errors import ConfigurationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """The stream as the server has it."""

    partitions: int
    epoch: str
    """The stream's creation time: sequences restart when it is made anew."""


async def _error(exc: Exception) -> None:
    log.warning("bus: %s", exc)


async def connect(config: BusConfig, name: str) -> Client:
    """A connection that reconnects forever (publishing fails while it is away)."""

    async def disconnected() -> None:
        log.warning("bus: disconnected from %s", config.url)

    async def reconnected() -> None:
        log.info("bus: reconnected to %s", config.url)

    try:  # the first connection is tried for a while only (reconnections: forever)
        connecting = nats.connect(
            config.url,
            name=name,
            connect_timeout=max(1, int(config.publish_timeout)),
            reconnect_time_wait=config.reconnect_wait,
            max_reconnect_attempts=-1,
            error_cb=_error,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
        )
        return await asyncio.wait_for(connecting, config.publish_timeout)
    except Exception as exc:  # noqa: BLE001 - every way of not reaching it says the same
        raise ConfigurationError(f"cannot reach the bus at {config.url}: {exc}") from exc


async def ensure_stream(js: JetStreamContext, config: BusConfig) -> Layout:
    """The stream, made with ``config.partitions`` partitions if it does not exist."""
    try:
        info = await js.stream_info(config.stream)
    except NotFoundError:
        wanted = StreamConfig(
            name=config.stream,
            subjects=[config.subject(p) for p in range(config.partitions)],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            discard=DiscardPolicy.NEW,
            max_age=config.max_age,
            duplicate_window=DUPLICATE_WINDOW,
        )
        info = await js.add_stream(wanted)  # the same configuration made twice is one stream
        log.info("bus: made stream %s with %d partitions", config.stream, config.partitions)
    subjects = list(info.config.subjects or [])
    expected = [config.subject(p) for p in range(len(subjects))]
    if sorted(subjects) != sorted(expected):
        raise ConfigurationError(
            f"stream {config.stream} has subjects {subjects}, expected {config.subjects}.0 .. "
            f"{config.subjects}.N-1"
        )
    if len(subjects) != config.partitions:
        log.warning(
            "bus: stream %s has %d partitions (not %d): using the stream's",
            config.stream,
            len(subjects),
            config.partitions,
        )
    created = info.created.isoformat() if info.created is not None else ""
    return Layout(len(subjects), created)


async def ensure_consumer(js: JetStreamContext, config: BusConfig, partition: int) -> str:
    """The durable pull consumer of ``partition`` (an existing one is kept as it is)."""
    name = config.consumer(partition)
    try:
        await js.consumer_info(config.stream, name)
    except NotFoundError:
        await js.add_consumer(
            config.stream,
            ConsumerConfig(
                durable_name=name,
                filter_subject=config.subject(partition),
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_ack_pending=1,
                ack_wait=config.ack_wait,
                max_deliver=-1,
            ),
        )
    return name


async def members(js: JetStreamContext, config: BusConfig) -> KeyValue:
    """The membership bucket (heartbeats expire after ``member_ttl``)."""
    try:
        return await js.key_value(config.members)
    except BucketNotFoundError:
        return await js.create_key_value(
            KeyValueConfig(
                bucket=config.members,
                ttl=config.member_ttl,
                history=1,
                storage=StorageType.FILE,  # outlives a restart of the server
            )
        )


async def delete(js: JetStreamContext, config: BusConfig) -> None:
    """Remove the stream (with its consumers) and the membership bucket, if present."""
    for remove in (js.delete_stream(config.stream), js.delete_key_value(config.members)):
        try:
            await remove
        except NotFoundError:
            pass
